/* Agent desk: live updates over the agent websocket, refreshing server-rendered fragments with htmx.
 * No inline scripts (CSP); everything is driven by data-* attributes in the templates. */
(function () {
  "use strict";

  var page = document.querySelector("[data-desk-page]");
  if (!page) { return; }
  var reference = page.getAttribute("data-reference");
  var announcer = document.getElementById("announcer");
  var statusLine = document.getElementById("connection-status");
  var texts = {};
  var textsTemplate = document.getElementById("connection-texts");
  if (textsTemplate) {
    Array.prototype.forEach.call(textsTemplate.content.querySelectorAll("[data-state]"), function (el) {
      texts[el.getAttribute("data-state")] = el.textContent;
    });
  }

  function setConnection(state) {
    if (!statusLine) { return; }
    statusLine.setAttribute("data-state", state);
    if (texts[state]) { statusLine.textContent = texts[state]; }
  }

  // --- fragment refresh (debounced per target so a burst of events costs one request) -----------------
  // The target is also the request's source: htmx queues requests per source element ("last" wins), and
  // without a source every call would share document.body's queue and drop each other.
  var pending = {};
  function refresh(selector, url, swap) {
    if (!window.htmx || !document.querySelector(selector)) { return; }
    clearTimeout(pending[selector]);
    pending[selector] = setTimeout(function () {
      var target = document.querySelector(selector);
      if (!target) { return; }
      // Replacing the element under the keyboard focus would throw the agent back to the top of the page:
      // lists wait until the focus leaves them (forms are never refreshed from events).
      if ((target.getAttribute("data-live-list") || target.getAttribute("data-live-fragment")) &&
          target.contains(document.activeElement)) {
        refresh(selector, url, swap);
        return;
      }
      window.htmx.ajax("GET", url, { source: target, target: target, swap: swap || "innerHTML" });
    }, 150);
  }

  function refreshLists() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-list]"), function (el) {
      refresh("#" + el.id, el.getAttribute("data-live-list"));
    });
  }

  function partUrl(part) {
    return page.getAttribute("data-part-url").replace("PART", part);
  }

  function refreshConversation(what) {
    if (!reference) { return; }
    if (what !== "status") {
      refresh("#transcript", partUrl("transcript"), "outerHTML");
      refreshHistory();
    }
    if (what !== "transcript") { refresh("#conv-status", partUrl("status"), "outerHTML"); }
  }

  // The citizen's timeline on every channel (omnichannel fragment) shows this conversation's messages and
  // those of their other conversations (an e-mail reply sent with "Reply via", its delivery status...).
  function refreshHistory() {
    var history = document.getElementById("contact-history-body");
    if (history) { refresh("#contact-history-body", history.getAttribute("data-live-fragment")); }
  }

  function historyShows(ref) {
    var history = document.getElementById("contact-history-body");
    if (!history || !ref) { return false; }
    return Array.prototype.some.call(history.querySelectorAll(".reference"), function (el) {
      return el.textContent.trim() === ref;
    });
  }

  function refreshPresence() {
    var box = document.getElementById("presence-box");
    if (box && !box.contains(document.activeElement)) {
      refresh("#presence-box", box.getAttribute("data-live-presence"), "outerHTML");
    }
  }

  function announce(text) {
    if (announcer && text) {
      announcer.textContent = text;
      setTimeout(function () { announcer.textContent = ""; }, 5000);
    }
  }

  // --- citizen typing indicator ------------------------------------------------------------------------
  var typingBox = document.getElementById("citizen-typing");
  var typingTimer = null;
  function showCitizenTyping(isTyping) {
    if (!typingBox) { return; }
    clearTimeout(typingTimer);
    typingBox.textContent = isTyping ? (texts.typing || "…") : "";
    if (isTyping) {
      // A lost "stopped typing" frame must not leave the indicator on forever.
      typingTimer = setTimeout(function () { typingBox.textContent = ""; }, 8000);
    }
  }

  // --- events ------------------------------------------------------------------------------------------
  function eventReference(event) {
    var data = event.data || {};
    return data.reference || data.conversation || null;
  }

  function onEvent(event) {
    var type = event.type || "";
    var ref = eventReference(event);
    if (type === "conversation.typing") {
      if (ref === reference && event.data.who === "contact") { showCitizenTyping(event.data.typing); }
      return;
    }
    if (type === "agent.presence_changed") {
      if (String(event.data.agent) === page.getAttribute("data-agent")) { refreshPresence(); }
      return;
    }
    if (type === "message.created" || type === "message.updated") {
      if (ref === reference) {
        refreshConversation("transcript");
        if (type === "message.created") { showCitizenTyping(false); }
        if (type === "message.updated" && event.data.delivery_status === "failed") { announce(texts.undelivered); }
      } else if (historyShows(ref)) {
        refreshHistory();
      }
      refreshLists();
      return;
    }
    if (type.indexOf("conversation.") === 0) {
      if (ref === reference) { refreshConversation("status"); }
      refreshLists();
    }
  }

  // --- websocket with reconnect and backoff ------------------------------------------------------------
  var socket = null;
  var attempt = 0;
  var stopped = false;

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/agent/");
    socket.addEventListener("open", function () {
      var reconnecting = attempt > 0;
      attempt = 0;
      setConnection("open");
      if (reference) { send({ type: "subscribe", reference: reference }); }
      if (reconnecting) { refreshLists(); refreshConversation(); refreshPresence(); }  // we may have missed events
    });
    socket.addEventListener("message", function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.type === "event" && frame.event) { onEvent(frame.event); }
    });
    socket.addEventListener("close", function (closing) {
      if (closing.code === 4401 || closing.code === 4403) {
        stopped = true;
        setConnection("ended");
        return;
      }
      if (stopped) { return; }
      setConnection("closed");
      attempt += 1;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  window.addEventListener("pagehide", function () { stopped = true; if (socket) { socket.close(); } });
  connect();
  // Keep-alive: the server clears connections that stay silent (crashed laptops), which would make us away.
  setInterval(function () { send({ type: "ping" }); }, 30000);
  // Waiting times are rendered by the server: refresh them now and then even when nothing happens.
  setInterval(refreshLists, 60000);

  // --- typing frames from the agent (throttled) --------------------------------------------------------
  var lastTypingSent = 0;
  var stopTypingTimer = null;
  function agentTyped() {
    var now = Date.now();
    if (now - lastTypingSent > 3000) {
      lastTypingSent = now;
      send({ type: "typing", reference: reference, typing: true });
    }
    clearTimeout(stopTypingTimer);
    stopTypingTimer = setTimeout(agentStoppedTyping, 4000);
  }
  function agentStoppedTyping() {
    clearTimeout(stopTypingTimer);
    if (lastTypingSent) {
      lastTypingSent = 0;
      send({ type: "typing", reference: reference, typing: false });
    }
  }

  document.addEventListener("input", function (e) {
    if (reference && e.target.closest && e.target.closest("#reply-box")) { agentTyped(); }
  });

  // Ctrl+Enter (Cmd+Enter) sends the reply or the note.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.tagName === "TEXTAREA" &&
        e.target.closest(".compose")) {
      var form = e.target.form;
      if (form) { e.preventDefault(); form.requestSubmit(); }
    }
  });

  // A reply may have gone to another channel's conversation: the timeline shows it.
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.id === "reply-box" && e.detail.successful) { refreshHistory(); }
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.target && e.target.id === "reply-box") { agentStoppedTyping(); }
  });

  // After a swap, keep keyboard focus where the agent was working and the transcript scrolled down.
  document.addEventListener("htmx:afterSwap", function (e) {
    var swapped = e.detail && e.detail.elt;
    var target = e.target;
    if (!target) { return; }
    if (target.id === "reply-box" || target.id === "note-box") {
      var area = document.querySelector("#" + target.id + " textarea");
      if (area) { area.focus(); }
    } else if (target.id === "conv-status" && e.detail.requestConfig && e.detail.requestConfig.verb === "post") {
      var fresh = document.getElementById("conv-status");
      var button = fresh && fresh.querySelector("button");
      (button || fresh).focus();
    } else if (target.id === "presence-box" && e.detail.requestConfig && e.detail.requestConfig.verb === "post") {
      var select = document.getElementById("id_presence");
      if (select) { select.focus(); }
    }
    if (target.id === "contact-history-body") { target.removeAttribute("aria-busy"); }
    scrollTranscript();
    return swapped;
  });

  function scrollTranscript() {
    var transcript = document.getElementById("transcript");
    if (transcript) { transcript.scrollTop = transcript.scrollHeight; }
  }
  scrollTranscript();

  // Buttons that answer without a fragment (hand back to the virtual agent, merge contacts): the server
  // reloads the page on success; a refusal (JSON {"message"} or an HTML error page) is shown and announced.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail && e.detail.elt;
    var xhr = e.detail && e.detail.xhr;
    if (!form || !xhr || xhr.status < 400 || form.getAttribute("hx-swap") !== "none") { return; }
    var message = "";
    try { message = JSON.parse(xhr.responseText).message || ""; } catch (err) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var error = doc.querySelector(".error");
      message = error ? error.textContent.trim() : "";
    }
    message = message || texts.failed || "";
    var box = form.hasAttribute("data-handback") ? document.getElementById("status-error") : null;
    if (box) { box.textContent = message; }
    announce(message);
  });

  // Announcements arrive by out-of-band swap; clear them later so the same text is announced again next time.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.target === announcer || (e.detail && e.detail.target === announcer)) {
      setTimeout(function () { if (announcer) { announcer.textContent = ""; } }, 5000);
    }
  });
})();
