"""Messages citizens leave with the virtual agent outside business hours: listed for the queue's team on the
desk, marked done by an agent."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from guichet.bot.models import FollowUpTask
from guichet.bot.widget_actions import on_leave_message
from guichet.conversations import actions
from guichet.core.models import AuditEvent
from tests.agents.helpers import DeskClient
from tests.factories import make_agent, make_contact, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def left_message(django_capture_on_commit_callbacks):
    """A citizen leaves a message with the virtual agent of a queue that opens only tomorrow."""
    team = make_team("general")
    tomorrow = timezone.now().astimezone(ZoneInfo("America/Toronto")).isoweekday() % 7 + 1
    queue = make_queue(team, slug="general", always_open=False, timezone="America/Toronto",
                       business_hours={str(tomorrow): [["09:00", "17:00"]]})
    inbox = make_inbox(queue, slug="web-general", bot_enabled=True)
    conversation = actions.start_conversation(make_contact(display_name="Jo Citizen"), inbox, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        actions.receive_message(conversation, "I want to talk to a person")
    with django_capture_on_commit_callbacks(execute=True):
        on_leave_message(conversation, None, "yes")
    with django_capture_on_commit_callbacks(execute=True):
        actions.receive_message(conversation, "My cheque did not arrive, please call me after 3 pm.")
    task = FollowUpTask.objects.get()
    return team, conversation, task


def test_team_agent_sees_the_left_message_and_marks_it_done(left_message):
    team, conversation, task = left_message
    agent = make_agent([team], username="alice")
    client = DeskClient(agent)
    desk = client.get("/desk/").content.decode()
    assert 'href="/desk/follow-ups/">Follow-ups</a>' in desk
    assert "One message left outside business hours is waiting for an answer." in desk
    page = client.get("/desk/follow-ups/").content.decode()
    assert conversation.reference in page and "My cheque did not arrive" in page and "Jo Citizen" in page
    response = client.post(f"/desk/follow-ups/{task.pk}/done/", htmx=False)
    assert response.status_code == 302 and response["Location"] == "/desk/follow-ups/"
    task.refresh_from_db()
    assert task.status == "done" and task.done_by == agent and task.done_at is not None
    assert AuditEvent.objects.filter(action="follow_up.done", target=conversation.reference).count() == 1
    page = client.get("/desk/follow-ups/").content.decode()
    assert "Follow-up marked as done." in page and "My cheque did not arrive" not in page
    assert "outside business hours is waiting" not in client.get("/desk/").content.decode()
    assert client.post(f"/desk/follow-ups/{task.pk}/done/", htmx=False).status_code == 302  # a double click
    assert AuditEvent.objects.filter(action="follow_up.done").count() == 1


def test_other_teams_do_not_see_nor_close_the_follow_up(left_message):
    _team, conversation, task = left_message
    outsider = make_agent([make_team("benefits")], username="bob")
    client = DeskClient(outsider)
    assert conversation.reference not in client.get("/desk/follow-ups/").content.decode()
    response = client.post(f"/desk/follow-ups/{task.pk}/done/", htmx=False)
    assert response.status_code == 404 and "no such follow-up" in response.content.decode()
    assert client.post("/desk/follow-ups/999999/done/", htmx=False).status_code == 404
    task.refresh_from_db()
    assert task.status == "open" and task.done_by is None


def test_supervisor_sees_every_queues_follow_ups(left_message):
    _team, conversation, _task = left_message
    supervisor = make_agent([], role="supervisor", username="sue")
    assert conversation.reference in DeskClient(supervisor).get("/desk/follow-ups/").content.decode()
