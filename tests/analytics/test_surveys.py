"""Satisfaction surveys on each channel, answered the way citizens answer them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from guichet.analytics.actions import record_sms_survey_reply
from guichet.analytics.models import DailyStat, SurveyRequest
from guichet.asgi import application
from guichet.conversations import actions
from guichet.conversations.models import Conversation, Message
from tests.factories import make_agent, make_contact, make_conversation, make_inbox, make_queue, make_team


def resolved_conversation(channel: str, *, language: str = "en") -> Conversation:
    team = make_team()
    inbox = make_inbox(make_queue(team), channel=channel)
    agent = make_agent([team])
    conversation = make_conversation(inbox, make_contact(), language=language, first_message="I need help")
    actions.take_conversation(agent, conversation)
    actions.send_agent_reply(agent, conversation, "Done, anything else?")
    return actions.resolve_conversation(agent, conversation)


def survey_message(conversation: Conversation) -> Message:
    return Message.objects.filter(conversation=conversation, author_kind="system").order_by("-seq").first()


def stored_rating(conversation: Conversation) -> tuple:
    conversation.refresh_from_db()
    return conversation.satisfaction, conversation.satisfaction_comment


# --- email: a signed link to a public, bilingual page ----------------------------------------------------


@pytest.mark.django_db
def test_email_survey_link_records_the_rating_and_feeds_the_reports():
    conversation = resolved_conversation("email", language="fr")
    body = survey_message(conversation).body
    link = re.search(r"https?://\S+/reports/survey/\S+/", body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    page = Client().get(f"/{path}")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.content.decode()
    assert "Dites-nous comment nous avons fait" in page.content.decode()
    assert conversation.reference in page.content.decode()
    assert "Êtes-vous satisfait de l’aide reçue? Donnez-nous une note de 1 à 5 ici" in body
    english = Client().get(f"/{path}?lang=en")
    assert '<html lang="en">' in english.content.decode()
    assert "Tell us how we did" in english.content.decode()

    answer = Client().post(f"/{path}", {"rating": "3", "comment": "Correct"})
    assert answer.status_code == 200
    assert stored_rating(conversation) == (3, "Correct")
    assert DailyStat.objects.get(queue=conversation.queue).rated == 1
    assert DailyStat.objects.get(queue=conversation.queue).rating_sum == 3


@pytest.mark.django_db
def test_email_survey_rejects_a_missing_rating_and_stores_nothing():
    conversation = resolved_conversation("email")
    token = SurveyRequest.objects.get(conversation=conversation)
    from guichet.analytics.actions import survey_token

    response = Client().post(f"/reports/survey/{survey_token(token)}/", {"rating": "9"})
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5." in response.content.decode()
    assert stored_rating(conversation) == (None, "")


@pytest.mark.django_db
def test_a_forged_survey_link_is_refused():
    response = Client().get("/reports/survey/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


@pytest.mark.django_db
def test_an_expired_survey_link_says_so_and_stores_nothing():
    conversation = resolved_conversation("email")
    survey = SurveyRequest.objects.get(conversation=conversation)
    SurveyRequest.objects.filter(pk=survey.pk).update(asked_at=timezone.now() - timedelta(days=8))
    from guichet.analytics.actions import survey_token

    response = Client().post(f"/reports/survey/{survey_token(survey)}/", {"rating": "5"})
    assert response.status_code == 410
    assert "has closed" in response.content.decode()
    assert stored_rating(conversation) == (None, "")


# --- SMS: a lone digit within the window -----------------------------------------------------------------


@pytest.mark.django_db
def test_sms_reply_with_a_digit_answers_the_survey_once():
    conversation = resolved_conversation("sms")
    assert "Reply with a number from 1" in survey_message(conversation).body

    assert record_sms_survey_reply(conversation, "Thanks a lot") is False
    assert record_sms_survey_reply(conversation, " 4 ") is True
    assert stored_rating(conversation) == (4, "")
    # A later digit is a new message, not a second vote.
    assert record_sms_survey_reply(conversation, "1") is False
    assert stored_rating(conversation) == (4, "")


@pytest.mark.django_db
def test_sms_reply_after_the_window_is_not_a_survey_answer():
    conversation = resolved_conversation("sms")
    SurveyRequest.objects.filter(conversation=conversation).update(asked_at=timezone.now() - timedelta(days=2))
    assert record_sms_survey_reply(conversation, "5") is False
    assert stored_rating(conversation) == (None, "")


@pytest.mark.django_db
def test_the_phone_line_is_not_sent_a_text_survey():
    conversation = resolved_conversation("voice")
    assert not SurveyRequest.objects.filter(conversation=conversation).exists()


# --- web chat: a survey prompt in the widget, answered with an action frame --------------------------------


async def receive_until(communicator: WebsocketCommunicator, predicate, limit: int = 20) -> dict:
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if predicate(frame):
            return frame
    raise AssertionError("expected frame not received")


def is_survey_event(frame: dict) -> bool:
    return frame.get("type") == "event" and "survey" in frame["event"]["data"].get("metadata", {})


@pytest.mark.django_db(transaction=True)
async def test_widget_survey_prompt_and_rating_through_the_websocket():
    inbox = await database_sync_to_async(make_inbox)()
    agent = await database_sync_to_async(make_agent)([inbox.default_queue.team])
    citizen = WebsocketCommunicator(application, f"/ws/widget/{inbox.slug}/",
                                    headers=[(b"origin", b"http://127.0.0.1:8000")])
    assert (await citizen.connect())[0]
    await citizen.send_json_to({"type": "hello", "token": None, "language": "fr"})
    await receive_until(citizen, lambda f: f["type"] == "welcome")
    await citizen.send_json_to({"type": "message.send", "client_id": "m1", "body": "Bonjour"})
    await receive_until(citizen, lambda f: f["type"] == "message.ack")
    conversation = await database_sync_to_async(Conversation.objects.get)()

    def agent_resolves():
        actions.take_conversation(agent, conversation)
        actions.resolve_conversation(agent, conversation)

    await database_sync_to_async(agent_resolves)()
    prompt = await receive_until(citizen, is_survey_event)
    survey = prompt["event"]["data"]["metadata"]["survey"]
    assert survey == {"question": "Dans quelle mesure êtes-vous satisfait de cette conversation?", "scale": 5,
                      "action": "survey.rate"}

    await citizen.send_json_to({"type": "action", "name": "survey.rate", "value": {"rating": 9}})
    error = await receive_until(citizen, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_rating"
    assert error["message"] == "Choisissez une note de 1 (très insatisfait) à 5 (très satisfait)."
    assert await database_sync_to_async(stored_rating)(conversation) == (None, "")

    await citizen.send_json_to({"type": "action", "name": "survey.rate",
                                "value": {"rating": 4, "comment": "Rapide et clair"}})
    await citizen.send_json_to({"type": "ping"})
    await receive_until(citizen, lambda f: f["type"] == "pong")
    assert await database_sync_to_async(stored_rating)(conversation) == (4, "Rapide et clair")
    rated = await database_sync_to_async(lambda: DailyStat.objects.get(queue=conversation.queue).rated)()
    assert rated == 1
    await citizen.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_widget_rating_without_a_survey_is_refused():
    inbox = await database_sync_to_async(make_inbox)()
    citizen = WebsocketCommunicator(application, f"/ws/widget/{inbox.slug}/",
                                    headers=[(b"origin", b"http://127.0.0.1:8000")])
    assert (await citizen.connect())[0]
    await citizen.send_json_to({"type": "hello", "token": None, "language": "en"})
    await receive_until(citizen, lambda f: f["type"] == "welcome")
    await citizen.send_json_to({"type": "message.send", "client_id": "m1", "body": "Hello"})
    await receive_until(citizen, lambda f: f["type"] == "message.ack")
    await citizen.send_json_to({"type": "action", "name": "survey.rate", "value": {"rating": 5}})
    error = await receive_until(citizen, lambda f: f["type"] == "error")
    assert error["code"] == "no_survey"
    conversation = await database_sync_to_async(Conversation.objects.get)()
    assert await database_sync_to_async(stored_rating)(conversation) == (None, "")
    await citizen.disconnect()
