"""The citizen's wait: positions and estimates published to widget groups, callback offer and requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.agents.actions import set_presence
from guichet.conversations import actions as conv
from guichet.conversations.actions import ActionError
from guichet.conversations.models import Conversation
from guichet.realtime import events
from guichet.routing.actions import queue_position, route_waiting
from guichet.routing.callbacks import finish_callback, request_callback
from guichet.routing.models import CallbackRequest
from guichet.routing.wait import estimate_wait_seconds
from tests.factories import make_agent, make_contact, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db


def positions(captured, conversation) -> list[dict]:
    group = events.group_for_widget(conversation.pk)
    return [event["data"] for event, groups in captured
            if event["type"] == "queue.position_changed" and group in groups]


def with_history(queue, inbox, handle_s: int, count: int = 3) -> None:
    """Conversations of the last hour that took `handle_s` from assignment to resolution."""
    now = timezone.now()
    for _ in range(count):
        done = make_conversation(inbox)
        Conversation.objects.filter(pk=done.pk).update(
            status="resolved", assigned_at=now - timedelta(seconds=handle_s + 60),
            resolved_at=now - timedelta(seconds=60))


@pytest.fixture
def busy_line(committed):
    """One agent (one chat at a time) busy; three citizens waiting; ten-minute conversations lately."""
    team = make_team()
    queue = make_queue(team, callback_offer_after_s=900)
    inbox = make_inbox(queue)
    with_history(queue, inbox, handle_s=600)
    agent = make_agent([team], presence="available", languages=["en"], capacity={"chat": 1})
    with committed():
        served = make_conversation(inbox)
    waiting = []
    for _ in range(3):
        with committed():
            waiting.append(make_conversation(inbox))
    return queue, inbox, agent, served, waiting


def test_each_enqueue_tells_every_waiting_citizen_their_place_and_estimate(busy_line, captured_events,
                                                                           committed):
    queue, inbox, agent, served, waiting = busy_line
    assert Conversation.objects.get(pk=served.pk).assignee == agent
    with committed():
        newcomer = make_conversation(inbox)
    assert positions(captured_events, newcomer) == [{
        "reference": newcomer.reference, "position": 4, "estimated_wait_s": 2400,
        "callback_offered": True, "callback_requested": False}]
    # The people already waiting keep their place and estimate: nothing new is sent to them (at a surge, a
    # newcomer must not cost one event per person in line). Their widgets were told when they joined.
    assert all(positions(captured_events, person) == [] for person in waiting)
    assert estimate_wait_seconds(waiting[0]) == 600
    assert estimate_wait_seconds(waiting[2]) == 1800
    assert queue_position(waiting[2]) == 3


def test_each_citizen_was_told_their_place_and_estimate_on_joining(committed, captured_events):
    team = make_team()
    queue = make_queue(team, callback_offer_after_s=900)
    inbox = make_inbox(queue)
    with_history(queue, inbox, handle_s=600)
    make_agent([team], presence="available", languages=["en"], capacity={"chat": 1})
    with committed():
        make_conversation(inbox)  # served at once
    waiting = []
    for _ in range(2):
        with committed():
            waiting.append(make_conversation(inbox))
    assert positions(captured_events, waiting[0]) == [{
        "reference": waiting[0].reference, "position": 1, "estimated_wait_s": 600,
        "callback_offered": False, "callback_requested": False}]  # 600 s is under the 900 s offer
    assert positions(captured_events, waiting[1])[0]["callback_offered"] is True  # 1200 s is over
    assert len(positions(captured_events, waiting[0])) == 1  # the second arrival changed nothing for them


def test_an_assignment_moves_everyone_up(busy_line, captured_events, committed):
    _queue, _inbox, agent, served, waiting = busy_line
    with committed():
        conv.resolve_conversation(agent, served)
    waiting[0].refresh_from_db()
    assert waiting[0].assignee == agent
    assert positions(captured_events, waiting[1])[-1]["position"] == 1
    assert positions(captured_events, waiting[2])[-1]["position"] == 2
    assert positions(captured_events, waiting[0]) == []  # no longer waiting


def test_an_abandon_moves_the_people_behind_up(busy_line, captured_events, committed):
    _queue, _inbox, _agent, _served, waiting = busy_line
    with committed():
        conv.resolve_conversation(None, waiting[0])  # the citizen left before reaching anyone
    assert positions(captured_events, waiting[1])[-1]["position"] == 1
    assert positions(captured_events, waiting[2])[-1]["position"] == 2


def test_positions_are_sent_only_after_commit(busy_line, captured_events, committed):
    _queue, inbox, _agent, _served, _waiting = busy_line
    with committed():
        make_conversation(inbox)
        assert not [e for e, _g in captured_events if e["type"] == "queue.position_changed"]
    assert [e for e, _g in captured_events if e["type"] == "queue.position_changed"]


def test_nobody_staffed_means_unknown_wait_and_a_callback_offer(committed, captured_events):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    make_agent([team], presence="offline", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    data = positions(captured_events, conversation)[-1]
    assert data["estimated_wait_s"] is None and data["callback_offered"] is True


@pytest.mark.parametrize("value, code", [
    ({"phone": "12"}, "invalid_phone"),
    ({"phone": "not a number"}, "invalid_phone"),
    ({"phone": ""}, "invalid_phone"),
    ({"method": "email", "email": "nobody-at-example"}, "invalid_email"),
    ({"method": "pigeon"}, "invalid_callback"),
    ("+16135550123", "invalid_callback"),
])
def test_bad_callback_requests_are_refused_and_store_nothing(busy_line, value, code):
    waiting = busy_line[4]
    with pytest.raises(ActionError) as refused:
        request_callback(waiting[0], value)
    assert refused.value.code == code and refused.value.message
    assert not CallbackRequest.objects.exists()


def test_callback_keeps_the_place_and_is_routed_to_a_free_phone_agent(busy_line, committed, captured_events):
    queue, inbox, chat_agent, served, waiting = busy_line
    third = waiting[2]
    with committed():
        callback = request_callback(third, {"phone": "613 555 0123"})
        again = request_callback(third, {"phone": "613 555 0123"})  # a double click: the same request
    assert again.pk == callback.pk
    assert callback.phone == "+16135550123" and callback.queued_at == third.queued_at
    third.refresh_from_db()
    assert third.status == Conversation.Status.QUEUED
    notice = third.messages.filter(is_private=False, author_kind="system").last()
    assert "+16135550123" in notice.body and "keep your place" in notice.body
    assert positions(captured_events, third)[-1]["callback_requested"] is True
    # An agent with chats in progress cannot place a call; an idle phone agent takes the callback.
    phone_agent = make_agent([queue.team], presence="away", languages=["en"], capacity={"voice": 1})
    with committed():
        set_presence(phone_agent, "available")
    third.refresh_from_db()
    callback.refresh_from_db()
    assert third.assignee == phone_agent
    assert callback.status == CallbackRequest.Status.ASSIGNED and callback.assignee == phone_agent
    task = third.messages.filter(is_private=True).last()
    assert "+16135550123" in task.body
    # The phone agent is on a call: nothing else until the callback is done.
    with committed():
        extra = make_conversation(inbox)
    assert Conversation.objects.get(pk=extra.pk).assignee is None
    with committed():
        finish_callback(phone_agent, callback.pk, "done")
        replay = finish_callback(phone_agent, callback.pk, "failed")  # a stale form: changes nothing
    assert replay.status == CallbackRequest.Status.DONE


def test_callback_request_only_while_waiting(busy_line):
    served = busy_line[3]
    with pytest.raises(ActionError) as refused:
        request_callback(served, {"phone": "613 555 0123"})
    assert refused.value.code == "not_waiting"


def test_another_agent_cannot_finish_someone_elses_callback(busy_line, committed):
    queue, inbox, _agent, _served, waiting = busy_line
    with committed():
        callback = request_callback(waiting[0], {"method": "email", "email": "Citizen@Example.ca"})
    assert callback.email == "citizen@example.ca"
    stranger = make_agent([make_team()], presence="available")
    with pytest.raises(ActionError):
        finish_callback(stranger, callback.pk, "done")


def test_email_callback_is_routed_on_email_capacity(committed):
    team = make_team()
    queue = make_queue(team)
    inbox = make_inbox(queue)
    email_only = make_agent([team], presence="away", languages=["en"], capacity={"email": 2})
    with committed():
        conversation = make_conversation(inbox, contact=make_contact())
    with committed():
        request_callback(conversation, {"method": "email", "email": "c@example.ca"})
    with committed():
        set_presence(email_only, "available")
    conversation.refresh_from_db()
    assert conversation.assignee == email_only


def test_a_second_staffed_agent_halves_the_estimate(busy_line, committed):
    queue, inbox, agent, served, waiting = busy_line
    assert estimate_wait_seconds(waiting[1]) == 1200
    # Same capacity as the first agent, busy too: two agents drain the line twice as fast.
    colleague = make_agent([queue.team], presence="available", languages=["fr"], capacity={"chat": 1})
    make_conversation(inbox, language="fr")  # keeps the colleague's capacity in use
    with committed():
        route_waiting()
    assert estimate_wait_seconds(waiting[1]) == 600
    assert Conversation.objects.filter(assignee=colleague).count() == 1
