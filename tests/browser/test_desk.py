"""The agent desk in a real browser: sign in, go available, take a citizen's conversation, reply, note, resolve.

The citizen is a second browser context using the real widget on the French demo page, so the conversation is
in French: the English-only demo agent is never picked by automatic routing and must take it by hand.
"""

from __future__ import annotations

import secrets

import pytest

from tests.browser.helpers import login

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"


def citizen_writes(new_page, text: str):  # type: ignore[no-untyped-def]
    page = new_page(locale="fr-CA")
    page.goto("/fr/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} #gw-input").fill(text)
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    return page


def press_button(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keyboard activation: focus the button, then Enter, as a keyboard user would."""
    button = page.get_by_role("button", name=name, exact=True)
    button.focus()
    page.keyboard.press("Enter")


def test_agent_takes_replies_notes_and_resolves_with_the_keyboard(new_page, live_server):
    marker = secrets.token_hex(4)
    citizen = citizen_writes(new_page, f"Bonjour, j'ai perdu ma carte {marker}")

    agent = new_page()
    login(agent, "agent_en")
    assert agent.url.endswith("/desk/")
    agent.locator("#connection-status[data-state=open]").wait_for()

    agent.get_by_label("My status").select_option("available")
    press_button(agent, "Change status")
    agent.locator(".presence-current[data-presence=available]").wait_for()
    assert agent.locator("#announcer").inner_text() == "Your status is now: Available."

    row = agent.locator("tr", has_text=marker)
    row.wait_for()
    assert "FR" in row.inner_text()
    reference = row.locator("a").inner_text()
    row.locator("a").focus()
    agent.keyboard.press("Enter")
    agent.wait_for_url(f"**/desk/c/{reference}/")
    agent.locator("#connection-status[data-state=open]").wait_for()
    assert marker in agent.locator("#transcript").inner_text()

    take_name = agent.locator("#conv-status form button").first.inner_text()
    press_button(agent, take_name)
    agent.locator("#conv-status [data-status=assigned]").wait_for()
    assert "Alex Morgan" in agent.locator("#conv-status").inner_text()

    # Reply with the keyboard: type, then Ctrl+Enter; the form clears and the reply shows in the transcript.
    agent.get_by_label("Reply to the citizen").focus()
    agent.keyboard.type(f"Bonjour! Je peux vous aider {marker}.")
    agent.keyboard.press("Control+Enter")
    agent.locator("#transcript li.msg-agent", has_text=f"Je peux vous aider {marker}").wait_for()
    assert agent.get_by_label("Reply to the citizen").input_value() == ""
    citizen.locator(f"{LOG} li", has_text=f"Je peux vous aider {marker}").wait_for()

    agent.get_by_label("Internal note (only agents see it)").fill(f"Lost card, check file {marker}")
    press_button(agent, "Add note")
    note = agent.locator("#transcript li.msg-note", has_text=f"check file {marker}")
    note.wait_for()
    assert "the citizen does not see this" in note.inner_text()

    # An empty reply is refused inline, announced, and nothing is sent.
    press_button(agent, "Send reply")
    agent.locator("#reply_error", has_text="The message is empty.").wait_for()
    assert agent.locator("#reply_error").get_attribute("role") == "alert"

    press_button(agent, "Resolve")
    agent.locator("#conv-status [data-status=resolved]").wait_for()
    assert agent.get_by_role("button", name="Reopen", exact=True).is_visible()
    assert citizen.locator(f"{LOG} li", has_text=f"check file {marker}").count() == 0

    agent.goto("/desk/")
    assert agent.locator("tr", has_text=marker).count() == 0


def test_desk_list_updates_live_when_a_citizen_writes(new_page, live_server):
    agent = new_page()
    login(agent, "agent_en")
    agent.locator("#connection-status[data-state=open]").wait_for()
    marker = secrets.token_hex(4)
    citizen_writes(new_page, f"Une question en direct {marker}")
    # No reload: the row arrives through the agent websocket and an htmx fragment refresh.
    agent.locator("tr", has_text=marker).wait_for()


def test_another_teams_conversation_is_refused(new_page, live_server):
    citizen = new_page()
    citizen.goto("/demo/benefits/")
    citizen.locator(f"{WIDGET} button.launcher").click()
    citizen.locator(f"{WIDGET} #gw-input").fill("Benefits question")
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    citizen.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    reference = citizen.locator(f"{WIDGET} #gw-notes").inner_text().split("GC-")[1].split()[0].rstrip(".")
    agent = new_page()
    login(agent, "agent_en")  # general team only
    response = agent.goto(f"/desk/c/GC-{reference}/")
    assert response.status == 403
    assert "belongs to a team you are not part of" in agent.locator("main").inner_text()
