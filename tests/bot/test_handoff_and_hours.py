"""Hand-off outside business hours, agent take-over and hand-back, short answers for SMS/voice."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from guichet.bot.api import answer_text
from guichet.bot.models import BotSession, FollowUpTask
from guichet.bot.widget_actions import on_callback, on_leave_message
from guichet.conversations import actions
from guichet.realtime.widget_service import WidgetError
from guichet.routing.models import CallbackRequest
from tests.bot.conftest import make_bot_inbox
from tests.bot.test_flows import Chat
from tests.factories import make_agent, make_contact, make_inbox, make_queue

pytestmark = pytest.mark.django_db(transaction=True)


def closed_today_queue():
    """Open only tomorrow (local time), so it is closed now whatever the hour the test runs."""
    tomorrow = timezone.now().astimezone(ZoneInfo("America/Toronto")).isoweekday() % 7 + 1
    return make_queue(always_open=False, timezone="America/Toronto",
                      business_hours={str(tomorrow): [["09:00", "17:00"]]})


def closed_chat(language: str = "en") -> Chat:
    chat = Chat.__new__(Chat)
    inbox = make_bot_inbox(queue=closed_today_queue())
    chat.conversation = actions.start_conversation(make_contact(), inbox, language=language)
    chat.seen = 0
    return chat


def test_outside_hours_the_bot_says_when_people_are_back_and_takes_a_message(demo_kb):
    chat = closed_chat()
    (offer,) = chat.say("I want to talk to a person")
    assert offer.body.startswith("Our agents are available again on ")
    assert "leave a message" in offer.body
    assert [b["action"] for b in offer.metadata["buttons"]] == ["bot.leave_message", "bot.callback", "bot.wait"]
    assert chat.refresh().status == "bot"

    on_leave_message(chat.conversation, None, "yes")
    chat.replies()
    (thanks,) = chat.say("My cheque did not arrive, please call me back after 3 pm.")
    assert chat.conversation.reference in thanks.body
    task = FollowUpTask.objects.get()
    assert task.kind == "message" and task.note.startswith("My cheque") and task.queue == chat.conversation.queue
    conversation = chat.refresh()
    assert conversation.status == "queued"
    assert conversation.handoff_context["follow_up"]["kind"] == "message"
    assert conversation.handoff_context["reason"] == "requested_person"


def test_outside_hours_callback_request_is_a_routing_callback_keeping_the_place(demo_kb):
    chat = closed_chat("fr")
    chat.say("Je veux parler à quelqu'un")
    on_callback(chat.conversation, None, "yes")
    chat.replies()
    (retry,) = chat.say("pas de numéro")
    assert chat.refresh().status == "bot" and not CallbackRequest.objects.exists()
    assert retry.body  # the bot asked again instead of failing
    (thanks,) = chat.say("613 555 0123")
    callback = CallbackRequest.objects.get()
    assert (callback.method, callback.phone, callback.language, callback.status) == (
        "phone", "+16135550123", "fr", "pending")
    assert callback.queue == chat.conversation.queue and FollowUpTask.objects.count() == 0
    conversation = chat.refresh()
    assert conversation.status == "queued" and callback.queued_at == conversation.queued_at
    assert "+16135550123" in thanks.body and conversation.reference in thanks.body


def test_offer_buttons_are_refused_when_no_offer_is_pending(demo_kb):
    chat = Chat("en")
    with pytest.raises(WidgetError) as error:
        on_callback(chat.conversation, None, "yes")
    assert error.value.code == "bad_value"
    assert BotSession.objects.get().pending == ""


def test_agent_takes_over_and_hands_back_to_the_bot(demo_kb, client):
    chat = Chat("en")
    team = chat.conversation.queue.team
    agent = make_agent([team], role="agent", username="holder")
    other = make_agent([team], role="agent", username="other")
    actions.take_conversation(agent, chat.conversation)
    assert chat.refresh().status == "assigned"

    client.login(username="other", password="correct-horse-battery-staple")
    response = client.post(f"/bot/handback/{chat.conversation.reference}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403 and response.json()["error"] == "not_assignee"
    response = client.post(f"/bot/handback/{chat.conversation.reference}/", follow=True)  # a plain form post
    assert response.redirect_chain == [(f"/desk/c/{chat.conversation.reference}/", 302)]
    assert "Only the agent handling this conversation can hand it back." in response.content.decode()
    assert chat.refresh().status == "assigned"

    client.login(username="holder", password="correct-horse-battery-staple")
    assert client.get(f"/bot/handback/{chat.conversation.reference}/").status_code == 405
    response = client.post(f"/bot/handback/{chat.conversation.reference}/", follow=True)
    assert response.redirect_chain == [(f"/desk/c/{chat.conversation.reference}/", 302)]
    assert "The conversation is back with the virtual agent." in response.content.decode()
    conversation = chat.refresh()
    assert conversation.status == "bot" and conversation.assignee is None
    assert "back with the virtual agent" in chat.replies()[-1].body

    answer = chat.say("How do I renew my passport?")
    assert "simplified renewal application" in answer[0].body
    response = client.post(f"/bot/handback/{chat.conversation.reference}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 409 and response.json()["error"] == "already_with_bot"
    assert other  # still exists; nothing else changed


def test_handback_of_another_teams_conversation_is_forbidden(demo_kb, client):
    chat = Chat("en")
    outsider = make_agent([make_queue().team], role="agent", username="outsider")
    client.login(username=outsider.user.username, password="correct-horse-battery-staple")
    assert client.post(f"/bot/handback/{chat.conversation.reference}/").status_code == 403
    assert client.post("/bot/handback/GC-1999-000001/").status_code == 404


def test_answer_text_for_sms(demo_kb):
    inbox = make_inbox(channel="sms", bot_enabled=True)
    conversation = actions.start_conversation(make_contact(), inbox, language="fr")
    text = answer_text(conversation, "Comment renouveler mon passeport?")
    assert text is not None and "https://www.canada.ca/fr/" in text
    url = "https://www.canada.ca/fr/immigration-refugies-citoyennete/services/passeports-canadiens/" \
          "renouveler-passeport-adulte.html"
    assert text.endswith(url) and "**" not in text
    assert len(text) <= 300 + len(url)  # a short answer plus the link
    assert answer_text(conversation, "Mon voisin a repeint sa clôture en violet hier soir") is None
    assert answer_text(conversation, "🙂") is None
