"""Presence: the agent who vanishes gives their work back at the front of the line; wrap-up; the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from guichet.agents.actions import close_connection, open_connection, set_presence, sweep
from guichet.agents.models import AgentConnection, AgentProfile
from guichet.conversations import actions as conv
from guichet.conversations.models import Conversation
from guichet.core.jobs import run_due_jobs
from guichet.core.models import Job
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db


def refreshed(row):
    row.refresh_from_db()
    return row


def make_due(kind: str) -> None:
    Job.objects.filter(kind=kind, status="pending").update(run_at=timezone.now())


@pytest.fixture
def desk(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], presence="available", languages=["en"], capacity={"chat": 2})
    open_connection(agent, "ws-1")
    with committed():
        first = make_conversation(inbox)
    with committed():
        second = make_conversation(inbox)
    assert refreshed(first).assignee == agent and refreshed(second).assignee == agent
    return team, inbox, agent, first, second


def test_lost_connection_requeues_open_work_at_the_front_after_the_grace(desk, committed):
    team, inbox, agent, first, second = desk
    with committed():
        later = make_conversation(inbox)  # arrives after the agent's conversations: waits behind them
    with committed():
        close_connection(agent, "ws-1")
    assert refreshed(agent).presence == "available", "a page change reconnects at once: not away yet"
    make_due("agents.connection_lost")
    with committed():
        run_due_jobs(kinds={"agents.connection_lost"})
    assert refreshed(agent).presence == "away"
    grace = Job.objects.get(kind="agents.presence_grace", status="pending")
    assert grace.run_at > timezone.now() + timedelta(seconds=50)  # default grace 60 s
    make_due("agents.presence_grace")
    with committed():
        run_due_jobs(kinds={"agents.presence_grace"})
    for conversation, original in ((first, first.queued_at), (second, second.queued_at)):
        refreshed(conversation)
        assert conversation.status == Conversation.Status.QUEUED
        assert conversation.assignee is None
        assert conversation.queued_at == original  # keeps the original place
    colleague = make_agent([team], presence="away", languages=["en"], capacity={"chat": 1})
    with committed():
        set_presence(colleague, "available")
    assert refreshed(first).assignee == colleague, "the requeued conversation is served before the later one"
    assert refreshed(later).assignee is None
    notices = first.messages.filter(author_kind="system").values_list("body", flat=True)
    assert any("keep your place" in body for body in notices)


def test_moving_between_pages_does_not_make_the_agent_away(desk, committed):
    _team, _inbox, agent, _first, _second = desk
    with committed():
        close_connection(agent, "ws-1")
        open_connection(agent, "ws-2")
    make_due("agents.connection_lost")
    with committed():
        run_due_jobs(kinds={"agents.connection_lost"})
    assert refreshed(agent).presence == "available"
    assert not Job.objects.filter(kind="agents.presence_grace").exists()


@override_settings(GUICHET_PRESENCE_AWAY_DELAY_S=0)
def test_coming_back_within_the_grace_keeps_the_work(desk, committed):
    _team, _inbox, agent, first, second = desk
    with committed():
        close_connection(agent, "ws-1")
    assert refreshed(agent).presence == "away"
    open_connection(agent, "ws-2")
    with committed():
        set_presence(agent, "available")
    make_due("agents.presence_grace")
    with committed():
        run_due_jobs(kinds={"agents.presence_grace"})
    assert refreshed(first).assignee == agent and refreshed(second).assignee == agent


def test_one_tab_closing_among_two_changes_nothing(desk, committed):
    _team, _inbox, agent, first, _second = desk
    open_connection(agent, "ws-2")
    with committed():
        assert close_connection(agent, "ws-1") == 1
    assert refreshed(agent).presence == "available"
    assert not Job.objects.filter(kind="agents.presence_grace").exists()


@override_settings(GUICHET_PRESENCE_GRACE_S=0)
def test_going_offline_hands_work_back_even_with_the_desk_open(desk, committed):
    _team, _inbox, agent, first, second = desk
    with committed():
        set_presence(agent, "offline")
    with committed():
        run_due_jobs(kinds={"agents.presence_grace"})
    assert refreshed(first).status == Conversation.Status.QUEUED
    assert refreshed(second).status == Conversation.Status.QUEUED


def test_away_with_the_desk_open_keeps_the_work(desk, committed):
    _team, _inbox, agent, first, _second = desk
    with committed():
        set_presence(agent, "away")
    with committed():
        sweep(now=timezone.now() + timedelta(seconds=120))
    assert refreshed(first).assignee == agent


def test_sweep_forgets_dead_connections_and_hands_back_the_work(desk, committed):
    _team, _inbox, agent, first, _second = desk
    AgentConnection.objects.filter(agent=agent).update(last_seen_at=timezone.now() - timedelta(hours=13))
    with committed():
        result = sweep()
    assert result["stale_connections"] == 1
    assert refreshed(agent).presence == "away"
    assert refreshed(first).assignee == agent  # still inside the grace period
    AgentProfile.objects.filter(pk=agent.pk).update(presence_changed_at=timezone.now() - timedelta(minutes=5))
    with committed():
        result = sweep()
    assert result["requeued"] == 2
    assert refreshed(first).status == Conversation.Status.QUEUED


def test_wrap_up_after_resolve_then_back_to_work(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team, wrap_up_s=30))
    agent = make_agent([team], presence="available", languages=["en"], capacity={"chat": 1})
    with committed():
        first = make_conversation(inbox)
    with committed():
        conv.resolve_conversation(agent, first)
    assert refreshed(agent).presence == "wrap_up"
    with committed():
        waiting = make_conversation(inbox)
    assert refreshed(waiting).assignee is None, "no new work during wrap-up"
    make_due("agents.wrap_up_end")
    with committed():
        run_due_jobs(kinds={"agents.wrap_up_end"})
    assert refreshed(agent).presence == "available"
    assert refreshed(waiting).assignee == agent


def test_wrap_up_end_does_not_override_the_agents_own_choice(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team, wrap_up_s=30))
    agent = make_agent([team], presence="available", languages=["en"])
    with committed():
        first = make_conversation(inbox)
    with committed():
        conv.resolve_conversation(agent, first)
    with committed():
        set_presence(agent, "away")
    make_due("agents.wrap_up_end")
    with committed():
        run_due_jobs(kinds={"agents.wrap_up_end"})
    assert refreshed(agent).presence == "away"


def test_sweep_command_reports_what_it_did(desk):
    from io import StringIO

    from django.core.management import call_command

    _team, _inbox, agent, _first, _second = desk
    AgentConnection.objects.filter(agent=agent).update(last_seen_at=timezone.now() - timedelta(hours=13))
    out = StringIO()
    call_command("routing_sweep", stdout=out)
    assert "stale_connections: 1" in out.getvalue()
    assert not AgentConnection.objects.filter(agent=agent).exists()
