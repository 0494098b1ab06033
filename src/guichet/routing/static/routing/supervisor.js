// WCAG 2.2.2 (Pause, Stop, Hide): the live queue table refreshes every five seconds; this toggle button
// pauses and resumes it. A paused refresh is cancelled before htmx sends the request.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("live-pause");
    var region = document.getElementById("live-queues");
    if (!button || !region) { return; }
    button.addEventListener("click", function () {
      var paused = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-pressed", paused ? "false" : "true");
    });
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail && event.detail.elt === region && button.getAttribute("aria-pressed") === "true") {
        event.preventDefault();
      }
    });
  });
})();
