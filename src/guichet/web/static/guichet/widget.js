/*
 * Guichet citizen chat widget. Dependency-free; embed with one tag on any page:
 *
 *   <script src="https://HOST/static/guichet/widget.js" data-inbox="demo-web" defer></script>
 *
 * Optional attributes: data-lang="en|fr" (language until the citizen picks one), data-open="true" (open on load).
 * It renders inside a shadow root (host CSS cannot reach it), derives its websocket URL from its own src
 * (ws/wss), keeps the conversation token in localStorage so a conversation survives reloads and browser
 * restarts, resends unacknowledged messages with the same client ids after a reconnect, and only ever writes
 * text with textContent. Protocol: see src/guichet/realtime/consumers.py. Documentation: docs/widget.md.
 */
(function () {
  "use strict";

  // The catalog is plain JSON between the markers: the server reads it for /widget-strings.json and tests.
  var STRINGS = /*GUICHET-STRINGS-BEGIN*/{
    "en": {
      "launcher": "Chat with us",
      "launcher_unread": "Chat with us (new message)",
      "title": "Chat with us",
      "close": "Close chat",
      "switch_language": "Français",
      "switch_language_label": "Afficher le clavardage en français",
      "active_offer": "Hello! Bonjour! How can we help you today? Write in English or French. / Comment pouvons-nous vous aider? Écrivez en français ou en anglais.",
      "deaf_note": "Deaf or hard of hearing? You can use this chat (text) instead of the phone.",
      "privacy_note": "Do not share your social insurance number or passwords here.",
      "log_label": "Conversation",
      "input_label": "Your message",
      "input_hint": "Press Enter to send. Press Shift and Enter for a new line.",
      "send": "Send",
      "display_options": "Display options",
      "large_text": "Large text",
      "high_contrast": "High contrast",
      "forget": "Forget this chat on this device",
      "forgotten": "This chat was removed from this device. You can start a new one.",
      "author_you": "You",
      "author_bot": "Virtual agent",
      "author_agent": "Agent",
      "author_system": "Notice",
      "state_sending": "Sending…",
      "state_sent": "Sent",
      "state_failed": "Not sent: {reason}",
      "connecting": "Connecting…",
      "reconnecting": "Connection lost. Reconnecting…",
      "unavailable": "Chat is not available on this page right now. Please use another way to contact us.",
      "typing_named": "{name} is typing…",
      "typing": "An agent is typing…",
      "status_bot": "You are chatting with a virtual agent. Ask for an agent at any time.",
      "status_queued": "You are waiting for an agent.",
      "status_assigned": "An agent has joined the conversation.",
      "status_pending": "The agent is waiting for your reply.",
      "status_resolved": "This conversation is closed. Write again if you need more help.",
      "reference": "Your reference number: {reference}",
      "queue_position": "You are number {position} in line.",
      "queue_position_wait": "You are number {position} in line, about {minutes} minutes.",
      "queue_position_wait_one": "You are number {position} in line, about 1 minute.",
      "queue_position_wait_short": "You are number {position} in line, less than a minute.",
      "callback_offer": "Rather not wait? We can call you back and you keep your place in line.",
      "callback_button": "Call me back",
      "callback_method": "How should we contact you?",
      "callback_by_phone": "By phone",
      "callback_by_email": "By email",
      "callback_by_chat": "Here in this chat when it is my turn (you can leave this page)",
      "callback_phone": "Phone number",
      "callback_email": "Email address",
      "callback_submit": "Request a call back",
      "callback_requested": "Thank you. We will call you back.",
      "survey_question": "How satisfied are you with this conversation?",
      "survey_rating_1": "1 – Very dissatisfied",
      "survey_rating_2": "2 – Dissatisfied",
      "survey_rating_3": "3 – Neutral",
      "survey_rating_4": "4 – Satisfied",
      "survey_rating_5": "5 – Very satisfied",
      "survey_comment": "Comment (optional)",
      "survey_submit": "Send my rating",
      "survey_choose": "Choose a rating first.",
      "survey_thanks": "Thank you for your feedback.",
      "source": "Source: {title}",
      "machine_translated": "Machine translation. Original: {original}",
      "suggestions": "Suggested answers",
      "session_restarted": "Your previous chat session ended. A new one has started.",
      "error_generic": "Something went wrong: {reason}",
      "empty_message": "Write a message before sending."
    },
    "fr": {
      "launcher": "Clavarder avec nous",
      "launcher_unread": "Clavarder avec nous (nouveau message)",
      "title": "Clavarder avec nous",
      "close": "Fermer le clavardage",
      "switch_language": "English",
      "switch_language_label": "Show the chat in English",
      "active_offer": "Bonjour! Hello! Comment pouvons-nous vous aider? Écrivez en français ou en anglais. / How can we help you today? Write in English or French.",
      "deaf_note": "Personne sourde ou malentendante? Vous pouvez utiliser ce clavardage (texte) au lieu du téléphone.",
      "privacy_note": "Ne communiquez pas votre numéro d’assurance sociale ni vos mots de passe ici.",
      "log_label": "Conversation",
      "input_label": "Votre message",
      "input_hint": "Appuyez sur Entrée pour envoyer. Appuyez sur Maj et Entrée pour changer de ligne.",
      "send": "Envoyer",
      "display_options": "Options d’affichage",
      "large_text": "Grand texte",
      "high_contrast": "Contraste élevé",
      "forget": "Oublier ce clavardage sur cet appareil",
      "forgotten": "Ce clavardage a été retiré de cet appareil. Vous pouvez en commencer un nouveau.",
      "author_you": "Vous",
      "author_bot": "Agent virtuel",
      "author_agent": "Agent",
      "author_system": "Avis",
      "state_sending": "Envoi en cours…",
      "state_sent": "Envoyé",
      "state_failed": "Non envoyé : {reason}",
      "connecting": "Connexion en cours…",
      "reconnecting": "Connexion perdue. Reconnexion en cours…",
      "unavailable": "Le clavardage n’est pas offert sur cette page pour le moment. Veuillez nous joindre autrement.",
      "typing_named": "{name} est en train d’écrire…",
      "typing": "Un agent est en train d’écrire…",
      "status_bot": "Vous clavardez avec un agent virtuel. Demandez un agent en tout temps.",
      "status_queued": "Vous attendez un agent.",
      "status_assigned": "Un agent s’est joint à la conversation.",
      "status_pending": "L’agent attend votre réponse.",
      "status_resolved": "Cette conversation est terminée. Écrivez de nouveau si vous avez besoin d’aide.",
      "reference": "Votre numéro de référence : {reference}",
      "queue_position": "Vous êtes le numéro {position} dans la file.",
      "queue_position_wait": "Vous êtes le numéro {position} dans la file, environ {minutes} minutes.",
      "queue_position_wait_one": "Vous êtes le numéro {position} dans la file, environ 1 minute.",
      "queue_position_wait_short": "Vous êtes le numéro {position} dans la file, moins d’une minute.",
      "callback_offer": "Vous préférez ne pas attendre? Nous pouvons vous rappeler et vous gardez votre place dans la file.",
      "callback_button": "Rappelez-moi",
      "callback_method": "Comment devrions-nous vous joindre?",
      "callback_by_phone": "Par téléphone",
      "callback_by_email": "Par courriel",
      "callback_by_chat": "Ici, dans ce clavardage, quand ce sera mon tour (vous pouvez quitter cette page)",
      "callback_phone": "Numéro de téléphone",
      "callback_email": "Adresse courriel",
      "callback_submit": "Demander un rappel",
      "callback_requested": "Merci. Nous vous rappellerons.",
      "survey_question": "Dans quelle mesure êtes-vous satisfait de cette conversation?",
      "survey_rating_1": "1 – Très insatisfait",
      "survey_rating_2": "2 – Insatisfait",
      "survey_rating_3": "3 – Neutre",
      "survey_rating_4": "4 – Satisfait",
      "survey_rating_5": "5 – Très satisfait",
      "survey_comment": "Commentaire (facultatif)",
      "survey_submit": "Envoyer mon évaluation",
      "survey_choose": "Choisissez d’abord une note.",
      "survey_thanks": "Merci de vos commentaires.",
      "source": "Source : {title}",
      "machine_translated": "Traduction automatique. Original : {original}",
      "suggestions": "Réponses suggérées",
      "session_restarted": "Votre séance de clavardage précédente a pris fin. Une nouvelle séance a commencé.",
      "error_generic": "Un problème est survenu : {reason}",
      "empty_message": "Écrivez un message avant de l’envoyer."
    }
  }/*GUICHET-STRINGS-END*/;

  var LANGUAGES = ["en", "fr"];
  var BACKOFF_BASE_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var PING_EVERY_MS = 25000;
  var TYPING_IDLE_MS = 4000;
  var MAX_CHARS = 4000;
  // Close codes from the server that mean "do not retry": unknown inbox, origin refused.
  var FATAL_CLOSE_CODES = { 4403: true, 4404: true };
  var REFUSALS_BEFORE_UNAVAILABLE = 3;
  var PREFS_KEY = "guichet:prefs";

  var CSS = [
    ":host { all: initial; }",
    ".gw { font: 400 medium/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1b1b;",
    "  --gw-accent: #1f4e8c; --gw-fg: #1b1b1b; --gw-bg: #fff; --gw-muted: #4a4a4a; --gw-border: #767676;",
    "  --gw-mine: #e8eef7; --gw-theirs: #f3f3f3; --gw-err: #a4262c; }",
    ".gw *, .gw *::before, .gw *::after { box-sizing: border-box; }",
    ".gw.gw--large { font-size: 125%; }",
    ".gw.gw--contrast { --gw-accent: #000; --gw-fg: #000; --gw-bg: #fff; --gw-muted: #000; --gw-border: #000;",
    "  --gw-mine: #fff; --gw-theirs: #fff; --gw-err: #8b0000; }",
    ".gw.gw--contrast .msg { border: 2px solid #000; }",
    "@media (prefers-contrast: more) { .gw { --gw-accent: #002a66; --gw-muted: #1b1b1b; --gw-border: #000; }",
    "  .gw .msg { border: 1px solid #000; } }",
    ".gw button, .gw textarea, .gw input { font: inherit; color: inherit; }",
    ".gw :focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; box-shadow: 0 0 0 5px #1b1b1b; }",
    ".launcher { position: fixed; right: 1em; bottom: 1em; z-index: 2147483000; display: inline-flex;",
    "  align-items: center; gap: .5em; min-height: 2.75em; padding: .6em 1.1em; border: 2px solid #fff;",
    "  border-radius: 2em; background: var(--gw-accent); color: #fff; font-weight: 700; cursor: pointer;",
    "  box-shadow: 0 2px 8px rgba(0,0,0,.35); max-width: calc(100vw - 2em); }",
    ".launcher__badge { display: inline-block; width: .75em; height: .75em; border-radius: 50%;",
    "  background: #ffbf47; border: 2px solid #fff; }",
    ".panel { position: fixed; right: 1em; bottom: 1em; z-index: 2147483001; display: flex; flex-direction: column;",
    "  width: min(26em, calc(100vw - 2em)); height: min(38em, calc(100vh - 2em)); background: var(--gw-bg);",
    "  color: var(--gw-fg); border: 1px solid var(--gw-border); border-radius: .5em;",
    "  box-shadow: 0 4px 24px rgba(0,0,0,.35); overflow: hidden; }",
    ".panel[hidden], .launcher[hidden], [hidden] { display: none !important; }",
    "@media (max-width: 30em), (max-height: 30em) { .panel { inset: 0; width: 100%; height: 100%;",
    "  border-radius: 0; } }",
    ".head { display: flex; flex-wrap: wrap; align-items: center; gap: .5em; padding: .5em .75em;",
    "  background: var(--gw-accent); color: #fff; }",
    ".head h2 { flex: 1 1 0; min-width: 0; margin: 0; font-size: 1.1em; overflow-wrap: anywhere; }",
    "@media (max-width: 22em) { .head { gap: .3em; padding: .4em .5em; } .head h2 { font-size: 1em; }",
    "  .head button { padding: .2em .45em; } }",
    ".head button { min-height: 2.75em; min-width: 2.75em; padding: .3em .7em; border: 2px solid #fff;",
    "  border-radius: .3em; background: transparent; color: #fff; cursor: pointer; }",
    ".body { flex: 1 1 auto; display: flex; flex-direction: column; min-height: 0; overflow: auto; }",
    ".notes { margin: 0; padding: .5em .75em; font-size: .9em; border-bottom: 1px solid var(--gw-border); }",
    ".notes p { margin: .2em 0; }",
    ".options { padding: .25em .75em; font-size: .9em; border-bottom: 1px solid var(--gw-border); }",
    ".options summary { cursor: pointer; min-height: 2em; padding: .25em 0; }",
    ".options label { display: flex; align-items: center; gap: .5em; min-height: 2.25em; }",
    ".options input { width: 1.25em; height: 1.25em; }",
    ".log-region { flex: 1 0 auto; }",
    ".log { margin: 0; padding: .75em; list-style: none; }",
    ".msg { max-width: 90%; margin: 0 0 .6em; padding: .4em .7em; border-radius: .5em; background: var(--gw-theirs);",
    "  overflow-wrap: anywhere; }",
    ".msg--contact { margin-left: auto; background: var(--gw-mine); }",
    ".msg--system, .msg--notice { max-width: 100%; background: transparent; color: var(--gw-muted);",
    "  font-style: italic; padding: .2em 0; }",
    ".msg__author { margin: 0; font-size: .8em; font-weight: 700; color: var(--gw-muted); }",
    ".msg__body { margin: 0; white-space: pre-wrap; }",
    ".msg__state { margin: .2em 0 0; font-size: .8em; color: var(--gw-muted); text-align: right; }",
    ".msg--failed .msg__state { color: var(--gw-err); font-weight: 700; }",
    ".msg__meta { margin: .3em 0 0; font-size: .85em; }",
    ".msg a { color: var(--gw-accent); }",
    ".actions { display: flex; flex-wrap: wrap; gap: .4em; margin-top: .4em; }",
    ".gw .btn { min-height: 2.75em; padding: .4em .8em; border: 2px solid var(--gw-accent); border-radius: .3em;",
    "  background: var(--gw-bg); color: var(--gw-accent); cursor: pointer; }",
    ".gw .btn[aria-pressed='true'], .gw .btn--primary { background: var(--gw-accent); color: #fff; }",
    ".gw .btn:disabled { opacity: 1; border-style: dashed; cursor: not-allowed; }",
    ".callback fieldset { border: 1px solid var(--gw-border); border-radius: .3em; margin: .4em 0 0; padding: .4em; }",
    ".callback legend { font-weight: 700; padding: 0 .25em; }",
    ".callback label { display: flex; align-items: center; gap: .4em; min-height: 2em; }",
    ".survey fieldset { border: 1px solid var(--gw-border); border-radius: .3em; margin: .4em 0 0; padding: .4em; }",
    ".survey legend { font-weight: 700; padding: 0 .25em; }",
    ".survey label { display: flex; align-items: center; gap: .4em; min-height: 2em; }",
    ".survey input[type=radio], .callback input[type=radio] { flex: 0 0 auto; width: 1.25em; height: 1.25em; margin: 0; }",
    ".survey textarea, .callback input[type=tel], .callback input[type=email] { width: 100%; margin: .2em 0 .4em; padding: .4em;",
    "  border: 1px solid var(--gw-border); border-radius: .3em; background: var(--gw-bg); }",
    ".status { margin: 0; padding: .2em .75em; min-height: 1.6em; font-size: .85em; color: var(--gw-muted); }",
    ".queue { margin: 0 .75em .5em; padding: .4em .6em; border-left: 4px solid var(--gw-accent); background: var(--gw-theirs); }",
    ".queue p { margin: .2em 0; }",
    ".form { display: flex; flex-wrap: wrap; gap: .4em; align-items: flex-end; padding: .5em .75em .75em;",
    "  border-top: 1px solid var(--gw-border); }",
    ".form label { flex: 1 0 100%; font-weight: 700; }",
    ".form .hint { flex: 1 0 100%; margin: 0; font-size: .8em; color: var(--gw-muted); }",
    ".form textarea { flex: 1 1 12em; min-height: 3em; max-height: 10em; resize: vertical; padding: .4em;",
    "  border: 1px solid var(--gw-border); border-radius: .3em; background: var(--gw-bg); }",
    ".form .btn--primary { flex: 0 0 auto; }",
    ".error { margin: 0 .75em; color: var(--gw-err); font-weight: 700; }",
    ".error:empty { display: none; }",
    ".sr-only { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);",
    "  white-space: nowrap; }",
    "@media (prefers-reduced-motion: no-preference) { .launcher, .btn { transition: background-color .15s; } }",
    "@media (prefers-reduced-motion: reduce) { .gw * { animation: none !important; transition: none !important; } }",
    "@media (forced-colors: active) { .launcher, .panel, .msg, .btn { border: 2px solid CanvasText; } }"
  ].join("\n");

  // ---------------------------------------------------------------------------------------------- helpers

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try {
      if (value === null || value === undefined) { window.localStorage.removeItem(key); }
      else { window.localStorage.setItem(key, value); }
    } catch (e) { /* private mode or full storage: the chat still works for this page view */ }
  }

  function readJson(key, fallback) {
    try { var v = JSON.parse(storageGet(key) || "null"); return v === null ? fallback : v; }
    catch (e) { return fallback; }
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(bytes); }
    else { for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); } }
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        if (attrs[name] === false || attrs[name] === null || attrs[name] === undefined) { return; }
        if (name === "className") { node.className = attrs[name]; }
        else { node.setAttribute(name, attrs[name] === true ? "" : String(attrs[name])); }
      });
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(value) {
    if (typeof value !== "string") { return null; }
    try {
      var url = new URL(value, window.location.href);
      return (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
    } catch (e) { return null; }
  }

  // Plain text with http(s) links made clickable; every piece is a text node or a checked <a>.
  function appendLinkified(parent, text) {
    var pattern = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var href = safeUrl(match[0]);
      if (!href) { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, match[0]);
      parent.appendChild(a);
      last = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function pickLanguage(candidates) {
    for (var i = 0; i < candidates.length; i++) {
      var code = (candidates[i] || "").toLowerCase().split("-")[0];
      if (LANGUAGES.indexOf(code) !== -1) { return code; }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------- widget

  function Widget(script) {
    this.script = script;
    this.inbox = script.getAttribute("data-inbox") || "";
    this.keyPrefix = "guichet:" + this.inbox + ":";
    this.socketUrl = Widget.socketUrlFor(script.src, this.inbox);
    this.lang = this.initialLanguage();
    this.prefs = readJson(PREFS_KEY, { large: false, contrast: false });
    this.token = storageGet(this.keyPrefix + "token");
    // Unacknowledged messages, oldest first: [{client_id, body}]. Kept across reloads and resent as they are.
    this.outbox = readJson(this.keyPrefix + "outbox", []);
    this.shown = {};          // seq -> element of every message already in the log
    this.pending = {};        // client_id -> element of our messages not yet acknowledged
    this.lastSeq = 0;
    // Highest seq the citizen has had in front of them: replayed old answers must not light the badge.
    this.seenSeq = Number(storageGet(this.keyPrefix + "seen") || 0);
    this.socket = null;
    this.ready = false;       // welcome received on the current socket
    this.helloPending = false; // a hello is waiting for its welcome
    this.attempt = 0;
    this.refusals = 0;        // handshakes refused in a row
    this.stopped = false;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.typingTimer = null;
    this.typingSent = false;
    this.isOpen = false;
    this.unread = false;
    this.status = null;
    this.reference = storageGet(this.keyPrefix + "reference");
    this.connection = "idle";
    this.queueInfo = null;
    this.build();
    this.applyPrefs();
    this.renderStrings();
    // Keep a live connection on every page only for citizens with a conversation (new replies, unread badge).
    if (this.reference || this.outbox.length) { this.connect(); }
    if (script.getAttribute("data-open") === "true" || storageGet(this.keyPrefix + "open") === "1") {
      this.open(false);
    }
  }

  Widget.socketUrlFor = function (src, inbox) {
    var url = new URL(src, window.location.href);
    var scheme = url.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + url.host + "/ws/widget/" + encodeURIComponent(inbox) + "/";
  };

  Widget.prototype.initialLanguage = function () {
    var chosen = storageGet("guichet:lang");
    var forced = this.script.getAttribute("data-lang");
    var page = document.documentElement.getAttribute("lang");
    // An explicit choice wins, then the embedding page's language, then the browser's.
    return pickLanguage([chosen, forced, page]) ||
      pickLanguage(navigator.languages || [navigator.language]) || "en";
  };

  Widget.prototype.t = function (key, params) {
    var text = (STRINGS[this.lang] && STRINGS[this.lang][key]) || STRINGS.en[key] || key;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
      });
    }
    return text;
  };

  // Fill a template whose placeholder becomes a DOM node (a link), without concatenating sentences.
  Widget.prototype.tNode = function (key, name, node) {
    var parts = STRINGS[this.lang][key].split("{" + name + "}");
    var span = el("span");
    span.appendChild(document.createTextNode(parts[0]));
    span.appendChild(node);
    span.appendChild(document.createTextNode(parts.slice(1).join("")));
    return span;
  };

  // --------------------------------------------------------------------------------------- DOM skeleton

  Widget.prototype.build = function () {
    var self = this;
    var host = el("div", { "data-guichet-widget": this.inbox, id: "guichet-widget-" + this.inbox });
    // Inline and important: even `div { display: none !important }` on the host page cannot hide the chat.
    host.style.setProperty("all", "initial", "important");
    host.style.setProperty("display", "block", "important");
    document.body.appendChild(host);
    this.host = host;
    var root = host.attachShadow({ mode: "open" });
    this.root = root;
    this.installStyles(root);

    var wrap = el("div", { className: "gw" });
    this.wrap = wrap;
    var launcher = el("button", { type: "button", className: "launcher", "aria-expanded": "false",
      "aria-controls": "gw-panel" });
    this.launcherText = el("span");
    this.launcherBadge = el("span", { className: "launcher__badge", hidden: true, "aria-hidden": "true" });
    launcher.appendChild(this.launcherText);
    launcher.appendChild(this.launcherBadge);
    launcher.addEventListener("click", function () { self.open(true); });
    this.launcher = launcher;

    var panel = el("section", { className: "panel", id: "gw-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "gw-title", "aria-describedby": "gw-notes", hidden: true });
    this.panel = panel;
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); self.close(true); }
    });
    // WCAG 2.4.11: the open panel may cover page links the citizen tabs to. Escape pressed in the page closes
    // it and leaves the focus where it is, so the focused link shows again without moving the focus.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && self.isOpen && !event.defaultPrevented) { self.close(false); }
    });

    var head = el("div", { className: "head" });
    this.title = el("h2", { id: "gw-title", tabindex: "-1" });
    this.langButton = el("button", { type: "button", className: "lang" });
    this.langButton.addEventListener("click", function () { self.setLanguage(self.lang === "en" ? "fr" : "en"); });
    this.closeButton = el("button", { type: "button", className: "close" });
    this.closeButton.addEventListener("click", function () { self.close(true); });
    head.appendChild(this.title);
    head.appendChild(this.langButton);
    head.appendChild(this.closeButton);

    var body = el("div", { className: "body" });
    this.body = body;
    var notes = el("div", { className: "notes", id: "gw-notes" });
    this.deafNote = el("p");
    this.privacyNote = el("p");
    this.referenceNote = el("p", { hidden: true });
    notes.appendChild(this.deafNote);
    notes.appendChild(this.privacyNote);
    notes.appendChild(this.referenceNote);

    var options = el("details", { className: "options" });
    this.optionsSummary = el("summary");
    options.appendChild(this.optionsSummary);
    this.largeBox = el("input", { type: "checkbox", name: "large-text" });
    this.contrastBox = el("input", { type: "checkbox", name: "high-contrast" });
    this.largeLabel = el("span");
    this.contrastLabel = el("span");
    var largeRow = el("label");
    largeRow.appendChild(this.largeBox);
    largeRow.appendChild(this.largeLabel);
    var contrastRow = el("label");
    contrastRow.appendChild(this.contrastBox);
    contrastRow.appendChild(this.contrastLabel);
    options.appendChild(largeRow);
    options.appendChild(contrastRow);
    // Shared computers (libraries, service centres): the next person must not see this conversation.
    this.forgetButton = el("button", { type: "button", className: "btn forget" });
    this.forgetButton.addEventListener("click", function () { self.forget(); });
    options.appendChild(this.forgetButton);
    this.largeBox.addEventListener("change", function () { self.setPref("large", self.largeBox.checked); });
    this.contrastBox.addEventListener("change", function () {
      self.setPref("contrast", self.contrastBox.checked);
    });

    // The log announces additions politely; state changes (Sending -> Sent) are not re-announced.
    this.logRegion = el("div", { className: "log-region", role: "log", "aria-live": "polite",
      "aria-relevant": "additions", id: "gw-log" });
    this.log = el("ol", { className: "log" });
    this.logRegion.appendChild(this.log);
    this.offer = el("li", { className: "msg msg--bot msg--offer" });
    this.offerAuthor = el("p", { className: "msg__author" });
    this.offerBody = el("p", { className: "msg__body" });
    this.offer.appendChild(this.offerAuthor);
    this.offer.appendChild(this.offerBody);
    this.log.appendChild(this.offer);

    this.queueBox = el("div", { className: "queue", hidden: true });
    this.queueLine = el("p", { className: "queue__position", role: "status" });
    this.queueBox.appendChild(this.queueLine);
    this.queueBox.appendChild(this.buildCallback());
    body.appendChild(notes);
    body.appendChild(options);
    body.appendChild(this.logRegion);
    body.appendChild(this.queueBox);

    this.statusLine = el("p", { className: "status", role: "status" });
    this.errorLine = el("p", { className: "error", role: "alert" });

    var form = el("form", { className: "form", novalidate: true });
    this.inputLabel = el("label", { "for": "gw-input" });
    this.input = el("textarea", { id: "gw-input", name: "message", rows: "2", maxlength: String(MAX_CHARS),
      "aria-describedby": "gw-hint", autocomplete: "off" });
    this.hint = el("p", { className: "hint", id: "gw-hint" });
    this.sendButton = el("button", { type: "submit", className: "btn btn--primary" });
    form.appendChild(this.inputLabel);
    form.appendChild(this.input);
    form.appendChild(this.sendButton);
    form.appendChild(this.hint);
    form.addEventListener("submit", function (event) { event.preventDefault(); self.submit(); });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submit();
      }
    });
    this.input.addEventListener("input", function () { self.noteTyping(); });

    panel.appendChild(head);
    panel.appendChild(body);
    panel.appendChild(this.statusLine);
    panel.appendChild(this.errorLine);
    panel.appendChild(form);
    wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(wrap);

    window.addEventListener("online", function () { self.reconnectSoon(0); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && !self.socket && self.wanted()) { self.reconnectSoon(0); }
    });
  };

  Widget.prototype.installStyles = function (root) {
    // Constructed sheets are not inline <style> elements, so strict host-page CSPs still let them apply.
    if (window.CSSStyleSheet && "adoptedStyleSheets" in Document.prototype) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) { /* fall back to a <style> element */ }
    }
    root.appendChild(el("style", null, CSS));
  };

  Widget.prototype.renderStrings = function () {
    this.wrap.setAttribute("lang", this.lang);
    this.launcherText.textContent = this.t(this.unread ? "launcher_unread" : "launcher");
    this.title.textContent = this.t("title");
    this.langButton.textContent = this.t("switch_language");
    this.langButton.setAttribute("lang", this.lang === "en" ? "fr" : "en");
    this.langButton.setAttribute("aria-label", this.t("switch_language_label"));
    this.closeButton.textContent = "×";
    this.closeButton.setAttribute("aria-label", this.t("close"));
    this.closeButton.setAttribute("title", this.t("close"));
    this.deafNote.textContent = this.t("deaf_note");
    this.privacyNote.textContent = this.t("privacy_note");
    this.optionsSummary.textContent = this.t("display_options");
    this.largeLabel.textContent = this.t("large_text");
    this.contrastLabel.textContent = this.t("high_contrast");
    this.forgetButton.textContent = this.t("forget");
    this.logRegion.setAttribute("aria-label", this.t("log_label"));
    this.offerAuthor.textContent = this.t("author_bot");
    this.offerBody.textContent = this.t("active_offer");
    this.inputLabel.textContent = this.t("input_label");
    this.hint.textContent = this.t("input_hint");
    this.sendButton.textContent = this.t("send");
    this.renderReference();
    this.renderQueue();
    this.renderConnection();
    var self = this;
    Object.keys(this.pending).forEach(function (id) { self.setState(self.pending[id], "sending"); });
    Object.keys(this.shown).forEach(function (seq) {
      var node = self.shown[seq];
      if (node.guichetRefresh) { node.guichetRefresh(); }
    });
  };

  // ------------------------------------------------------------------------------- open, close, prefs

  Widget.prototype.open = function (moveFocus) {
    this.isOpen = true;
    storageSet(this.keyPrefix + "open", "1");
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.setUnread(false);
    this.markSeen();
    this.connect();
    if (moveFocus) { this.input.focus(); }
    this.scrollToEnd();
  };

  Widget.prototype.close = function (moveFocus) {
    this.isOpen = false;
    storageSet(this.keyPrefix + "open", null);
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.sendTyping(false);
    if (moveFocus) { this.launcher.focus(); }
  };

  Widget.prototype.markSeen = function () {
    if (this.lastSeq > this.seenSeq) {
      this.seenSeq = this.lastSeq;
      storageSet(this.keyPrefix + "seen", String(this.seenSeq));
    }
  };

  Widget.prototype.setUnread = function (unread) {
    this.unread = unread;
    this.launcherBadge.hidden = !unread;
    this.launcherText.textContent = this.t(unread ? "launcher_unread" : "launcher");
  };

  Widget.prototype.setLanguage = function (lang) {
    if (LANGUAGES.indexOf(lang) === -1 || lang === this.lang) { return; }
    this.lang = lang;
    storageSet("guichet:lang", lang);
    this.renderStrings();
    // Tell the server too, so a conversation not started yet starts in the language the citizen chose.
    if (this.ready) { this.sendHello(); }
    this.langButton.focus();
  };

  // A citizen who writes French on an English page is answered in French: unless they chose a language
  // with the toggle, the widget follows the conversation's language of record.
  Widget.prototype.followConversationLanguage = function (language) {
    if (LANGUAGES.indexOf(language) === -1 || language === this.lang || pickLanguage([storageGet("guichet:lang")])) {
      return;
    }
    this.lang = language;
    this.renderStrings();
  };

  Widget.prototype.setPref = function (name, value) {
    this.prefs[name] = !!value;
    storageSet(PREFS_KEY, JSON.stringify(this.prefs));
    this.applyPrefs();
  };

  Widget.prototype.applyPrefs = function () {
    this.wrap.classList.toggle("gw--large", !!this.prefs.large);
    this.wrap.classList.toggle("gw--contrast", !!this.prefs.contrast);
    this.largeBox.checked = !!this.prefs.large;
    this.contrastBox.checked = !!this.prefs.contrast;
  };

  // ------------------------------------------------------------------------------------------ socket

  Widget.prototype.wanted = function () {
    return !this.stopped && (this.isOpen || !!this.reference || this.outbox.length > 0);
  };

  Widget.prototype.connect = function () {
    if (this.socket || this.stopped || !this.inbox) { return; }
    var self = this;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.setConnection("connecting");
    var socket;
    try { socket = new WebSocket(this.socketUrl); } catch (e) { this.scheduleReconnect(); return; }
    this.socket = socket;
    this.ready = false;
    var opened = false;
    socket.addEventListener("open", function () {
      if (self.socket !== socket) { return; }
      opened = true;
      self.refusals = 0;
      self.sendHello();
      clearInterval(self.pingTimer);
      self.pingTimer = setInterval(function () { self.sendFrame({ type: "ping" }); }, PING_EVERY_MS);
    });
    socket.addEventListener("message", function (event) {
      if (self.socket !== socket) { return; }
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.type === "string") { self.onFrame(frame); }
    });
    socket.addEventListener("close", function (event) {
      if (self.socket !== socket) { return; }
      self.socket = null;
      self.ready = false;
      clearInterval(self.pingTimer);
      if (FATAL_CLOSE_CODES[event.code]) {
        self.stopped = true;
        self.setConnection("unavailable");
        return;
      }
      // A refused handshake (unknown inbox, page not allowed, server down) closes before "open" with no
      // code the page can read: after a few, say so, but keep trying slowly in case the server comes back.
      if (!opened) { self.refusals += 1; }
      self.scheduleReconnect();
    });
  };

  // Exponential backoff with full jitter, so thousands of widgets do not reconnect in the same second.
  Widget.prototype.scheduleReconnect = function () {
    if (!this.wanted()) { this.setConnection("idle"); return; }
    this.setConnection(this.refusals >= REFUSALS_BEFORE_UNAVAILABLE ? "unavailable" : "reconnecting");
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, this.attempt));
    this.attempt += 1;
    this.reconnectSoon(ceiling / 2 + Math.random() * ceiling / 2);
  };

  Widget.prototype.reconnectSoon = function (delay) {
    var self = this;
    if (this.socket || this.stopped) { return; }
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () { self.reconnectTimer = null; self.connect(); }, delay);
  };

  Widget.prototype.sendFrame = function (frame) {
    if (!this.socket || this.socket.readyState !== 1) { return false; }
    this.socket.send(JSON.stringify(frame));
    return true;
  };

  Widget.prototype.sendHello = function () {
    this.helloPending = true;
    this.sendFrame({ type: "hello", token: this.token || null, language: this.lang, after_seq: this.lastSeq });
  };

  Widget.prototype.onFrame = function (frame) {
    switch (frame.type) {
      case "welcome": this.onWelcome(frame); break;
      case "message.ack": this.onAck(frame); break;
      case "event": if (frame.event) { this.onEvent(frame.event); } break;
      case "error": this.onError(frame); break;
      default: break;  // pong and future frame types
    }
  };

  Widget.prototype.onWelcome = function (frame) {
    var first = !this.ready;
    var answersHello = this.helloPending;
    this.helloPending = false;
    this.ready = true;
    this.attempt = 0;
    if (frame.token) {
      this.token = frame.token;
      storageSet(this.keyPrefix + "token", frame.token);
    }
    if (frame.reference) { this.reference = frame.reference; this.renderReference(); }
    if (frame.status) { this.status = frame.status; }
    this.followConversationLanguage(frame.language);
    this.setConnection("connected");
    // Positions are pushed when the line moves; one just connected asks for its place now.
    if (frame.status === "queued") { this.sendFrame({ type: "action", name: "queue.position", value: null }); }
    if (first) { this.flushOutbox(); }
    // A welcome for a conversation our first message just started: what was published before this socket
    // joined it (the virtual agent's first answer) is not pushed, so ask for a replay of what we lack.
    if (!answersHello && typeof frame.last_seq === "number" && frame.last_seq > this.lastSeq) { this.sendHello(); }
  };

  // Resend every unacknowledged message with its original client id: the server stores each id once.
  Widget.prototype.flushOutbox = function () {
    var self = this;
    this.outbox.forEach(function (item) {
      if (!self.pending[item.client_id]) { self.addPending(item.client_id, item.body); }
      self.sendFrame({ type: "message.send", client_id: item.client_id, body: item.body });
    });
  };

  Widget.prototype.saveOutbox = function () {
    storageSet(this.keyPrefix + "outbox", this.outbox.length ? JSON.stringify(this.outbox) : null);
  };

  Widget.prototype.submit = function () {
    var body = this.input.value.replace(/^\s+|\s+$/g, "");
    if (!body) {
      this.showError(this.t("empty_message"));
      this.input.focus();
      return;
    }
    this.showError("");
    var item = { client_id: newClientId(), body: body };
    this.outbox.push(item);
    this.saveOutbox();
    this.addPending(item.client_id, body);
    this.input.value = "";
    this.sendTyping(false);
    if (this.ready) { this.sendFrame({ type: "message.send", client_id: item.client_id, body: body }); }
    else { this.connect(); }
  };

  Widget.prototype.onAck = function (frame) {
    var id = frame.client_id;
    this.outbox = this.outbox.filter(function (item) { return item.client_id !== id; });
    this.saveOutbox();
    var node = this.pending[id];
    if (!node) { return; }
    delete this.pending[id];
    this.setState(node, "sent");
    if (typeof frame.seq === "number") { this.placeMessage(node, frame.seq); }
  };

  Widget.prototype.onError = function (frame) {
    var code = frame.code;
    var message = typeof frame.message === "string" ? frame.message : "";
    if (code === "invalid_token") {
      // The old conversation cannot be reached any more: forget it and start a fresh session.
      this.token = null;
      storageSet(this.keyPrefix + "token", null);
      this.resetLog();
      this.showNotice(this.t("session_restarted"));
      this.sendHello();
      return;
    }
    if (code === "not_ready") { this.sendHello(); return; }
    if (frame.client_id && this.pending[frame.client_id]) {
      // The server refused this message for good (too long, empty...): keep it visible as not sent.
      var id = frame.client_id;
      this.outbox = this.outbox.filter(function (item) { return item.client_id !== id; });
      this.saveOutbox();
      var node = this.pending[id];
      delete this.pending[id];
      this.setState(node, "failed", message);
      return;
    }
    // Server messages are already written for citizens and translated; the generic line is a fallback.
    this.showError(message || this.t("error_generic", { reason: code || "?" }));
  };

  Widget.prototype.onEvent = function (event) {
    var data = event.data || {};
    switch (event.type) {
      case "message.created": this.onMessage(data); break;
      case "conversation.typing": this.onTyping(data); break;
      case "conversation.updated": this.onStatus(data); break;
      case "queue.position_changed": this.onQueue(data); break;
      case "callback.offered": this.onQueue({ position: this.queueInfo && this.queueInfo.position,
        estimated_wait_s: this.queueInfo && this.queueInfo.estimated_wait_s, callback_offered: true }); break;
      default: break;
    }
  };

  // ---------------------------------------------------------------------------------------- messages

  Widget.prototype.onMessage = function (data) {
    var seq = data.seq;
    if (typeof seq !== "number" || this.shown[seq]) { return; }
    if (data.author_kind === "contact" && data.client_id && this.pending[data.client_id]) {
      // Our own message, stored: it takes its place by seq, but shows "Sent" only once the ack arrives.
      this.placeMessage(this.pending[data.client_id], seq);
      return;
    }
    var node = this.renderMessage(data);
    this.placeMessage(node, seq);
    if (data.author_kind !== "contact") {
      this.typingLine(null);
      if (!this.isOpen && seq > this.seenSeq) { this.setUnread(true); }
    }
    if (this.isOpen) { this.markSeen(); }
  };

  Widget.prototype.placeMessage = function (node, seq) {
    this.shown[seq] = node;
    node.setAttribute("data-seq", String(seq));
    if (seq > this.lastSeq) { this.lastSeq = seq; }
    // Keep the log ordered by seq; unacknowledged messages (no seq yet) stay at the end.
    var before = null;
    var items = this.log.children;
    for (var i = 0; i < items.length; i++) {
      var other = items[i];
      if (other === node) { continue; }
      var otherSeq = other.getAttribute("data-seq");
      if (otherSeq === null && other.classList.contains("msg--pending")) { before = other; break; }
      if (otherSeq !== null && Number(otherSeq) > seq) { before = other; break; }
    }
    if (node.parentNode !== this.log || node.nextSibling !== before) { this.log.insertBefore(node, before); }
    node.classList.remove("msg--pending");
    this.scrollToEnd();
  };

  Widget.prototype.authorLabel = function (data) {
    if (data.author_kind === "contact") { return this.t("author_you"); }
    if (data.author_kind === "bot") { return this.t("author_bot"); }
    if (data.author_kind === "system") { return this.t("author_system"); }
    return data.author_name || this.t("author_agent");
  };

  Widget.prototype.renderMessage = function (data) {
    var self = this;
    var kind = ["contact", "bot", "agent", "system"].indexOf(data.author_kind) !== -1 ? data.author_kind : "system";
    var node = el("li", { className: "msg msg--" + kind });
    // The body's own language (a machine translation is in the citizen's); the original keeps its own.
    var bodyLanguage = data.body_language || data.language;
    if (bodyLanguage) { node.setAttribute("lang", String(bodyLanguage)); }
    var author = el("p", { className: "msg__author" });
    var body = el("p", { className: "msg__body", dir: "auto" });  // right-to-left scripts (ar, he, fa) too
    appendLinkified(body, String(data.body || ""));
    node.appendChild(author);
    node.appendChild(body);
    var translated = data.machine_translated && data.original_body ? el("p", { className: "msg__meta" }) : null;
    if (translated) { node.appendChild(translated); }
    var source = safeUrl(data.metadata && data.metadata.source_url) ? el("p", { className: "msg__meta" }) : null;
    if (source) { node.appendChild(source); }
    if (kind === "contact") {
      node.appendChild(el("p", { className: "msg__state" }, this.t("state_sent")));
    }
    var extras = el("div");
    node.appendChild(extras);
    node.guichetRefresh = function () {
      author.textContent = self.authorLabel(data);
      author.setAttribute("lang", self.lang);
      if (translated) {
        var original = el("span", {}, String(data.original_body));
        if (data.language) { original.setAttribute("lang", String(data.language)); }
        translated.textContent = "";
        translated.appendChild(self.tNode("machine_translated", "original", original));
        translated.setAttribute("lang", self.lang);
      }
      if (source) {
        var url = safeUrl(data.metadata.source_url);
        var title = String(data.metadata.source_title || url);
        var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, title);
        source.textContent = "";
        source.appendChild(self.tNode("source", "title", link));
      }
      var state = node.querySelector(".msg__state");
      if (state && !node.classList.contains("msg--failed") && !node.classList.contains("msg--pending")) {
        state.textContent = self.t("state_sent");
      }
      // Buttons and surveys carry their own state, so they are built once and only relabelled.
      self.renderExtras(extras, data);
    };
    node.guichetRefresh();
    return node;
  };

  Widget.prototype.renderExtras = function (container, data) {
    var metadata = data.metadata || {};
    if (Array.isArray(metadata.buttons) && metadata.buttons.length) {
      this.renderButtons(container, metadata.buttons, data.seq);
    }
    if (metadata.survey) { this.renderSurvey(container, data.seq, metadata.survey); }
  };

  Widget.prototype.renderButtons = function (container, buttons, seq) {
    var self = this;
    var group = container.querySelector(".actions");
    if (!group) {
      group = el("div", { className: "actions", role: "group" });
      buttons.forEach(function (spec) {
        if (!spec || typeof spec.action !== "string") { return; }
        var button = el("button", { type: "button", className: "btn", "aria-pressed": "false" },
          String(spec.label || spec.value || spec.action));
        button.addEventListener("click", function () {
          if (self.sendFrame({ type: "action", name: spec.action, value: spec.value === undefined ? null : spec.value })) {
            Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
              b.setAttribute("aria-pressed", b === button ? "true" : "false");
            });
          }
        });
        group.appendChild(button);
      });
      group.setAttribute("data-seq", String(seq));
      container.appendChild(group);
    }
    group.setAttribute("aria-label", this.t("suggestions"));
  };

  // metadata.survey is `true` or {"scale": 5, "action": "survey.rate", "question": ...} (analytics.ask_survey).
  Widget.prototype.renderSurvey = function (container, seq, spec) {
    var self = this;
    var doneKey = this.keyPrefix + "survey:" + seq;
    var scale = spec && Number(spec.scale) >= 2 && Number(spec.scale) <= 10 ? Math.floor(Number(spec.scale)) : 5;
    var actionName = spec && typeof spec.action === "string" ? spec.action : "survey.rate";
    var form = container.querySelector("form.survey");
    if (!form) {
      form = el("form", { className: "survey", novalidate: true });
      var fieldset = el("fieldset");
      fieldset.appendChild(el("legend"));
      for (var rating = 1; rating <= scale; rating++) {
        var label = el("label");
        label.appendChild(el("input", { type: "radio", name: "rating-" + seq, value: String(rating) }));
        label.appendChild(el("span", { "data-rating": String(rating) }));
        fieldset.appendChild(label);
      }
      var commentId = "gw-survey-comment-" + seq;
      fieldset.appendChild(el("label", { "for": commentId, className: "survey__comment-label" }));
      fieldset.appendChild(el("textarea", { id: commentId, rows: "2", maxlength: "2000" }));
      fieldset.appendChild(el("p", { className: "survey__error error", role: "alert" }));
      fieldset.appendChild(el("button", { type: "submit", className: "btn btn--primary" }));
      form.appendChild(fieldset);
      form.appendChild(el("p", { className: "survey__thanks", role: "status" }));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var checked = form.querySelector("input[type=radio]:checked");
        var error = form.querySelector(".survey__error");
        if (!checked) { error.textContent = self.t("survey_choose"); checked = form.querySelector("input"); checked.focus(); return; }
        error.textContent = "";
        var comment = form.querySelector("textarea").value.replace(/^\s+|\s+$/g, "");
        if (self.sendFrame({ type: "action", name: actionName,
          value: { rating: Number(checked.value), comment: comment } })) {
          storageSet(doneKey, "1");
          self.renderSurvey(container, seq, spec);
          // The fieldset that had the focus is now hidden: keep the focus in the chat, on the thanks (2.4.3).
          var thanks = form.querySelector(".survey__thanks");
          thanks.setAttribute("tabindex", "-1");
          thanks.focus();
        }
      });
      container.appendChild(form);
    }
    var done = storageGet(doneKey) === "1";
    form.querySelector("legend").textContent = this.t("survey_question");
    Array.prototype.forEach.call(form.querySelectorAll("[data-rating]"), function (span) {
      var value = span.getAttribute("data-rating");
      span.textContent = scale === 5 ? self.t("survey_rating_" + value) : value;
    });
    form.querySelector(".survey__comment-label").textContent = this.t("survey_comment");
    form.querySelector("button").textContent = this.t("survey_submit");
    form.querySelector("fieldset").disabled = done;
    form.querySelector("fieldset").hidden = done;
    form.querySelector(".survey__thanks").textContent = done ? this.t("survey_thanks") : "";
  };

  Widget.prototype.addPending = function (clientId, body) {
    var node = el("li", { className: "msg msg--contact msg--pending" });
    node.appendChild(el("p", { className: "msg__author" }, this.t("author_you")));
    var text = el("p", { className: "msg__body", dir: "auto" });
    appendLinkified(text, body);
    node.appendChild(text);
    node.appendChild(el("p", { className: "msg__state" }));
    node.setAttribute("data-client-id", clientId);
    this.pending[clientId] = node;
    this.setState(node, "sending");
    this.log.appendChild(node);
    this.scrollToEnd();
  };

  Widget.prototype.setState = function (node, state, reason) {
    var line = node.querySelector(".msg__state");
    node.classList.toggle("msg--failed", state === "failed");
    if (state !== "sending") { node.classList.remove("msg--pending"); }
    node.setAttribute("data-state", state);
    if (state === "failed") { line.textContent = this.t("state_failed", { reason: reason || "" }); }
    else { line.textContent = this.t(state === "sent" ? "state_sent" : "state_sending"); }
  };

  Widget.prototype.resetLog = function () {
    var self = this;
    var stillPending = [];
    Object.keys(this.pending).forEach(function (id) { stillPending.push(self.pending[id]); });
    // Messages of the old conversation go; unacknowledged ones stay and are resent in the new one.
    Object.keys(this.shown).forEach(function (seq) {
      var node = self.shown[seq];
      if (stillPending.indexOf(node) !== -1) { node.removeAttribute("data-seq"); node.classList.add("msg--pending"); }
      else if (node.parentNode) { node.parentNode.removeChild(node); }
    });
    this.shown = {};
    this.lastSeq = 0;
    this.seenSeq = 0;
    storageSet(this.keyPrefix + "seen", null);
    this.reference = null;
    this.queueInfo = null;
    this.renderReference();
    this.renderQueue();
  };

  Widget.prototype.forget = function () {
    var socket = this.socket;
    this.socket = null;
    this.ready = false;
    if (socket) { socket.close(); }
    clearInterval(this.pingTimer);
    clearTimeout(this.reconnectTimer);
    var self = this;
    Object.keys(this.pending).forEach(function (id) {
      var node = self.pending[id];
      if (node.parentNode) { node.parentNode.removeChild(node); }
    });
    this.pending = {};
    this.outbox = [];
    this.saveOutbox();
    this.token = null;
    storageSet(this.keyPrefix + "token", null);
    this.status = null;
    this.resetLog();
    Array.prototype.forEach.call(this.log.querySelectorAll(".msg--notice"), function (node) {
      node.parentNode.removeChild(node);
    });
    this.showNotice(this.t("forgotten"));
    this.setConnection("idle");
    if (this.isOpen) { this.connect(); }
  };

  Widget.prototype.showNotice = function (text) {
    var node = el("li", { className: "msg msg--notice" }, text);
    this.log.appendChild(node);
    this.scrollToEnd();
  };

  Widget.prototype.showError = function (text) {
    this.errorLine.textContent = text;
  };

  Widget.prototype.scrollToEnd = function () {
    if (this.isOpen) { this.body.scrollTop = this.body.scrollHeight; }
  };

  // ------------------------------------------------------------------ typing, status, queue, reference

  Widget.prototype.noteTyping = function () {
    var self = this;
    if (!this.typingSent) { this.sendTyping(true); }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { self.sendTyping(false); }, TYPING_IDLE_MS);
  };

  Widget.prototype.sendTyping = function (typing) {
    clearTimeout(this.typingTimer);
    if (this.typingSent === typing || !this.ready) { return; }
    if (this.sendFrame({ type: "typing", typing: typing })) { this.typingSent = typing; }
  };

  Widget.prototype.onTyping = function (data) {
    if (data.who !== "agent") { return; }
    this.typingLine(data.typing ? (data.name ? this.t("typing_named", { name: data.name }) : this.t("typing")) : null);
  };

  Widget.prototype.typingLine = function (text) {
    this.typingText = text;
    this.renderConnection();
  };

  Widget.prototype.onStatus = function (data) {
    if (data.reference) { this.reference = data.reference; this.renderReference(); }
    this.followConversationLanguage(data.language);
    if (!data.status || data.status === this.status) { return; }
    this.status = data.status;
    if (data.status !== "queued") { this.queueInfo = null; this.renderQueue(); }
    var key = "status_" + data.status;
    if (STRINGS.en[key]) { this.showNotice(this.t(key)); }
  };

  Widget.prototype.onQueue = function (data) {
    this.queueInfo = {
      position: typeof data.position === "number" ? data.position : null,
      estimated_wait_s: typeof data.estimated_wait_s === "number" ? data.estimated_wait_s : null,
      callback_offered: !!data.callback_offered,
      callback_requested: !!data.callback_requested
    };
    this.renderQueue();
  };

  Widget.prototype.queueText = function () {
    var info = this.queueInfo;
    if (!info || info.position === null) { return ""; }
    if (info.estimated_wait_s === null) { return this.t("queue_position", { position: info.position }); }
    var minutes = Math.round(info.estimated_wait_s / 60);
    if (info.estimated_wait_s < 60) { return this.t("queue_position_wait_short", { position: info.position }); }
    if (minutes <= 1) { return this.t("queue_position_wait_one", { position: info.position }); }
    return this.t("queue_position_wait", { position: info.position, minutes: minutes });
  };

  Widget.prototype.renderQueue = function () {
    var info = this.queueInfo;
    var text = this.queueText();
    this.queueBox.hidden = !info || (!text && !info.callback_offered && !info.callback_requested);
    if (this.queueLine.textContent !== text) { this.queueLine.textContent = text; }
    var offered = !!info && (info.callback_offered || info.callback_requested);
    this.callbackBox.hidden = !offered;
    if (!offered) { return; }
    var requested = !!info.callback_requested;
    var form = this.callbackForm;
    this.callbackOffer.textContent = this.t(requested ? "callback_requested" : "callback_offer");
    this.callbackReveal.textContent = this.t("callback_button");
    this.callbackReveal.hidden = requested;
    if (requested) { form.hidden = true; }
    form.querySelector("legend").textContent = this.t("callback_method");
    var self = this;
    Array.prototype.forEach.call(form.querySelectorAll("[data-key]"), function (node) {
      node.textContent = self.t(node.getAttribute("data-key"));
    });
  };

  // The callback offer: phone, email, or "answer here when it is my turn" (routing's "callback.request").
  Widget.prototype.buildCallback = function () {
    var self = this;
    var box = el("div", { className: "callback", hidden: true });
    this.callbackOffer = el("p", { className: "callback__offer" });
    this.callbackReveal = el("button", { type: "button", className: "btn callback__reveal", "aria-expanded": "false",
      "aria-controls": "gw-callback-form" });
    var form = el("form", { className: "callback__form", id: "gw-callback-form", hidden: true, novalidate: true });
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend"));
    [["phone", "callback_by_phone"], ["email", "callback_by_email"], ["chat", "callback_by_chat"]]
      .forEach(function (pair) {
        var label = el("label");
        label.appendChild(el("input", { type: "radio", name: "gw-callback-method", value: pair[0],
          checked: pair[0] === "phone" }));
        label.appendChild(el("span", { "data-key": pair[1] }));
        fieldset.appendChild(label);
      });
    var phoneLabel = el("label", { "for": "gw-callback-phone", "data-key": "callback_phone" });
    var phone = el("input", { id: "gw-callback-phone", type: "tel", autocomplete: "tel", name: "phone" });
    var emailLabel = el("label", { "for": "gw-callback-email", "data-key": "callback_email", hidden: true });
    var email = el("input", { id: "gw-callback-email", type: "email", autocomplete: "email", name: "email",
      hidden: true });
    [phoneLabel, phone, emailLabel, email].forEach(function (node) { fieldset.appendChild(node); });
    fieldset.appendChild(el("button", { type: "submit", className: "btn btn--primary", "data-key": "callback_submit" }));
    form.appendChild(fieldset);
    function method() { return form.querySelector("input[type=radio]:checked").value; }
    form.addEventListener("change", function () {
      phoneLabel.hidden = phone.hidden = method() !== "phone";
      emailLabel.hidden = email.hidden = method() !== "email";
    });
    this.callbackReveal.addEventListener("click", function () {
      form.hidden = false;
      self.callbackReveal.setAttribute("aria-expanded", "true");
      form.querySelector("input[type=radio]:checked").focus();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = { method: method() };
      if (value.method === "phone") { value.phone = phone.value.replace(/^\s+|\s+$/g, ""); }
      if (value.method === "email") { value.email = email.value.replace(/^\s+|\s+$/g, ""); }
      self.showError("");
      // The server confirms with a notice in the log and a queue update; errors come back as error frames.
      self.sendFrame({ type: "action", name: "callback.request", value: value });
    });
    box.appendChild(this.callbackOffer);
    box.appendChild(this.callbackReveal);
    box.appendChild(form);
    this.callbackForm = form;
    this.callbackBox = box;
    return box;
  };

  Widget.prototype.renderReference = function () {
    storageSet(this.keyPrefix + "reference", this.reference || null);
    this.referenceNote.hidden = !this.reference;
    this.referenceNote.textContent = this.reference ? this.t("reference", { reference: this.reference }) : "";
  };

  Widget.prototype.setConnection = function (state) {
    this.connection = state;
    this.renderConnection();
  };

  Widget.prototype.renderConnection = function () {
    var labels = { connecting: "connecting", reconnecting: "reconnecting", unavailable: "unavailable" };
    var text = labels[this.connection] ? this.t(labels[this.connection]) : (this.typingText || "");
    if (this.statusLine.textContent !== text) { this.statusLine.textContent = text; }
    this.host.setAttribute("data-connection", this.connection);
  };

  // ---------------------------------------------------------------------------------------------- start

  var api = window.GuichetWidget || { instances: {} };
  api.strings = STRINGS;
  api.languages = LANGUAGES.slice();
  window.GuichetWidget = api;

  function start() {
    var scripts = document.querySelectorAll("script[data-inbox]");
    Array.prototype.forEach.call(scripts, function (script) {
      var inbox = script.getAttribute("data-inbox");
      if (!inbox || api.instances[inbox] || !/\/widget\.js(\?|#|$)/.test(script.src || "")) { return; }
      api.instances[inbox] = new Widget(script);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
