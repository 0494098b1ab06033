"""The agent desk in a real browser: sign in, go available, take a citizen's conversation, reply, note, resolve.

The citizen is a second browser context using the real widget on the benefits demo page (no virtual agent, queue
"benefits"); the bilingual demo agent, who works in that team, goes "away" first so that automatic routing leaves
the conversation waiting for them to take by hand, then becomes available.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"


def citizen_writes(new_page, text: str):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto("/demo/benefits/")
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


def set_presence(page, value: str, label: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("My status").select_option(value)
    press_button(page, "Change status")
    expect(page.locator("#announcer")).to_have_text(f"Your status is now: {label}.")
    page.locator(f".presence-current[data-presence={value}]").wait_for()


def test_agent_takes_replies_notes_and_resolves_with_the_keyboard(new_page, live_server):
    agent = new_page()
    login(agent, "agent_bi")
    assert agent.url.endswith("/desk/")
    agent.locator("#connection-status[data-state=open]").wait_for()
    set_presence(agent, "away", "Away")

    marker = secrets.token_hex(4)
    citizen = citizen_writes(new_page, f"Hello, I lost my benefits card {marker}")
    row = agent.locator("#list-waiting tr", has_text=marker)
    row.wait_for()
    assert "EN" in row.inner_text() and "Web chat" in row.inner_text()
    reference = row.locator("a").inner_text()
    row.locator("a").focus()
    agent.keyboard.press("Enter")
    agent.wait_for_url(f"**/desk/c/{reference}/")
    agent.locator("#connection-status[data-state=open]").wait_for()
    assert marker in agent.locator("#transcript").inner_text()

    take_name = agent.locator("#conv-status form button").first.inner_text()
    press_button(agent, take_name)
    agent.locator("#conv-status [data-status=assigned]").wait_for()
    assert "Sam Gagnon" in agent.locator("#conv-status").inner_text()
    agent.goto("/desk/")
    set_presence(agent, "available", "Available")
    agent.locator("#list-mine tr", has_text=marker).locator("a").focus()
    agent.keyboard.press("Enter")
    agent.wait_for_url(f"**/desk/c/{reference}/")
    agent.locator("#connection-status[data-state=open]").wait_for()

    # Reply with the keyboard: type, then Ctrl+Enter; the form clears and the reply shows in the transcript.
    agent.get_by_label("Reply to the citizen").focus()
    agent.keyboard.type(f"Hello! I can help with that {marker}.")
    agent.keyboard.press("Control+Enter")
    agent.locator("#transcript li.msg-agent", has_text=f"I can help with that {marker}").wait_for()
    assert agent.get_by_label("Reply to the citizen").input_value() == ""
    citizen.locator(f"{LOG} li", has_text=f"I can help with that {marker}").wait_for()

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
    login(agent, "agent_bi")
    agent.locator("#connection-status[data-state=open]").wait_for()
    set_presence(agent, "away", "Away")
    marker = secrets.token_hex(4)
    citizen_writes(new_page, f"A live question {marker}")
    # No reload: the row arrives through the agent websocket and an htmx fragment refresh.
    agent.locator("tr", has_text=marker).wait_for()


def test_another_teams_conversation_is_refused(new_page, live_server):
    citizen = citizen_writes(new_page, "Benefits question")
    reference = re.search(r"GC-\d{4}-\d{6}", citizen.locator(f"{WIDGET} #gw-notes").inner_text()).group(0)
    agent = new_page()
    login(agent, "agent_en")  # general team only
    response = agent.goto(f"/desk/c/{reference}/")
    assert response.status == 403
    assert "belongs to a team you are not part of" in agent.locator("main").inner_text()


def test_sign_in_desk_and_conversation_pages_pass_axe(new_page, live_server):
    page = new_page()
    page.goto("/accounts/login/")
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)

    login(page, "agent_bi")
    set_presence(page, "away", "Away")
    marker = secrets.token_hex(4)
    citizen_writes(new_page, f"Accessible question {marker}")
    row = page.locator("#list-waiting tr", has_text=marker)
    row.wait_for()
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)

    row.locator("a").click()
    page.locator("#transcript").wait_for()
    page.get_by_label("Internal note (only agents see it)").fill("A note")
    press_button(page, "Add note")
    page.locator("#transcript li.msg-note").wait_for()
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)


def test_two_tabs_update_live_and_typing_shows_both_ways(new_page, live_server):
    tab1 = new_page()
    login(tab1, "agent_bi")
    set_presence(tab1, "away", "Away")
    marker = secrets.token_hex(4)
    citizen = citizen_writes(new_page, f"Typing question {marker}")
    row = tab1.locator("#list-waiting tr", has_text=marker)
    row.wait_for()
    reference = row.locator("a").inner_text()
    tab2 = tab1.context.new_page()  # same person, second tab
    for tab in (tab1, tab2):
        tab.goto(f"/desk/c/{reference}/")
        tab.locator("#connection-status[data-state=open]").wait_for()

    # The citizen types without sending: both tabs say so in their live region.
    citizen.locator(f"{WIDGET} #gw-input").press_sequentially("Still ")
    for tab in (tab1, tab2):
        expect(tab.locator("#citizen-typing")).to_have_text("The citizen is typing…")

    # The agent types in one tab: the citizen sees who is typing.
    tab1.get_by_label("Reply to the citizen").press_sequentially("Let me check")
    expect(citizen.locator(WIDGET).get_by_text("Sam Gagnon is typing…")).to_be_visible()

    # The citizen sends: both tabs show the message without a reload, and the typing line clears.
    citizen.locator(f"{WIDGET} #gw-input").press_sequentially(f"here {marker}")
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    for tab in (tab1, tab2):
        tab.locator("#transcript li.msg-contact", has_text=f"Still here {marker}").wait_for()
        expect(tab.locator("#citizen-typing")).to_have_text("")
