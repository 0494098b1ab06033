"""Keyboard-only journeys (WCAG 2.1.1, 2.4.3, 2.4.7, 4.1.3) in a real browser.

- Citizen: Tab to the launcher, open the chat, write, pick a suggestion button, rate the conversation, close
  with Escape; the focus comes back to the launcher. New messages are announced by the polite live region
  (role=log) without moving the focus.
- Agent: take a waiting conversation, reply, transfer it to a colleague with a note; the colleague resolves it.
Every action is a key press; only the other person (agent or citizen) may use the mouse or a form post.
"""

from __future__ import annotations

import secrets

import pytest

from tests.browser.helpers import login

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"
BOT_TIMEOUT_MS = 120_000  # the first question loads the embedding model

# What has the keyboard focus: inside the widget's shadow root, or in the page.
FOCUS = """() => {
  const host = document.querySelector('[data-guichet-widget]');
  const inner = host && host.shadowRoot && host.shadowRoot.activeElement;
  const active = inner || document.activeElement;
  if (!active) return {};
  return {inWidget: Boolean(inner), id: active.id || '', tag: active.tagName.toLowerCase(),
          className: typeof active.className === 'string' ? active.className : '',
          type: active.getAttribute('type') || '', text: (active.textContent || '').trim().slice(0, 80),
          name: active.getAttribute('name') || '', label: active.getAttribute('aria-label') || '',
          form: active.form ? active.form.className : ''};
}"""

# The live region that holds a message with `text`: its role and politeness (screen readers announce it).
LIVE_REGION_OF = """(text) => {
  const root = document.querySelector('[data-guichet-widget]').shadowRoot;
  const item = [...root.querySelectorAll('ol.log li')].find((li) => li.textContent.includes(text));
  const region = item && item.closest('[aria-live]');
  return region ? {role: region.getAttribute('role'), live: region.getAttribute('aria-live')} : null;
}"""


def press_until(page, key: str, wanted, limit: int = 60) -> dict:  # type: ignore[no-untyped-def]
    """Press `key` until the focused element satisfies `wanted(focus)`; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press(key)
        focus = page.evaluate(FOCUS)
        if wanted(focus):
            return focus
    raise AssertionError(f"{key} never reached the wanted element; the focus is on {page.evaluate(FOCUS)}")


def agent_post(page, path: str) -> None:  # type: ignore[no-untyped-def]
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(path, form={}, headers={"X-CSRFToken": token, "Referer": page.url})
    assert response.ok, response.text()[:500]


def set_presence(page, presence: str) -> None:  # type: ignore[no-untyped-def]
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post("/desk/presence/", form={"presence": presence},
                                 headers={"X-CSRFToken": token, "Referer": page.url})
    assert response.ok, response.text()[:500]


def test_citizen_chats_picks_a_suggestion_rates_and_closes_with_the_keyboard_only(new_page, live_server):
    agent = new_page()
    login(agent, live_server, "agent_bi")
    set_presence(agent, "away")  # the handed-off conversation waits for this agent to take it by hand

    citizen = new_page()
    citizen.goto("/")
    press_until(citizen, "Tab", lambda focus: focus.get("inWidget") and "launcher" in focus["className"])
    citizen.keyboard.press("Enter")
    citizen.locator(f"{WIDGET} section.panel").wait_for(state="visible")
    assert citizen.evaluate(FOCUS)["id"] == "gw-input"

    citizen.keyboard.type("How do I renew my passport?")
    citizen.keyboard.press("Enter")
    feedback = citizen.locator(f"{LOG} li.msg--bot", has=citizen.locator("button"))
    feedback.last.wait_for(timeout=BOT_TIMEOUT_MS)
    # Screen readers: the answer arrived inside the polite log, and the focus stayed where the citizen types.
    answer_text = citizen.locator(f"{LOG} li.msg--bot .msg__body").first.inner_text()[:30]
    assert citizen.evaluate(LIVE_REGION_OF, answer_text) == {"role": "log", "live": "polite"}
    assert citizen.evaluate(FOCUS)["id"] == "gw-input"

    # Pick the "No" suggestion with Shift+Tab and Enter: the citizen wants a person.
    press_until(citizen, "Shift+Tab", lambda focus: focus.get("tag") == "button" and focus["text"] == "No")
    citizen.keyboard.press("Enter")
    notes = citizen.locator(f"{WIDGET} #gw-notes")
    notes.filter(has_text="GC-").wait_for()
    reference = citizen.evaluate("() => window.GuichetWidget.instances['demo-web'].reference")

    focus_before = citizen.evaluate(FOCUS)
    assert focus_before["text"] == "No"  # the pressed suggestion keeps the focus (aria-pressed shows the choice)
    # The agent (not the subject of this journey) takes and resolves; the survey arrives live.
    agent.goto(f"/desk/c/{reference}/")
    agent_post(agent, f"/desk/c/{reference}/take/")
    agent_post(agent, f"/desk/c/{reference}/resolve/")
    survey = citizen.locator(f"{LOG} form.survey")
    survey.wait_for()
    assert citizen.evaluate(FOCUS) == focus_before  # the survey did not steal the focus

    # Rate with the keyboard: reach the radio group, arrows choose, Tab to the button, Enter sends.
    press_until(citizen, "Shift+Tab", lambda focus: focus.get("type") == "radio")
    citizen.keyboard.press("Space")
    checked = survey.locator("input[type=radio]:checked")
    for _ in range(5):  # arrows move the choice around the group
        if checked.get_attribute("value") == "4":
            break
        citizen.keyboard.press("ArrowRight" if int(checked.get_attribute("value")) < 4 else "ArrowLeft")
    assert checked.get_attribute("value") == "4"
    press_until(citizen, "Tab", lambda focus: focus.get("tag") == "button" and focus["text"] == "Send my rating")
    citizen.keyboard.press("Enter")
    survey.locator(".survey__thanks").wait_for()

    # Escape closes the chat and gives the focus back to the launcher.
    citizen.keyboard.press("Escape")
    citizen.locator(f"{WIDGET} section.panel").wait_for(state="hidden")
    focus = citizen.evaluate(FOCUS)
    assert focus["inWidget"] and "launcher" in focus["className"], focus


def test_agent_takes_replies_transfers_and_a_colleague_resolves_with_the_keyboard_only(new_page, live_server):
    first = new_page()
    login(first, live_server, "agent_bi")
    set_presence(first, "away")
    second = new_page()
    login(second, live_server, "agent_en")
    set_presence(second, "available")  # a transfer to a person needs them available
    try:
        marker = secrets.token_hex(4)
        citizen = new_page()
        citizen.goto("/demo/benefits/")
        citizen.locator(f"{WIDGET} button.launcher").click()
        citizen.locator(f"{WIDGET} #gw-input").fill(f"My card was stolen {marker}")
        citizen.locator(f"{WIDGET} #gw-input").press("Enter")
        citizen.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()

        first.goto("/desk/")
        first.locator("#connection-status[data-state=open]").wait_for()
        row = first.locator("#list-waiting tr", has_text=marker)
        row.wait_for()
        reference = row.locator("a").inner_text()
        # From the top of the page, Tab to the conversation link and open it.
        press_until(first, "Tab", lambda focus: focus.get("tag") == "a" and focus["text"] == reference, limit=120)
        first.keyboard.press("Enter")
        first.wait_for_url(f"**/desk/c/{reference}/")
        first.locator("#connection-status[data-state=open]").wait_for()

        press_until(first, "Tab", lambda focus: focus.get("tag") == "button" and focus["text"] == "Take", limit=80)
        first.keyboard.press("Enter")
        first.locator("#conv-status [data-status=assigned]").wait_for()

        press_until(first, "Tab", lambda focus: focus.get("name") == "body" and focus.get("tag") == "textarea",
                    limit=80)
        first.keyboard.type(f"I have blocked the card {marker}.")
        first.keyboard.press("Control+Enter")
        first.locator("#transcript li.msg-agent", has_text=f"blocked the card {marker}").wait_for()
        citizen.locator(f"{LOG} li", has_text=f"blocked the card {marker}").wait_for()

        # Transfer: the select takes typed letters, like any keyboard user's select.
        first.reload()
        press_until(first, "Tab", lambda focus: focus.get("tag") == "select" and "Transfer" not in focus["text"]
                    and focus.get("id") == first.get_by_label("Transfer to").get_attribute("id"), limit=120)
        first.keyboard.type("Alex")
        assert "Alex Morgan" in first.get_by_label("Transfer to").evaluate("s => s.selectedOptions[0].text")
        first.keyboard.press("Tab")
        first.keyboard.type(f"Card stolen, new one ordered {marker}")
        press_until(first, "Tab", lambda focus: focus.get("tag") == "button" and focus["text"] == "Transfer")
        first.keyboard.press("Enter")
        first.wait_for_url("**/desk/")
        assert f"{reference} was transferred to Alex Morgan" in first.locator("main").inner_text()

        second.goto("/desk/")
        second.locator("#list-mine tr", has_text=reference).wait_for()
        press_until(second, "Tab", lambda focus: focus.get("tag") == "a" and focus["text"] == reference, limit=120)
        second.keyboard.press("Enter")
        second.wait_for_url(f"**/desk/c/{reference}/")
        second.locator("#transcript li.msg-note", has_text=f"new one ordered {marker}").wait_for()
        press_until(second, "Tab", lambda focus: focus.get("tag") == "button" and focus["text"] == "Resolve",
                    limit=80)
        second.keyboard.press("Enter")
        second.locator("#conv-status [data-status=resolved]").wait_for()
    finally:
        set_presence(first, "away")
        set_presence(second, "away")


def test_supervisor_pauses_and_resumes_the_live_queues_with_the_keyboard(new_page, live_server):
    """WCAG 2.2.2: the table that refreshes every five seconds can be paused, and resumed."""
    page = new_page()
    login(page, live_server, "supervisor")
    page.goto("/supervisor/")
    refreshes: list[str] = []
    page.on("request", lambda request: refreshes.append(request.url) if "/supervisor/live/" in request.url else None)
    press_until(page, "Tab", lambda focus: focus.get("id") == "live-pause", limit=40)
    page.keyboard.press("Enter")
    assert page.locator("#live-pause").get_attribute("aria-pressed") == "true"
    refreshes.clear()
    page.wait_for_timeout(6_000)  # more than one polling interval
    assert refreshes == []
    with page.expect_request("**/supervisor/live/", timeout=7_000):
        page.keyboard.press("Enter")  # resume: the next poll goes out again
    assert page.locator("#live-pause").get_attribute("aria-pressed") == "false"
