"""A warm transfer in real browsers: agent A hands a citizen to agent B with a note; B sees the note and the
whole story; the citizen is told, in the chat, that a colleague takes over.

The citizen uses the widget on the benefits demo page (queue "benefits", no virtual agent). Routing gives the
conversation to the bilingual benefits agent (A, "agent_bi") when they become available; B is the English
general agent ("agent_en").
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser.helpers import login

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"
LOG = f"{WIDGET} ol.log"


def agent_post(page, path: str, form: dict | None = None):  # type: ignore[no-untyped-def]
    """A signed-in agent's form post (what the desk's own buttons send), CSRF token from the cookie."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(path, form=form or {}, headers={"X-CSRFToken": token, "Referer": page.url})
    assert response.ok, response.text()[:500]
    return response


def set_presence(page, presence: str) -> None:  # type: ignore[no-untyped-def]
    agent_post(page, "/desk/presence/", {"presence": presence})


def clear_desk(page) -> None:  # type: ignore[no-untyped-def]
    """Resolve what earlier tests left with or waiting for this agent, so routing's next choice is known."""
    for list_name in ("mine", "waiting"):
        html = page.request.get(f"/desk/lists/{list_name}/").text()
        for reference in sorted(set(re.findall(r"GC-\d{4}-\d{6}", html))):
            agent_post(page, f"/desk/c/{reference}/resolve/")


def citizen_writes(new_page, text: str):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto("/demo/benefits/")
    page.locator(f"{WIDGET} button.launcher").click()
    page.locator(f"{WIDGET} #gw-input").fill(text)
    page.locator(f"{WIDGET} #gw-input").press("Enter")
    page.locator(f"{LOG} li.msg--contact[data-state=sent]").wait_for()
    return page


def open_from_my_list(page, text: str) -> str:  # type: ignore[no-untyped-def]
    """Open the conversation whose row in "My conversations" shows `text` (a reference or a message)."""
    page.goto("/desk/")
    row = page.locator("#list-mine tr", has_text=text)
    row.wait_for()
    reference = row.locator("th a[href^=\"/desk/c/\"]").inner_text()
    row.locator("th a[href^=\"/desk/c/\"]").click()
    page.wait_for_url(f"**/desk/c/{reference}/")
    page.locator("#connection-status[data-state=open]").wait_for()
    return reference


def test_agent_transfers_to_a_colleague_with_a_note(new_page, live_server):
    first = new_page()
    login(first, "agent_bi")
    set_presence(first, "away")
    clear_desk(first)
    second = new_page()
    login(second, "agent_en")
    try:
        marker = secrets.token_hex(4)
        citizen = citizen_writes(new_page, f"My benefit payments stopped after I moved {marker}")
        set_presence(first, "available")  # routing gives the waiting citizen to the benefits agent
        reference = open_from_my_list(first, marker)
        first.get_by_label("Reply to the citizen").fill(f"Let me look at your file {marker}.")
        first.get_by_role("button", name="Send reply", exact=True).click()
        citizen.locator(f"{LOG} li", has_text=f"Let me look at your file {marker}").wait_for()

        set_presence(second, "available")  # a transfer to a person needs them available
        first.reload()
        first.get_by_label("Transfer to").select_option(label="Alex Morgan (Available)")
        first.get_by_label("Note for the next person (internal)").fill(f"Address change pending {marker}")
        first.get_by_role("button", name="Transfer", exact=True).click()
        first.wait_for_url("**/desk/")
        assert f"{reference} was transferred to Alex Morgan" in first.locator("main").inner_text()

        # The last message is now the transfer notice: B finds the conversation by its reference.
        assert open_from_my_list(second, reference) == reference
        transcript = second.locator("#transcript")
        transcript.locator("li.msg-note", has_text=f"Address change pending {marker}").wait_for()
        assert f"My benefit payments stopped after I moved {marker}" in transcript.inner_text()
        assert f"Let me look at your file {marker}" in transcript.inner_text()

        citizen.locator(f"{LOG} li", has_text="You are being transferred to a colleague who can help").wait_for()
        assert citizen.locator(f"{LOG} li", has_text="Address change pending").count() == 0
        agent_post(second, f"/desk/c/{reference}/resolve/")
    finally:
        set_presence(first, "away")
        set_presence(second, "away")
