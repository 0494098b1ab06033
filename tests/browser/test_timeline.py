"""One citizen, one timeline, in a real browser: a citizen writes by web chat and by e-mail; the agent sees the
suggested merge, merges, reads both channels in one timeline and answers by e-mail from it."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.browser

WIDGET = "[data-guichet-widget]"


def email_from(address: str, marker: str) -> str:
    return (f"From: Jane Doe <{address}>\nTo: help@demo.guichet.local\nSubject: Lost card {marker}\n"
            f"Message-ID: <{marker}@mail.example.ca>\nContent-Type: text/plain; charset=utf-8\n\n"
            f"Hello, I wrote in the chat too. Reference {marker}.\n")


def contact_who_wrote(live_server, text: str, channel: str) -> int:
    """The contact behind a message, read from the server's database (the test's only peek behind the UI)."""
    out = live_server.manage("shell", "-c", "from guichet.conversations.models import Message as M; "
                             f"print(M.objects.get(body__contains='{text}', channel='{channel}')"
                             ".conversation.contact_id)").stdout
    return int(out.strip().splitlines()[-1])


def test_agent_merges_web_and_email_then_replies_by_email(new_page, live_server, tmp_path):
    marker = secrets.token_hex(4)
    address = f"jane.{marker}@example.ca"

    citizen = new_page()
    citizen.goto("/demo/benefits/")
    citizen.locator(f"{WIDGET} button.launcher").click()
    citizen.locator(f"{WIDGET} #gw-input").fill(f"Hi, my card is lost; my e-mail is {address}")
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    citizen.locator(f"{WIDGET} ol.log li.msg--contact[data-state=sent]").wait_for()

    raw = tmp_path / "mail.eml"
    raw.write_text(email_from(address, marker))
    stored = live_server.manage("ingest_email", "--to", "help@demo.guichet.local", "--file", str(raw)).stdout
    assert "created=True" in stored
    email_contact = contact_who_wrote(live_server, f"Reference {marker}", "email")
    assert contact_who_wrote(live_server, address, "web") != email_contact  # two contacts until an agent merges

    agent = new_page()
    login(agent, "agent_bi")

    agent.goto(f"/hooks/contacts/{email_contact}/timeline/")
    suggestions = agent.locator(".merge-suggestions")
    merge_button = suggestions.get_by_role("button", name=re.compile("^Merge "))
    merge_button.first.wait_for()
    assert address in suggestions.inner_text()
    violations = run_axe(agent)
    assert violations == [], describe_violations(violations)
    merge_button.first.focus()
    with agent.expect_navigation():
        agent.keyboard.press("Enter")

    timeline = agent.locator("ol.timeline")
    assert "Web chat" in timeline.inner_text() and "Email" in timeline.inner_text()
    assert f"my e-mail is {address}" in timeline.inner_text()
    assert f"Reference {marker}" in timeline.inner_text()

    agent.get_by_label("Reply via").select_option("demo-email")
    agent.get_by_label("Message", exact=True).fill(f"We are sending a new card {marker}.")
    with agent.expect_navigation():
        agent.get_by_role("button", name="Send", exact=True).click()
    last = agent.locator("ol.timeline li").last
    assert f"We are sending a new card {marker}." in last.inner_text()
    assert last.get_attribute("data-channel") == "email"


@pytest.fixture
def smtp_relay():
    """The outbound relay the live server sends to (GUICHET_SMTP_HOST/PORT defaults: 127.0.0.1:1025)."""
    from aiosmtpd.controller import Controller

    from tests.omnichannel.conftest import SinkHandler

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=1025)
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"port 1025 is taken, cannot stand in for the SMTP relay: {exc}")
    yield handler
    controller.stop()


def test_desk_shows_every_channel_merges_and_replies_by_email_with_live_status(new_page, live_server, tmp_path,
                                                                                smtp_relay):
    marker = secrets.token_hex(4)
    address = f"sam.{marker}@example.ca"
    citizen = new_page()
    citizen.goto("/demo/benefits/")
    citizen.locator(f"{WIDGET} button.launcher").click()
    citizen.locator(f"{WIDGET} #gw-input").fill(f"My card is lost; my e-mail is {address}")
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    citizen.locator(f"{WIDGET} ol.log li.msg--contact[data-state=sent]").wait_for()
    reference = re.search(r"GC-\d{4}-\d{6}", citizen.locator(f"{WIDGET} #gw-notes").inner_text()).group(0)
    raw = tmp_path / "mail.eml"
    raw.write_text(email_from(address, marker))
    live_server.manage("ingest_email", "--to", "help@demo.guichet.local", "--file", str(raw))

    agent = new_page()
    login(agent, "agent_bi")
    agent.goto(f"/desk/c/{reference}/")
    agent.locator("#connection-status[data-state=open]").wait_for()
    history = agent.locator("#contact-history-body")
    merge_button = history.get_by_role("button", name=re.compile("^Merge "))
    merge_button.first.wait_for()  # loaded by htmx after the page
    violations = run_axe(agent)
    assert violations == [], describe_violations(violations)
    with agent.expect_navigation():  # the server asks the desk to reload: identities and history changed
        merge_button.first.click()

    history.locator("li[data-channel=email]", has_text=f"Reference {marker}").wait_for()
    reply_via = agent.get_by_label("Reply via")
    assert reply_via.input_value() == "demo-email"  # the citizen wrote by e-mail last
    agent.get_by_label("Reply to the citizen").fill(f"A new card is on its way {marker}.")
    agent.get_by_label("Reply to the citizen").press("Control+Enter")
    expect(agent.locator("#announcer")).to_contain_text("Reply sent by Email in GC-")
    sent = history.locator("li[data-channel=email]", has_text=f"A new card is on its way {marker}.")
    expect(sent.locator(".delivery")).to_have_text("Sent")  # queued, then sent: the panel follows live
    assert any(f"A new card is on its way {marker}." in message.get_content()
               for _rcpts, message in smtp_relay.messages)
    assert f"A new card is on its way {marker}." not in agent.locator("#transcript").inner_text()
