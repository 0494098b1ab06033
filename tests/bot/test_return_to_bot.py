"""The bot's conversation state changes go through conversations.actions: return_to_bot (hand-back) and
set_conversation_language (the citizen's language of record)."""

from __future__ import annotations

import pytest

from guichet.conversations import actions
from guichet.conversations.models import Conversation
from guichet.realtime import events
from tests.agents.helpers import DeskClient
from tests.bot.conftest import make_bot_inbox
from tests.conftest import event_types
from tests.factories import make_agent, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(django_capture_on_commit_callbacks):
    inbox = make_bot_inbox(languages=["en", "fr"])
    agent = make_agent([inbox.default_queue.team], username="holder")
    conversation = actions.start_conversation(make_contact(), inbox, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        actions.take_conversation(agent, conversation)
    return agent, conversation


def test_hand_back_returns_the_conversation_and_tells_the_previous_holders_desk(
        held, captured_events, django_capture_on_commit_callbacks):
    agent, conversation = held
    client = DeskClient(agent)
    client.get(f"/desk/c/{conversation.reference}/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/bot/handback/{conversation.reference}/")
    assert response.status_code == 204
    conversation.refresh_from_db()
    assert conversation.status == "bot" and conversation.assignee is None
    updates = [(event, groups) for event, groups in captured_events if event["type"] == "conversation.updated"]
    agent_update = next(groups for event, groups in updates if events.group_for_agent(agent.pk) in groups)
    assert events.group_for_team(conversation.queue.team_id) in agent_update
    widget = next(event for event, groups in updates if events.group_for_widget(conversation.pk) in groups)
    assert widget["data"]["status"] == "bot"
    assert "message.created" in event_types(captured_events)  # "You are now back with the virtual agent"


def test_return_to_bot_refuses_a_resolved_conversation_and_is_a_no_op_for_a_bot_one(held):
    agent, conversation = held
    actions.return_to_bot(conversation)
    assert actions.return_to_bot(conversation).status == "bot"
    actions.resolve_conversation(agent, conversation)
    with pytest.raises(actions.ActionError) as error:
        actions.return_to_bot(conversation)
    assert error.value.status == 409
    assert Conversation.objects.get(pk=conversation.pk).status == "resolved"


def test_bonjour_sets_the_language_of_record_through_the_verb(captured_events, django_capture_on_commit_callbacks):
    conversation = actions.start_conversation(make_contact(), make_bot_inbox(languages=["en", "fr"]), language="en")
    with django_capture_on_commit_callbacks(execute=True):
        actions.receive_message(conversation, "Bonjour")
    conversation.refresh_from_db()
    assert conversation.language == "fr" and conversation.contact.preferred_language == "fr"
    assert any(event["type"] == "conversation.updated" and event["data"].get("language") == "fr"
               for event, _groups in captured_events)


def test_htmx_refusal_is_json_for_the_desk_script_and_leaves_no_flash(held):
    agent, conversation = held
    other = make_agent([conversation.queue.team], username="other")
    client = DeskClient(other)
    client.get(f"/desk/c/{conversation.reference}/")
    response = client.post(f"/bot/handback/{conversation.reference}/")
    assert response.status_code == 403
    assert response.json() == {"error": "not_assignee",
                               "message": "Only the agent handling this conversation can hand it back."}
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Only the agent handling" not in page
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == agent.pk
