"""Routing through actions and the database: the engine's rules applied to real rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.agents.actions import set_presence
from guichet.conversations import actions as conv
from guichet.conversations.models import Conversation
from guichet.core.jobs import run_due_jobs
from guichet.core.models import Job
from guichet.routing.actions import route_waiting
from guichet.routing.models import AssignmentLog
from tests.factories import make_agent, make_contact, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db


def assignee_of(conversation: Conversation):
    conversation.refresh_from_db()
    return conversation.assignee


def waiting_conversations(inbox, count: int, committed, language: str = "en") -> list[Conversation]:
    made = []
    for _ in range(count):
        with committed():
            made.append(make_conversation(inbox, language=language))
    return made


def test_a_new_conversation_goes_to_the_available_agent_who_speaks_its_language(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    make_agent([team], presence="available", languages=["fr"])
    english = make_agent([team], presence="available", languages=["en"])
    with committed():
        conversation = make_conversation(inbox, language="en")
    assert assignee_of(conversation) == english
    assert AssignmentLog.objects.get(conversation=conversation).agent == english


def test_nobody_available_keeps_it_waiting_until_an_agent_becomes_available(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], presence="away", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    assert conversation.status == Conversation.Status.QUEUED
    assert assignee_of(conversation) is None
    with committed():
        set_presence(agent, "available")
    assert assignee_of(conversation) == agent


def test_capacity_per_channel_is_never_exceeded(committed):
    team = make_team()
    queue = make_queue(team)
    chat = make_inbox(queue, channel="web")
    email = make_inbox(queue, channel="email")
    agent = make_agent([team], presence="available", languages=["en"], capacity={"chat": 2, "email": 1})
    chats = waiting_conversations(chat, 3, committed)
    emails = waiting_conversations(email, 2, committed)
    assert [assignee_of(c) for c in chats] == [agent, agent, None]
    assert [assignee_of(c) for c in emails] == [agent, None]
    with committed():
        conv.resolve_conversation(agent, chats[0])
    assert assignee_of(chats[2]) == agent


def test_priority_class_then_longest_waiting_first(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], presence="away", languages=["en"], capacity={"chat": 1})
    first, second = waiting_conversations(inbox, 2, committed)
    urgent = make_conversation(inbox)
    Conversation.objects.filter(pk=urgent.pk).update(priority=0)
    with committed():
        set_presence(agent, "available")
    assert assignee_of(urgent) == agent
    with committed():
        conv.resolve_conversation(agent, urgent)
    assert assignee_of(first) == agent
    assert assignee_of(second) is None


def test_the_longest_idle_agent_gets_the_next_conversation(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    now = timezone.now()
    busy_recently = make_agent([team], presence="available", languages=["en"], idle_since=now)
    idle_longest = make_agent([team], presence="available", languages=["en"],
                              idle_since=now - timedelta(minutes=10))
    first, second = waiting_conversations(inbox, 2, committed)
    assert assignee_of(first) == idle_longest
    assert assignee_of(second) == busy_recently  # fair share: the first assignment reset its idle time


def test_required_skill_levels_are_respected(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team, required_skills={"benefits": 3}))
    make_agent([team], presence="available", languages=["en"], skills={"benefits": 2})
    expert = make_agent([team], presence="available", languages=["en"], skills={"benefits": 4})
    with committed():
        conversation = make_conversation(inbox)
    assert assignee_of(conversation) == expert


def test_overflow_to_another_team_after_the_queue_threshold(committed):
    home, helpers = make_team(), make_team()
    queue = make_queue(home, overflow=[{"after_s": 120, "teams": [helpers.slug]}])
    inbox = make_inbox(queue)
    helper = make_agent([helpers], presence="available", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    assert assignee_of(conversation) is None
    job = Job.objects.get(kind="routing.route_queue", status="pending")
    assert job.run_at == pytest.approx(conversation.queued_at + timedelta(seconds=120), abs=timedelta(seconds=1))
    # Two minutes later (moved back in time rather than waiting), the timer job routes it to the other team.
    Conversation.objects.filter(pk=conversation.pk).update(queued_at=timezone.now() - timedelta(seconds=121))
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
    with committed():
        run_due_jobs(kinds={"routing.route_queue"})
    assert assignee_of(conversation) == helper


def test_a_returning_citizen_waits_for_their_previous_agent_within_the_sticky_window(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team, sticky_window_s=120))
    previous = make_agent([team], presence="available", languages=["en"], capacity={"chat": 1})
    other = make_agent([team], presence="away", languages=["en"])
    citizen = make_contact()
    with committed():
        first = make_conversation(inbox, contact=citizen)
    assert assignee_of(first) == previous
    with committed():
        conv.resolve_conversation(previous, first)
    with committed():
        filler = make_conversation(inbox)
    assert assignee_of(filler) == previous
    # The citizen comes back while their previous agent is busy: they wait for them, not for `other`.
    with committed():
        second = make_conversation(inbox, contact=citizen)
        set_presence(other, "available")
    assert assignee_of(second) is None, "reserved for the previous agent during the window"
    timer = Job.objects.get(kind="routing.route_queue", status="pending")
    assert timer.run_at == pytest.approx(second.queued_at + timedelta(seconds=120), abs=timedelta(seconds=1))
    # Once the window is over, whoever is free takes it.
    Conversation.objects.filter(pk=second.pk).update(queued_at=timezone.now() - timedelta(seconds=121))
    Job.objects.filter(pk=timer.pk).update(run_at=timezone.now())
    with committed():
        run_due_jobs(kinds={"routing.route_queue"})
    assert assignee_of(second) == other


def test_the_previous_agent_takes_the_returning_citizen_as_soon_as_they_have_room(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team, sticky_window_s=120))
    previous = make_agent([team], presence="available", languages=["en"], capacity={"chat": 1})
    citizen = make_contact()
    with committed():
        first = make_conversation(inbox, contact=citizen)
    with committed():
        conv.resolve_conversation(previous, first)
    with committed():
        filler = make_conversation(inbox)
    with committed():
        second = make_conversation(inbox, contact=citizen)
    assert assignee_of(filler) == previous
    with committed():
        make_agent([team], presence="available", languages=["en"])
        route_waiting()
    assert assignee_of(second) is None
    with committed():
        conv.resolve_conversation(previous, filler)
    assert assignee_of(second) == previous


def test_closed_queue_waits_for_opening_hours(committed):
    team = make_team()
    closed = make_queue(team, always_open=False, business_hours={}, holidays=[])
    inbox = make_inbox(closed)
    make_agent([team], presence="available", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    assert assignee_of(conversation) is None
    closed.always_open = True
    closed.save()
    with committed():
        route_waiting()
    assert assignee_of(conversation) is not None


def test_holiday_closes_the_queue_and_routing_is_scheduled_for_the_next_opening(committed):
    team = make_team()
    today = timezone.localdate()
    every_day = {str(day): [["00:00", "23:59"]] for day in range(1, 8)}
    queue = make_queue(team, always_open=False, business_hours=every_day, holidays=[today.isoformat()],
                       timezone="America/Toronto")
    inbox = make_inbox(queue)
    make_agent([team], presence="available", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    assert assignee_of(conversation) is None
    job = Job.objects.get(kind="routing.route_queue", status="pending")
    assert job.run_at > timezone.now()


def test_routing_again_changes_nothing(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], presence="available", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    assigned_at = Conversation.objects.get(pk=conversation.pk).assigned_at
    assert route_waiting() == 0
    assert Conversation.objects.get(pk=conversation.pk).assigned_at == assigned_at
    assert AssignmentLog.objects.filter(conversation=conversation, agent=agent).count() == 1


def test_overflow_relaxes_required_levels_after_the_threshold(committed):
    team = make_team()
    queue = make_queue(team, required_skills={"benefits": 3}, overflow=[{"after_s": 60, "level_reduction": 1}])
    inbox = make_inbox(queue)
    junior = make_agent([team], presence="available", languages=["en"], skills={"benefits": 2})
    with committed():
        conversation = make_conversation(inbox)
    assert assignee_of(conversation) is None
    Conversation.objects.filter(pk=conversation.pk).update(queued_at=timezone.now() - timedelta(seconds=61))
    with committed():
        route_waiting()
    assert assignee_of(conversation) == junior


def test_a_call_blocks_everything_else_for_the_agent(committed):
    team = make_team()
    queue = make_queue(team)
    phone = make_inbox(queue, channel="voice")
    chat = make_inbox(queue, channel="web")
    agent = make_agent([team], presence="available", languages=["en"], capacity={"chat": 3, "voice": 1})
    with committed():
        call = make_conversation(phone)
    with committed():
        waiting_chat = make_conversation(chat)
    assert assignee_of(call) == agent
    assert assignee_of(waiting_chat) is None
    with committed():
        conv.resolve_conversation(agent, call)
    assert assignee_of(waiting_chat) == agent


def test_a_long_line_is_read_in_chunks_and_nobody_eligible_is_skipped(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    for _ in range(5):
        make_conversation(inbox, language="fr")  # nobody speaks French: these keep waiting
    english = make_conversation(inbox, language="en")  # sixth in line
    agent = make_agent([team], presence="available", languages=["en"])
    from guichet.routing.actions import route_queue

    with committed():
        routed = route_queue(inbox.default_queue_id, chunk=2)
    assert [(r.conversation_id, r.agent_id) for r in routed] == [(english.pk, agent.pk)]
