"""Callback tasks on the desk: the number to call in the lists and on the conversation page, and the nav link."""

from __future__ import annotations

import pytest

from guichet.agents.actions import set_presence
from guichet.routing.callbacks import request_callback
from tests.agents.helpers import DeskClient
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(django_capture_on_commit_callbacks):
    team = make_team("general")
    inbox = make_inbox(make_queue(team, slug="general"), slug="web-general")
    agent = make_agent([team], username="alice")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox, first_message="I need help with my form")
    assert conversation.status == "queued"
    return agent, conversation


def test_waiting_list_shows_the_number_to_call_back(waiting, django_capture_on_commit_callbacks):
    agent, conversation = waiting
    with django_capture_on_commit_callbacks(execute=True):
        request_callback(conversation, {"phone": "(514) 283-1234"})
    page = DeskClient(agent).get("/desk/").content.decode()
    assert 'href="tel:+15142831234"' in page
    assert "Call back +1 514-283-1234" in page


def test_conversation_page_shows_the_callback_and_the_list_without_callback_does_not(waiting):
    agent, conversation = waiting
    client = DeskClient(agent)
    assert "tel:" not in client.get("/desk/").content.decode()
    request_callback(conversation, {"method": "email", "email": "Jo@Example.org"})
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert 'href="mailto:jo@example.org"' in page and "Answer by email: jo@example.org" in page


def test_assigned_callback_stays_visible_in_my_list_and_the_nav_links_my_callbacks(
        waiting, django_capture_on_commit_callbacks):
    agent, conversation = waiting
    agent.capacity = {"voice": 1}
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        request_callback(conversation, {"phone": "(514) 283-1234"})
    with django_capture_on_commit_callbacks(execute=True):
        set_presence(agent, "available")
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk
    client = DeskClient(agent)
    desk = client.get("/desk/").content.decode()
    assert 'href="tel:+15142831234"' in desk
    assert 'href="/supervisor/callbacks/">My callbacks</a>' in desk
    callbacks_page = client.get("/supervisor/callbacks/")
    assert callbacks_page.status_code == 200 and conversation.reference in callbacks_page.content.decode()
