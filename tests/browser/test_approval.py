"""Approval mode in real browsers: the virtual agent finds the answer, an agent checks it on the desk and sends
it with one button, and the citizen receives it with its cited source."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import describe_violations, login, run_axe
from tests.browser.test_bot_handoff import BOT_TIMEOUT_MS, LOG, go_available
from tests.browser.test_transfer import clear_desk, set_presence

pytestmark = pytest.mark.browser

APPROVAL = ("from guichet.conversations.models import Inbox; "
            "Inbox.objects.filter(slug='demo-web').update(bot_answers_need_approval={on})")
# Other tests leave agents available: nobody else may take the conversation before agent_en does.
EVERYONE_AWAY = ("from guichet.agents.models import AgentProfile; "
                 "AgentProfile.objects.update(presence=AgentProfile.Presence.AWAY)")


def test_agent_checks_and_sends_the_answer_the_virtual_agent_found(new_page, live_server):
    live_server.manage("shell", "-c", EVERYONE_AWAY)
    live_server.manage("shell", "-c", APPROVAL.format(on=True))
    agent = new_page()
    login(agent, live_server, "agent_en")
    clear_desk(agent)
    try:
        go_available(agent)
        citizen = new_page()
        citizen.goto("/")
        citizen.get_by_role("button", name="Chat with us").click()
        citizen.get_by_label("Your message").fill("How do I renew my passport?")
        citizen.get_by_role("button", name="Send", exact=True).click()
        notice = citizen.locator(f"{LOG} li.msg--bot", has_text="An agent is checking it")
        notice.wait_for(timeout=BOT_TIMEOUT_MS)
        assert citizen.locator(f"{LOG} li.msg--bot a[href*='canada.ca']").count() == 0  # nothing unchecked
        reference = citizen.evaluate("() => window.GuichetWidget.instances['demo-web'].reference")

        row = agent.locator(f"#list-mine tr[data-reference='{reference}']")
        row.wait_for(timeout=BOT_TIMEOUT_MS)
        row.get_by_role("link", name=reference).click()
        agent.wait_for_url(f"**/desk/c/{reference}/")
        block = agent.locator("section.proposed-answer")
        expect(block).to_contain_text("Answer proposed by the virtual agent")
        expect(block.locator("blockquote")).to_contain_text("passport")
        violations = run_axe(agent)
        assert not violations, describe_violations(violations)

        block.get_by_role("button", name="Send this answer to the citizen").click()
        expect(agent.locator(".flash")).to_contain_text("The answer was sent to the citizen.")
        expect(agent.locator("section.proposed-answer")).to_have_count(0)
        answer = citizen.locator(f"{LOG} li.msg--agent", has_text="passport")
        answer.wait_for()
        expect(answer.locator("a[href*='canada.ca']")).to_be_visible()  # the cited source travels with it
    finally:
        live_server.manage("shell", "-c", APPROVAL.format(on=False))
        set_presence(agent, "away")
