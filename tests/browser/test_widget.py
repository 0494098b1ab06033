"""The citizen widget in a real browser against a real server: keyboard, language, replay, preferences, safety."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request

import pytest

from tests.browser.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
# In embedded mode the virtual agent answers inline, before the ack, and loads its model on first use.
FIRST_ACK_TIMEOUT_MS = 120_000
LOG = f"{WIDGET} ol.log"

# Which element inside the widget's shadow root has the keyboard focus ("" when the focus is elsewhere).
FOCUSED_IN_WIDGET = """() => {
  const host = document.querySelector('[data-guichet-widget]');
  const active = host && host.shadowRoot.activeElement;
  return active ? (active.id || active.className) : '';
}"""


def tab_to_launcher(page, limit: int = 40) -> None:
    """Press Tab like a keyboard user until the chat launcher has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_IN_WIDGET) == "launcher":
            return
    raise AssertionError("the chat launcher cannot be reached with Tab")


def open_with_keyboard(page) -> None:
    tab_to_launcher(page)
    page.keyboard.press("Enter")
    page.locator(f"{WIDGET} section.panel").wait_for(state="visible")


def test_keyboard_french_message_acknowledged_restored_after_reload_and_escape_returns_focus(new_page):
    page = new_page(locale="fr-CA")
    page.goto("/")
    launcher = page.locator(f"{WIDGET} button.launcher")
    # The English page decides the language before the French browser does.
    assert launcher.inner_text().strip() == "Chat with us"

    open_with_keyboard(page)
    assert page.evaluate(FOCUSED_IN_WIDGET) == "gw-input"
    offer = page.locator(f"{LOG} li.msg--offer")
    assert "Hello! Bonjour!" in offer.inner_text()
    assert "instead of the phone" in page.locator(f"{WIDGET} #gw-notes").inner_text()

    page.keyboard.type("Bonjour, je voudrais changer mon adresse.")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Merci!")
    page.keyboard.press("Enter")
    mine = page.locator(f"{LOG} li.msg--contact")
    mine.first.wait_for()
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for(timeout=FIRST_ACK_TIMEOUT_MS)
    assert mine.count() == 1
    assert mine.first.locator(".msg__body").inner_text() == "Bonjour, je voudrais changer mon adresse.\nMerci!"
    assert mine.first.get_attribute("data-seq") == "1"
    reference = page.locator(f"{WIDGET} #gw-notes").inner_text()
    assert "GC-" in reference
    assert page.evaluate("() => localStorage.getItem('guichet:demo-web:token')")
    assert page.evaluate("() => localStorage.getItem('guichet:demo-web:outbox')") is None
    # The virtual agent's answer shows without a reload (live, or by the replay the widget asks for when it
    # was published before this socket joined the new conversation).
    page.locator(f"{LOG} li[data-seq]:not(.msg--contact)").first.wait_for()

    page.reload()
    restored = page.locator(f"{LOG} li.msg--contact[data-seq='1']")
    restored.wait_for()
    assert restored.locator(".msg__body").inner_text() == "Bonjour, je voudrais changer mon adresse.\nMerci!"
    assert page.locator(f"{LOG} li.msg--contact").count() == 1

    page.locator(f"{WIDGET} #gw-input").focus()
    page.keyboard.press("Escape")
    page.locator(f"{WIDGET} section.panel").wait_for(state="hidden")
    assert page.evaluate(FOCUSED_IN_WIDGET) == "launcher"
    assert launcher.get_attribute("aria-expanded") == "false"


def test_large_text_and_high_contrast_persist_across_reload(new_page):
    page = new_page()
    page.goto("/demo/benefits/")
    open_with_keyboard(page)
    page.locator(f"{WIDGET} details.options summary").click()
    page.get_by_label("Large text").check()
    page.get_by_label("High contrast").check()
    wrap = page.locator(f"{WIDGET} div.gw")
    size_large = page.evaluate("() => getComputedStyle(document.querySelector('[data-guichet-widget]')"
                               ".shadowRoot.querySelector('.launcher')).fontSize")

    page.reload()
    assert "gw--large" in wrap.get_attribute("class")
    assert "gw--contrast" in wrap.get_attribute("class")
    size_after = page.evaluate("() => getComputedStyle(document.querySelector('[data-guichet-widget]')"
                               ".shadowRoot.querySelector('.launcher')).fontSize")
    assert size_after == size_large == "20px"
    page.locator(f"{WIDGET} section.panel").wait_for(state="visible")  # an open chat stays open on reload
    page.locator(f"{WIDGET} details.options summary").click()
    assert page.get_by_label("Large text").is_checked()
    page.get_by_label("Large text").uncheck()
    page.reload()
    assert "gw--large" not in wrap.get_attribute("class")


def test_french_page_speaks_french_and_the_toggle_is_remembered(new_page, live_server):
    page = new_page(locale="en-CA")
    page.goto("/fr/")
    launcher = page.locator(f"{WIDGET} button.launcher")
    assert launcher.inner_text().strip() == "Clavarder avec nous"
    launcher.click()
    assert page.locator(f"{WIDGET} #gw-title").inner_text() == "Clavarder avec nous"
    toggle = page.locator(f"{WIDGET} button.lang")
    assert toggle.inner_text() == "English" and toggle.get_attribute("lang") == "en"
    toggle.click()
    assert page.locator(f"{WIDGET} #gw-title").inner_text() == "Chat with us"
    assert page.locator(f"{WIDGET} label[for=gw-input]").inner_text() == "Your message"

    page.reload()
    assert page.locator(f"{WIDGET} #gw-title").inner_text() == "Chat with us"
    assert page.evaluate("() => document.documentElement.lang") == "fr"


def test_catalog_in_the_page_matches_the_served_one_and_is_complete(new_page, live_server):
    page = new_page()
    page.goto("/")
    strings = page.evaluate("() => window.GuichetWidget.strings")
    with urllib.request.urlopen(f"{live_server.url}/widget-strings.json") as response:
        served = json.load(response)
    assert strings == served
    assert set(strings["en"]) == set(strings["fr"])
    assert all(value.strip() for language in strings.values() for value in language.values())


def test_message_text_is_never_interpreted_as_html(new_page):
    page = new_page()
    page.goto("/demo/benefits/")
    page.locator(f"{WIDGET} button.launcher").click()
    attack = '<img src=x onerror="window.pwned=1"><b>bold</b>'
    page.locator(f"{WIDGET} #gw-input").fill(attack)
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    assert page.locator(f"{LOG} li.msg--contact .msg__body").inner_text() == attack
    assert page.locator(f"{LOG} img, {LOG} b").count() == 0
    page.reload()
    page.locator(f"{LOG} li.msg--contact[data-seq]").first.wait_for()
    assert page.locator(f"{LOG} img, {LOG} b").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_buttons_survey_source_and_queue_position_render_from_server_frames(new_page):
    """Frames shaped as the server sends them; a button's action goes to the real server, which answers."""
    page = new_page()
    page.goto("/demo/benefits/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} #gw-input").fill("Hello")
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    page.evaluate("""() => {
      const widget = window.GuichetWidget.instances['benefits-web'];
      const message = (seq, metadata, body) => ({type: 'event', event: {id: 'e' + seq, type: 'message.created',
        data: {seq, author_kind: 'bot', author_name: '', body, language: 'en', metadata}}});
      widget.onFrame(message(901, {buttons: [{label: 'Talk to an agent', action: 'no.such.action', value: 'x'}]},
                             'Pick one'));
      widget.onFrame(message(903, {survey: true}, 'How did we do?'));
      widget.onFrame(message(902, {source_url: 'https://example.gc.ca/address', source_title: 'Change of address'},
                             'You can change it online.'));
      widget.onFrame(message(904, {source_url: 'javascript:alert(1)', source_title: 'bad'}, 'No link here.'));
    }""")
    queue_text = page.evaluate("""() => {
      const widget = window.GuichetWidget.instances['benefits-web'];
      widget.onFrame({type: 'event', event: {id: 'q1', type: 'queue.position_changed',
        data: {position: 3, estimated_wait_s: 240, callback_offered: true}}});
      return widget.queueLine.textContent;
    }""")
    assert queue_text == "You are number 3 in line, about 4 minutes."
    # The conversation's language of record becomes French: the widget follows until the citizen chooses.
    queue_text_fr = page.evaluate("""() => {
      const widget = window.GuichetWidget.instances['benefits-web'];
      widget.onFrame({type: 'event', event: {id: 'q2', type: 'queue.position_changed',
        data: {position: 3, estimated_wait_s: 240, callback_offered: true}}});
      widget.onFrame({type: 'event', event: {id: 'u1', type: 'conversation.updated',
        data: {reference: widget.reference, status: 'queued', language: 'fr'}}});
      return widget.queueLine.textContent;
    }""")
    assert queue_text_fr == "Vous êtes le numéro 3 dans la file, environ 4 minutes."
    assert page.locator(f"{WIDGET} #gw-title").inner_text() == "Clavarder avec nous"
    page.locator(f"{WIDGET} button.lang").click()
    page.evaluate("""() => window.GuichetWidget.instances['benefits-web'].onFrame({type: 'event', event: {
      id: 'u2', type: 'conversation.updated', data: {status: 'queued', language: 'fr'}}})""")
    assert page.locator(f"{WIDGET} #gw-title").inner_text() == "Chat with us"
    seqs = page.locator(f"{LOG} li[data-seq]").evaluate_all("nodes => nodes.map(n => n.dataset.seq)")
    assert seqs[-4:] == ["901", "902", "903", "904"]
    link = page.locator(f"{LOG} li[data-seq='902'] a")
    assert link.inner_text() == "Change of address"
    assert link.get_attribute("href") == "https://example.gc.ca/address"
    assert page.locator(f"{LOG} li[data-seq='904'] a").count() == 0

    page.locator(f"{LOG} li[data-seq='903'] button[type=submit]").click()
    assert page.locator(f"{LOG} li[data-seq='903'] .survey__error").inner_text() == "Choose a rating first."
    assert page.locator(f"{LOG} li[data-seq='903'] input[type=radio]").count() == 5

    page.get_by_role("button", name="Talk to an agent").click()
    error = page.locator(f"{WIDGET} p.error")
    error.filter(has_text="not available").wait_for()


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 400)])  # 320 CSS px; 1280x800 at 200 % zoom
def test_panel_reflows_at_320_css_pixels_and_200_percent_zoom(new_page, width, height):
    page = new_page(viewport={"width": width, "height": height})
    page.goto("/")
    page.locator(f"{WIDGET} button.launcher").click()
    box = page.locator(f"{WIDGET} section.panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] >= 0 and box["y"] + box["height"] <= height
    overflow = page.evaluate("""() => {
      const panel = document.querySelector('[data-guichet-widget]').shadowRoot.querySelector('.panel');
      return panel.scrollWidth - panel.clientWidth;
    }""")
    assert overflow <= 0
    assert page.locator(f"{WIDGET} button.send, {WIDGET} .form button[type=submit]").first.is_visible()


@pytest.mark.parametrize("path", ["/", "/fr/"])
def test_demo_page_with_the_chat_open_passes_axe_wcag_aa(new_page, path):
    page = new_page()
    page.goto(path)
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} details.options summary").click()
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)


def test_unacknowledged_message_is_resent_with_the_same_client_id_after_a_reconnect(new_page):
    page = new_page()
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(json.loads(payload))))
    page.goto("/demo/benefits/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET}[data-connection=connected]").wait_for(state="attached")
    # The connection drops right after the message leaves: its ack is lost with the socket.
    page.evaluate("""() => {
      const socket = window.GuichetWidget.instances['benefits-web'].socket;
      const send = socket.send.bind(socket);
      socket.send = (text) => { send(text); if (JSON.parse(text).type === 'message.send') socket.close(); };
    }""")
    page.locator(f"{WIDGET} #gw-input").fill("Is my payment late?")
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()

    sends = [frame for frame in frames if frame["type"] == "message.send"]
    assert len(sends) == 2
    assert sends[0]["client_id"] == sends[1]["client_id"]
    assert sends[0]["body"] == sends[1]["body"] == "Is my payment late?"
    assert page.locator(f"{LOG} li.msg--contact").count() == 1
    assert page.evaluate("() => localStorage.getItem('guichet:benefits-web:outbox')") is None
    page.reload()
    page.locator(f"{LOG} li.msg--contact[data-seq]").first.wait_for()
    assert page.locator(f"{LOG} li.msg--contact").count() == 1


def test_an_invalid_token_starts_a_new_session_politely(new_page):
    page = new_page()
    page.goto("/demo/benefits/")
    page.evaluate("() => localStorage.setItem('guichet:benefits-web:token', 'forged.token.value')")
    page.reload()
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{LOG} li.msg--notice").filter(has_text="A new one has started").wait_for()
    page.locator(f"{WIDGET}[data-connection=connected]").wait_for(state="attached")
    token = page.evaluate("() => localStorage.getItem('guichet:benefits-web:token')")
    assert token and token != "forged.token.value"


def test_an_unknown_inbox_says_the_chat_is_unavailable(new_page):
    page = new_page()
    page.goto("/")
    page.evaluate("""() => {
      const script = document.createElement('script');
      script.src = '/static/guichet/widget.js';
      script.dataset.inbox = 'no-such-inbox';
      document.body.appendChild(script);
    }""")
    host = page.locator("[data-guichet-widget=no-such-inbox]")
    host.locator("button.launcher").click()
    page.locator("[data-guichet-widget=no-such-inbox][data-connection=unavailable]").wait_for(state="attached")
    assert "not available" in host.locator("p.status").inner_text()


def test_forget_on_a_shared_computer_removes_the_conversation_from_the_device(new_page):
    page = new_page()
    page.goto("/demo/benefits/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} #gw-input").fill("My file number is 12345")
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    page.locator(f"{WIDGET} details.options summary").click()
    page.get_by_role("button", name="Forget this chat on this device").click()
    assert page.locator(f"{LOG} li.msg--contact").count() == 0
    page.locator(f"{WIDGET}[data-connection=connected]").wait_for(state="attached")
    page.reload()
    page.locator(f"{WIDGET} section.panel").wait_for(state="visible")
    assert page.locator(f"{LOG} li.msg--contact").count() == 0
    assert "12345" not in page.locator(f"{LOG}").inner_text()
    assert page.evaluate("() => localStorage.getItem('guichet:benefits-web:reference')") is None


def test_waiting_citizen_sees_the_line_and_can_ask_for_a_call_back(new_page):
    page = new_page()
    page.goto("/demo/benefits/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} #gw-input").fill("I need to talk to someone about my payment.")
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    position = page.locator(f"{WIDGET} .queue__position")
    position.filter(has_text="in line").wait_for()
    assert position.get_attribute("role") == "status"

    page.get_by_role("button", name="Call me back").click()
    page.get_by_label("By phone").check()
    page.get_by_label("Phone number").fill("not a number")
    page.get_by_role("button", name="Request a call back").click()
    page.locator(f"{WIDGET} p.error").filter(has_text="area code").wait_for()

    page.get_by_label("Phone number").fill("613-555-0123")
    page.get_by_role("button", name="Request a call back").click()
    page.locator(f"{LOG} li.msg--system").filter(has_text="613").wait_for()
    page.locator(f"{WIDGET} .callback__offer").filter(has_text="We will call you back").wait_for()
    assert page.locator(f"{WIDGET} .callback__form").is_hidden()


def agent_post(page, path: str, form: dict | None = None):
    """A signed-in agent's form post (the desk's own buttons do the same), CSRF token from the cookie."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(path, form=form or {}, headers={"X-CSRFToken": token, "Referer": page.url})
    assert response.ok, response.text()[:500]


def test_agent_reply_arrives_live_with_an_unread_badge_while_the_chat_is_closed(new_page, live_server):
    citizen = new_page()
    citizen.goto("/demo/benefits/")
    citizen.locator(f"{WIDGET} button.launcher").click()
    citizen.locator(f"{WIDGET} #gw-input").fill("Bonjour, où en est mon dossier?")
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    citizen.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    citizen.locator(f"{WIDGET} #gw-notes").filter(has_text="GC-").wait_for()
    reference = citizen.evaluate("() => window.GuichetWidget.instances['benefits-web'].reference")
    citizen.locator(f"{WIDGET} #gw-input").press("Escape")
    launcher = citizen.locator(f"{WIDGET} button.launcher")

    agent = new_page()
    login(agent, "agent_bi")
    agent.goto(f"/desk/c/{reference}/")
    agent_post(agent, f"/desk/c/{reference}/take/")
    agent_post(agent, f"/desk/c/{reference}/reply/", {"body": "Bonjour! Je regarde votre dossier <maintenant>."})

    citizen.locator(f"{WIDGET} .launcher__badge").wait_for()
    assert launcher.inner_text().strip() == "Chat with us (new message)"
    launcher.click()
    reply = citizen.locator(f"{LOG} li.msg--agent")
    assert reply.locator(".msg__body").inner_text() == "Bonjour! Je regarde votre dossier <maintenant>."
    assert reply.locator(".msg__author").inner_text() == "Sam Gagnon"
    assert citizen.locator(f"{LOG} li.msg--notice").filter(has_text="An agent has joined").count() == 1
    assert citizen.locator(f"{WIDGET} .launcher__badge").is_hidden()

    # Read once, the answer does not light the badge again when the conversation is replayed on another page.
    citizen.locator(f"{WIDGET} #gw-input").press("Escape")
    citizen.reload()
    citizen.locator(f"{LOG} li.msg--agent").wait_for(state="attached")
    assert citizen.locator(f"{WIDGET} .launcher__badge").is_hidden()
    assert launcher.inner_text().strip() == "Chat with us"


HOSTILE_HOST_PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Ailleurs</title>
<style>* { color: red !important; font-size: 6px !important; } div, button { display: none !important; }
li { list-style: square !important; }</style></head>
<body><h1>Un autre site</h1><script src="{server}/widget.js" data-inbox="benefits-web" defer></script></body></html>"""


@pytest.fixture
def other_site(live_server):
    """Another web site (another origin: its own port) whose page embeds the widget from the Guichet server."""
    body = HOSTILE_HOST_PAGE.replace("{server}", live_server.url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_widget_embedded_on_another_origin_talks_to_its_own_server_and_ignores_host_css(new_page, live_server,
                                                                                        other_site):
    page = new_page()
    page.goto(f"{other_site}/services.html")
    launcher = page.locator(f"{WIDGET} button.launcher")
    assert launcher.inner_text().strip() == "Clavarder avec nous"  # the host page is French
    assert launcher.is_visible()
    assert launcher.evaluate("node => getComputedStyle(node).fontSize") == "16px"
    launcher.click()
    page.locator(f"{WIDGET} #gw-input").fill("Bonjour")
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    assert page.evaluate("() => window.GuichetWidget.instances['benefits-web'].socketUrl") == (
        live_server.url.replace("http://", "ws://") + "/ws/widget/benefits-web/")


def test_after_the_agent_resolves_the_citizen_rates_the_conversation(new_page, live_server):
    citizen = new_page()
    citizen.goto("/fr/demo/benefits/")
    citizen.locator(f"{WIDGET} button.launcher").click()
    citizen.locator(f"{WIDGET} #gw-input").fill("Merci de votre aide")
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    citizen.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    citizen.locator(f"{WIDGET} #gw-notes").filter(has_text="GC-").wait_for()
    reference = citizen.evaluate("() => window.GuichetWidget.instances['benefits-web'].reference")

    agent = new_page()
    login(agent, "agent_bi")
    agent.goto(f"/desk/c/{reference}/")
    agent_post(agent, f"/desk/c/{reference}/take/")
    agent_post(agent, f"/desk/c/{reference}/resolve/")

    survey = citizen.locator(f"{LOG} form.survey")
    survey.wait_for()
    assert survey.locator("legend").inner_text() == "Dans quelle mesure êtes-vous satisfait de cette conversation?"
    citizen.get_by_label("4 – Satisfait").check()
    citizen.get_by_label("Commentaire (facultatif)").fill("Rapide et clair")
    citizen.get_by_role("button", name="Envoyer mon évaluation").click()
    survey.locator(".survey__thanks").filter(has_text="Merci").wait_for()

    stored = live_server.manage("shell", "--no-imports", "-c", (
        "from guichet.analytics.models import SurveyRequest as S; "
        f"s = S.objects.get(conversation__reference='{reference}'); print(s.rating, s.comment)"))
    assert stored.stdout.strip() == "4 Rapide et clair"


def test_machine_translated_reply_is_marked_in_the_citizens_language_with_the_original_in_its_own(new_page):
    """Screen readers choose their voice from `lang`: the translated body is in the citizen's language, the
    original (shown beneath it) in the agent's."""
    page = new_page(locale="es-ES")
    page.goto("/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} section.panel").wait_for(state="visible")
    page.evaluate("""() => window.GuichetWidget.instances['demo-web'].onEvent({type: 'message.created', data: {
        seq: 90, author_kind: 'agent', author_name: 'Sam', body: 'Su solicitud está aprobada.',
        original_body: 'Your application is approved.', machine_translated: true, language: 'en',
        body_language: 'es', created_at: '2026-12-01T10:00:00+00:00', metadata: {}}})""")
    reply = page.locator(f"{LOG} li[data-seq='90']")
    reply.wait_for()
    assert reply.get_attribute("lang") == "es"
    assert reply.locator(".msg__body").inner_text() == "Su solicitud está aprobada."
    original = reply.locator(".msg__meta span[lang='en']")
    assert original.inner_text() == "Your application is approved."
    assert "Your application is approved." in reply.locator(".msg__meta").inner_text()
