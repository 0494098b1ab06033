"""Transfers re-enter routing keeping the place; replayed or stale assignment requests change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.agents.actions import open_connection, set_presence
from guichet.conversations import actions as conv
from guichet.conversations.models import Conversation
from guichet.routing.models import AssignmentLog
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"


def test_team_transfer_keeps_the_place_in_the_new_queue(committed):
    general, benefits = make_team(), make_team()
    general_inbox = make_inbox(make_queue(general))
    benefits_inbox = make_inbox(make_queue(benefits))
    first_agent = make_agent([general], presence="available", languages=["en"])
    specialist = make_agent([benefits], presence="away", languages=["en"], capacity={"chat": 1})
    with committed():
        transferred = make_conversation(general_inbox)
    Conversation.objects.filter(pk=transferred.pk).update(queued_at=timezone.now() - timedelta(minutes=5))
    with committed():
        already_waiting = make_conversation(benefits_inbox)  # arrived later than the transferred citizen
    with committed():
        conv.transfer_conversation(first_agent, Conversation.objects.get(pk=transferred.pk),
                                   to_team=benefits, note="Needs the benefits team")
    moved = Conversation.objects.get(pk=transferred.pk)
    assert moved.status == Conversation.Status.QUEUED and moved.assignee is None
    with committed():
        set_presence(specialist, "available")
    assert Conversation.objects.get(pk=transferred.pk).assignee == specialist
    assert Conversation.objects.get(pk=already_waiting.pk).assignee is None


def test_a_replayed_take_changes_nothing_and_a_stale_one_is_refused(client, committed):
    team = make_team()
    inbox = make_inbox(make_queue(team))
    make_agent([team], presence="away", languages=["en"], username="first")
    make_agent([team], presence="away", languages=["en"], username="second")
    with committed():
        conversation = make_conversation(inbox)
    assert client.login(username="first", password=PASSWORD)
    with committed():
        assert client.post(f"/desk/c/{conversation.reference}/take/").status_code in (200, 302)
    taken = Conversation.objects.get(pk=conversation.pk)
    with committed():
        client.post(f"/desk/c/{conversation.reference}/take/")  # the same click delivered twice
    again = Conversation.objects.get(pk=conversation.pk)
    assert again.assignee == taken.assignee and again.assigned_at == taken.assigned_at
    client.logout()
    assert client.login(username="second", password=PASSWORD)
    stale = client.post(f"/desk/c/{conversation.reference}/take/", follow=True)  # from an outdated list
    assert "Another agent already has this conversation." in stale.content.decode()
    assert Conversation.objects.get(pk=conversation.pk).assignee.user.username == "first"
    assert not AssignmentLog.objects.filter(conversation=conversation).exclude(
        agent__user__username="first").exists()


def test_a_team_transfer_is_not_reserved_for_the_agent_who_made_it(committed):
    team = make_team()
    inbox = make_inbox(make_queue(team, sticky_window_s=600))
    first_agent = make_agent([team], presence="available", languages=["en"])
    open_connection(first_agent, "desk-1")  # still at their desk: a returning citizen would wait for them
    colleague = make_agent([team], presence="away", languages=["en"])
    with committed():
        conversation = make_conversation(inbox)
    assert Conversation.objects.get(pk=conversation.pk).assignee == first_agent
    with committed():
        set_presence(first_agent, "away")
        set_presence(colleague, "available")
    with committed():
        conv.transfer_conversation(first_agent, Conversation.objects.get(pk=conversation.pk), to_team=team,
                                   note="Please take over")
    # The citizen did not come back to the agent who handed them on: the colleague takes them at once.
    assert Conversation.objects.get(pk=conversation.pk).assignee == colleague
