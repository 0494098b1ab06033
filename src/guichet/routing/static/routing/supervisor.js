// Live queues, pushed: the page listens on the agents' websocket (supervisors' group) and refreshes the
// server-rendered table about a second after a conversation arrives, moves or ends, or an agent changes state;
// a 30-second refresh keeps waiting times current and covers a lost connection. The socket also counts as the
// supervisor's own desk connection, so watching the queues does not make them "away".
// WCAG 2.2.2 (Pause, Stop, Hide): the toggle button pauses and resumes the updates; a paused refresh is
// cancelled before htmx sends the request, and resuming refreshes at once.
(function () {
  "use strict";
  var LIVE_EVENTS = {
    "conversation.created": true, "conversation.updated": true, "conversation.assigned": true,
    "conversation.transferred": true, "conversation.resolved": true, "agent.presence_changed": true,
    "queue.updated": true
  };
  var DEBOUNCE_MS = 1000;

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("live-pause");
    var region = document.getElementById("live-queues");
    var status = document.getElementById("live-connection");
    if (!button || !region || !window.htmx) { return; }

    function paused() { return button.getAttribute("aria-pressed") === "true"; }
    function refresh() { window.htmx.trigger(region, "guichet:live-changed"); }

    var timer = null;
    function refreshSoon() {  // a burst of events (a surge) costs one refresh per second at most
      if (timer) { return; }
      timer = setTimeout(function () { timer = null; refresh(); }, DEBOUNCE_MS);
    }

    button.addEventListener("click", function () {
      var wasPaused = paused();
      button.setAttribute("aria-pressed", wasPaused ? "false" : "true");
      if (wasPaused) { refresh(); }
    });
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail && event.detail.elt === region && paused()) { event.preventDefault(); }
    });

    function setStatus(state) {
      if (!status || status.getAttribute("data-state") === state) { return; }
      status.setAttribute("data-state", state);
      // A polite live region: only a lost connection is worth announcing; connected says nothing.
      status.textContent = state === "closed" ? (status.getAttribute("data-text-closed") || "") : "";
    }

    var socket = null;
    var received = 0;
    var attempt = 0;
    var stopped = false;
    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
      socket.addEventListener("open", function () {
        if (attempt > 0) { refreshSoon(); }  // events may have been missed while disconnected
        attempt = 0;
        setStatus("open");
      });
      socket.addEventListener("message", function (message) {
        var frame;
        try { frame = JSON.parse(message.data); } catch (e) { return; }
        if (frame.type === "event" && frame.event && LIVE_EVENTS[frame.event.type]) {
          received += 1;
          region.setAttribute("data-live-events", String(received));  // what the page heard (tests, debugging)
          refreshSoon();
        }
      });
      socket.addEventListener("close", function (closing) {
        if (stopped || closing.code === 4401 || closing.code === 4403) { return; }
        setStatus("closed");
        attempt += 1;
        setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() / 2));
      });
    }
    window.addEventListener("pagehide", function () { stopped = true; if (socket) { socket.close(); } });
    connect();
    setInterval(function () {  // keep-alive: silent connections are swept (and would make us away)
      if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ type: "ping" })); }
    }, 30000);
  });
})();
