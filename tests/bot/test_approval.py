"""Hybrid approval mode: the virtual agent finds the article, an agent checks and sends it (issue #3, brief)."""

from __future__ import annotations

import pytest

from guichet.bot.actions import proposed_answer_of, send_proposed_answer
from guichet.bot.api import answer_text
from guichet.bot.models import BotTurn
from guichet.conversations import actions
from guichet.conversations.actions import ActionError
from guichet.core.models import AuditEvent
from tests.bot.conftest import make_bot_inbox
from tests.bot.test_flows import Chat
from tests.factories import make_agent, make_contact

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "How do I renew my passport?"


def approval_chat(language: str = "en") -> Chat:
    chat = Chat.__new__(Chat)
    inbox = make_bot_inbox(bot_answers_need_approval=True)
    chat.conversation = actions.start_conversation(make_contact(), inbox, language=language)
    chat.seen = 0
    return chat


def test_a_confident_answer_waits_for_an_agent_who_sends_it_once(demo_kb, client):
    chat = approval_chat()
    (notice,) = chat.say(QUESTION)
    assert "An agent is checking it" in notice.body
    conversation = chat.refresh()
    assert conversation.status == "queued"
    proposed = proposed_answer_of(conversation)
    assert proposed and "passport" in proposed["title"].lower()
    assert conversation.handoff_context["reason"] == "awaiting_approval"
    turn = BotTurn.objects.get()
    assert (turn.outcome, turn.reason) == (BotTurn.Outcome.HANDED_OFF, "awaiting_approval")
    assert not conversation.messages.filter(metadata__kind="bot.answer").exists()  # nothing unchecked went out

    agent = make_agent([conversation.queue.team], presence="available", languages=["en"], username="checker")
    other = make_agent([conversation.queue.team], languages=["en"], username="bystander")
    actions.take_conversation(agent, conversation)
    client.login(username="checker", password="correct-horse-battery-staple")
    page = client.get(f"/desk/c/{conversation.reference}/").content.decode()
    assert "Answer proposed by the virtual agent" in page and 'id="send-proposed"' in page
    assert "The virtual agent found an answer: check it and send it" in page

    with pytest.raises(ActionError) as refused:
        send_proposed_answer(other, chat.refresh())
    assert refused.value.code == "not_assignee"

    response = client.post(f"/bot/approve/{conversation.reference}/")
    assert response.status_code == 302
    (sent,) = chat.refresh().messages.filter(author_kind="agent")
    assert sent.author_agent == agent and "passport" in sent.body.lower()
    assert sent.metadata["approved"] is True and sent.metadata["source_url"]
    turn.refresh_from_db()
    assert (turn.outcome, turn.reason) == (BotTurn.Outcome.ANSWERED, "approved")
    assert AuditEvent.objects.filter(action="bot.answer_approved", target=conversation.reference).exists()
    assert proposed_answer_of(chat.refresh()) is None

    again = client.post(f"/bot/approve/{conversation.reference}/", HTTP_ACCEPT="application/json")
    assert again.status_code == 409 and again.json()["error"] == "no_proposed_answer"
    assert chat.refresh().messages.filter(author_kind="agent").count() == 1
    assert 'id="send-proposed"' not in client.get(f"/desk/c/{conversation.reference}/").content.decode()


def test_a_chosen_article_also_waits_and_sms_or_voice_never_answer_unchecked(demo_kb):
    from guichet.bot.widget_actions import on_choose

    chat = approval_chat()
    (offer,) = chat.say("when do I get my money")
    choice = next(b["value"] for b in offer.metadata["buttons"]
                  if b["action"] == "bot.choose" and b["value"] != "none")
    on_choose(chat.conversation, None, choice)
    assert proposed_answer_of(chat.refresh())["article_id"] == choice

    sms = approval_chat()
    assert answer_text(sms.conversation, QUESTION) is None  # the caller hands off to a person
    assert BotTurn.objects.filter(conversation=sms.conversation, reason="awaiting_approval").exists()


def test_without_approval_mode_the_bot_answers_directly(demo_kb):
    chat = Chat("en")
    answer, _prompt = chat.say(QUESTION)
    assert answer.metadata["kind"] == "bot.answer"
    assert proposed_answer_of(chat.refresh()) is None
