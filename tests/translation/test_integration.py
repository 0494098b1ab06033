"""Translation in conversations: a Spanish-speaking citizen and an English-speaking agent, and failures."""

from __future__ import annotations

import pytest

from guichet.conversations import actions
from guichet.conversations.models import Message
from guichet.realtime import events
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db

SPANISH = "Hola, necesito ayuda con mi solicitud de pasaporte"
ENGLISH = "Hello, I need help with my passport application"
REPLY = "Your application is being processed and you will hear from us soon."
REPLY_ES = "Su solicitud está en trámite y pronto tendrá noticias nuestras."


@pytest.fixture
def desk():
    team = make_team()
    inbox = make_inbox(make_queue(team))
    agent = make_agent([team], presence="available", languages=["en"], ui_language="en")
    return team, inbox, agent


def widget_bodies(captured, conversation):
    group = events.group_for_widget(conversation.pk)
    return [event["data"] for event, groups in captured if group in groups and event["type"] == "message.created"]


def test_citizen_message_is_translated_for_the_agent_and_the_reply_for_the_citizen(
        desk, fake_translator, captured_events, django_capture_on_commit_callbacks):
    _team, inbox, agent = desk
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox, language="en")
        actions.take_conversation(agent, conversation)
        received = actions.receive_message(conversation, SPANISH, client_id="c1")
    message = Message.objects.get(pk=received.message.pk)
    assert message.body == SPANISH and message.language == "es"
    assert message.translations == {"en": {"text": ENGLISH, "provider": "libretranslate", "machine": True}}
    conversation.refresh_from_db()
    assert conversation.handoff_context["citizen_language"] == "es"

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.send_agent_reply(agent, conversation, REPLY)
    assert reply.body == REPLY
    assert reply.translations["es"] == {"text": REPLY_ES, "provider": "libretranslate", "machine": True}
    seen_by_citizen = widget_bodies(captured_events, conversation)[-1]
    assert seen_by_citizen["body"] == REPLY_ES
    assert seen_by_citizen["machine_translated"] is True
    assert seen_by_citizen["original_body"] == REPLY
    assert (seen_by_citizen["body_language"], seen_by_citizen["language"]) == ("es", "en")


def test_nothing_is_translated_when_the_agent_reads_the_citizens_language(desk, fake_translator,
                                                                          django_capture_on_commit_callbacks):
    _team, inbox, agent = desk
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox, language="en")
        actions.take_conversation(agent, conversation)
        received = actions.receive_message(conversation, "I need help with my passport application please")
        reply = actions.send_agent_reply(agent, conversation, REPLY)
    assert Message.objects.get(pk=received.message.pk).translations == {}
    assert reply.translations == {}
    assert fake_translator.requests == []


def test_unassigned_conversations_are_translated_for_the_queues_team(desk, fake_translator,
                                                                       django_capture_on_commit_callbacks):
    team, inbox, _agent = desk
    make_agent([team], languages=["en"])
    conversation = make_conversation(inbox, language="en")
    received = actions.receive_message(conversation, SPANISH)
    assert received.message.translations["en"]["text"] == ENGLISH


def test_with_translation_off_messages_stay_as_written(desk, settings):
    settings.GUICHET_TRANSLATOR = "none"
    _team, inbox, agent = desk
    conversation = make_conversation(inbox, language="en")
    received = actions.receive_message(conversation, SPANISH)
    assert received.message.translations == {}
    assert received.message.language == "en"


def test_when_translation_fails_an_agent_who_reads_the_language_gets_the_conversation(
        desk, translator_down, django_capture_on_commit_callbacks):
    team, inbox, agent = desk
    spanish_agent = make_agent([team], presence="available", languages=["es", "en"])
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox, language="en")
        actions.take_conversation(agent, conversation)
        received = actions.receive_message(conversation, SPANISH)
    message = Message.objects.get(pk=received.message.pk)
    assert message.body == SPANISH
    assert message.translations["en"]["error"] == "unavailable"
    conversation.refresh_from_db()
    assert conversation.language == "es"
    assert conversation.assignee_id == spanish_agent.pk
    notice = Message.objects.filter(conversation=conversation, author_kind="system", is_private=True).get()
    assert "sent to an agent who reads Spanish" in notice.body


def test_when_translation_fails_and_nobody_reads_the_language_the_desk_is_told(
        desk, fake_translator, captured_events, django_capture_on_commit_callbacks):
    fake_translator.mode = "garbage"
    _team, inbox, agent = desk
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox, language="en")
        actions.take_conversation(agent, conversation)
        received = actions.receive_message(conversation, SPANISH)
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk and conversation.language == "en"
    assert Message.objects.get(pk=received.message.pk).body == SPANISH
    notice = Message.objects.filter(conversation=conversation, author_kind="system", is_private=True).get()
    assert "shown as written (Spanish)" in notice.body
    assert notice.body not in [data["body"] for data in widget_bodies(captured_events, conversation)]


def test_a_reply_that_cannot_be_translated_is_still_sent_as_written(
        desk, fake_translator, captured_events, django_capture_on_commit_callbacks):
    _team, inbox, agent = desk
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(inbox, language="en")
        actions.take_conversation(agent, conversation)
        actions.receive_message(conversation, SPANISH)
    fake_translator.mode = "slow"
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.send_agent_reply(agent, conversation, REPLY)
    assert reply.translations["es"]["error"] == "unavailable"
    seen_by_citizen = widget_bodies(captured_events, conversation)[-1]
    assert (seen_by_citizen["body"], seen_by_citizen["machine_translated"]) == (REPLY, False)


@pytest.mark.parametrize("language, direction", [("ar", "rtl"), ("he", "rtl"), ("fa", "rtl"), ("es", "ltr"),
                                                  ("fr-CA", "ltr")])
def test_text_direction_follows_the_language(language, direction):
    from guichet.translation.detect import text_direction

    assert text_direction(language) == direction
