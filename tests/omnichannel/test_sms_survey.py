"""SMS satisfaction survey: a lone digit answering the survey is a rating, not a new message, and is thanked for."""

from __future__ import annotations

import pytest

from guichet.analytics.models import SurveyRequest
from guichet.conversations import actions as conv
from guichet.conversations.models import Conversation, Message
from guichet.core.jobs import run_due_jobs
from tests.factories import make_agent
from tests.omnichannel.test_sms import inbound, post_signed, sms_inbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(sms_inbox, fake_provider):  # noqa: F811 - the fixture imported above
    assert post_signed("/hooks/sms/test-sms/", inbound("Is my passport ready?", sid="SM1")).status_code == 200
    conversation = Conversation.objects.get()
    agent = make_agent([sms_inbox.default_queue.team])
    conv.take_conversation(agent, conversation)
    conv.resolve_conversation(agent, conversation)
    run_due_jobs()
    assert "Reply with a number from 1" in fake_provider.requests[-1]["form"]["Body"]
    return Conversation.objects.get(pk=conversation.pk)


def test_survey_answer_is_recorded_thanked_and_not_stored_as_a_message(resolved, fake_provider):
    messages_before = Message.objects.count()
    response = post_signed("/hooks/sms/test-sms/", inbound("4", sid="SM2"))
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.status == "resolved" and conversation.satisfaction == 4
    assert SurveyRequest.objects.get(conversation=conversation).rating == 4
    assert Message.objects.count() == messages_before and not Message.objects.filter(provider_id="SM2").exists()
    run_due_jobs()
    thanks = fake_provider.requests[-1]["form"]
    assert thanks["To"] == "+15145550123" and thanks["Body"] == "Thank you for your answer. It helps us improve " \
                                                                 "our service."


def test_replayed_survey_answer_is_not_a_message_nor_thanked_twice(resolved, fake_provider):
    post_signed("/hooks/sms/test-sms/", inbound("5", sid="SM2"))
    run_due_jobs()
    sent = len(fake_provider.requests)
    assert post_signed("/hooks/sms/test-sms/", inbound("5", sid="SM2")).status_code == 200
    run_due_jobs()
    assert len(fake_provider.requests) == sent
    assert Conversation.objects.get().status == "resolved"
    assert not Message.objects.filter(provider_id="SM2").exists()


def test_other_texts_after_the_survey_are_ordinary_messages(resolved):
    post_signed("/hooks/sms/test-sms/", inbound("5", sid="SM2"))
    post_signed("/hooks/sms/test-sms/", inbound("3", sid="SM3"))  # already answered: a new question
    conversation = Conversation.objects.get()
    assert conversation.satisfaction == 5
    assert Message.objects.get(provider_id="SM3").body == "3" and conversation.is_open


def test_a_digit_out_of_range_is_a_message_and_reopens(resolved):
    post_signed("/hooks/sms/test-sms/", inbound("7", sid="SM2"))
    conversation = Conversation.objects.get()
    assert conversation.satisfaction is None and conversation.is_open
    assert Message.objects.get(provider_id="SM2").body == "7"


def test_french_citizen_is_thanked_in_french(sms_inbox, fake_provider):  # noqa: F811 - the fixture imported above
    from django.utils.translation import gettext, override

    post_signed("/hooks/sms/test-sms/", inbound("Bonjour, est-ce que ma demande de passeport est prête?", sid="SM1"))
    conversation = Conversation.objects.get()
    assert conversation.language == "fr"
    agent = make_agent([sms_inbox.default_queue.team])
    conv.take_conversation(agent, conversation)
    conv.resolve_conversation(agent, conversation)
    run_due_jobs()
    post_signed("/hooks/sms/test-sms/", inbound("5", sid="SM2"))
    run_due_jobs()
    english = "Thank you for your answer. It helps us improve our service."
    with override("fr"):
        french = gettext(english)
    assert french != english
    assert fake_provider.requests[-1]["form"]["Body"] == french
    assert Conversation.objects.get().satisfaction == 5
