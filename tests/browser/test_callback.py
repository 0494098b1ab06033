"""A callback end to end: a waiting citizen asks to be called back, keeps their place; when an agent is free,
routing gives them the callback task with the number; the agent records the call. Plus the supervisor view.
"""

from __future__ import annotations

import secrets

import pytest

from tests.browser.helpers import describe_violations, login, run_axe
from tests.browser.test_transfer import LOG, WIDGET, clear_desk, open_from_my_list, set_presence

pytestmark = pytest.mark.browser


def test_citizen_asks_for_a_callback_and_the_agent_calls_back(new_page, live_server):
    agent = new_page()
    login(agent, "agent_bi")
    set_presence(agent, "away")
    clear_desk(agent)
    try:
        marker = secrets.token_hex(4)
        citizen = new_page()
        citizen.goto("/demo/benefits/")
        citizen.locator(f"{WIDGET} button.launcher").click()
        citizen.locator(f"{WIDGET} #gw-input").fill(f"Please call me about my claim {marker}")
        citizen.locator(f"{WIDGET} #gw-input").press("Enter")
        citizen.locator(f"{WIDGET} .queue__position").filter(has_text="in line").wait_for()

        citizen.get_by_role("button", name="Call me back").click()
        citizen.get_by_label("By phone").check()
        citizen.get_by_label("Phone number").fill("12")
        citizen.get_by_role("button", name="Request a call back").click()
        citizen.locator(f"{WIDGET} p.error").filter(has_text="area code").wait_for()
        citizen.get_by_label("Phone number").fill("613 555 0123")
        citizen.get_by_role("button", name="Request a call back").click()
        citizen.locator(f"{LOG} li").filter(has_text="+16135550123").wait_for()
        citizen.locator(f"{WIDGET} .callback__offer").filter(has_text="We will call you back").wait_for()

        set_presence(agent, "available")  # free and with no other work: routing gives them the callback
        agent.goto("/supervisor/callbacks/")
        row = agent.locator("tr", has_text="+16135550123")
        row.wait_for()
        assert row.locator("a[href='tel:+16135550123']").count() == 1
        reference = row.locator("th a").inner_text()
        violations = run_axe(agent)
        assert violations == [], describe_violations(violations)

        # The conversation is in the agent's list; its timeline holds the task with the number to call.
        assert open_from_my_list(agent, reference) == reference
        assert f"Please call me about my claim {marker}" in agent.locator("#transcript").inner_text()
        agent.locator("#transcript li.msg-note", has_text="call the citizen at +16135550123").wait_for()

        agent.goto("/supervisor/callbacks/")
        row = agent.locator("tr", has_text=reference)
        row.get_by_label("Done").check()
        row.get_by_label("Note").fill("Reached the citizen")
        row.get_by_role("button", name="Record").click()
        agent.locator(".flash", has_text="Callback recorded.").wait_for()
        assert agent.locator("tr", has_text=reference).count() == 0
    finally:
        set_presence(agent, "away")


def test_supervisor_live_view_is_accessible_and_agents_are_refused(new_page, live_server):
    supervisor = new_page()
    login(supervisor, "supervisor")
    supervisor.goto("/supervisor/")
    table = supervisor.locator("#live-queues table")
    assert "Queues now" in table.locator("caption").inner_text()
    assert supervisor.locator("#live-queues tr[data-queue=benefits]").count() == 1
    violations = run_axe(supervisor)
    assert violations == [], describe_violations(violations)

    agent = new_page()
    login(agent, "agent_en")
    response = agent.goto("/supervisor/")
    assert response.status == 403


def test_supervisor_live_queues_follow_an_agent_going_available_without_waiting_for_a_poll(new_page, live_server):
    """The table is refreshed on the supervisors' websocket events, long before its 30-second safety refresh.

    Other tests' agents may change state meanwhile, so the test follows the page's own evidence: the event it
    heard (`data-live-events`) and the refresh request that followed, rather than a head count."""
    supervisor = new_page()
    login(supervisor, "supervisor")
    supervisor.goto("/supervisor/")
    supervisor.locator("#live-connection[data-state=open]").wait_for(state="attached")  # says nothing when fine
    region = supervisor.locator("#live-queues")
    heard = int(region.get_attribute("data-live-events") or 0)
    agent = new_page()
    login(agent, "agent_en")
    try:
        with supervisor.expect_request("**/supervisor/live/", timeout=8_000):
            set_presence(agent, "available")
        assert int(region.get_attribute("data-live-events") or 0) > heard
    finally:
        set_presence(agent, "away")
