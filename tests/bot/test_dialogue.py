"""The virtual agent over the citizen widget socket, in English and French, like a citizen uses it."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext, override

from guichet.bot.models import BotTurn
from guichet.conversations.models import Conversation
from guichet.knowledge.models import Article
from tests.bot.conftest import a, make_bot_inbox

pytestmark = pytest.mark.django_db(transaction=True)


def conversation_of(reference_holder=None) -> Conversation:
    return Conversation.objects.select_related("queue").latest("id")


async def test_english_question_gets_cited_answer_and_feedback_buttons(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "en")
    await citizen.say("How can I renew my passport?")
    answer, prompt = await citizen.bot_messages(2)
    assert "simplified renewal application" in answer["body"]
    assert answer["metadata"]["source_url"].startswith("https://www.canada.ca/en/")
    assert answer["metadata"]["source_title"] == "How do I renew my passport?"
    assert "**" not in answer["body"]  # Markdown rendered to plain text
    assert prompt["body"] == "Did this answer your question?"
    assert [b["action"] for b in prompt["metadata"]["buttons"]] == ["bot.feedback", "bot.feedback"]

    await citizen.press("bot.feedback", "yes")
    (thanks,) = await citizen.bot_messages(1)
    assert "Glad I could help" in thanks["body"]
    turn = await a(lambda: BotTurn.objects.get())
    assert turn.outcome == "answered" and turn.feedback == "yes"
    article = await a(Article.objects.get, key="passport-renewal")
    assert turn.article_id == str(article.pk)
    await citizen.close()


async def test_french_question_is_answered_in_french(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "fr")
    await citizen.say("Quand est-ce que je vais recevoir mon paiement de prestations?")
    answer, prompt = await citizen.bot_messages(2)
    assert "Allocation canadienne pour enfants" in answer["body"]
    assert answer["metadata"]["source_url"].startswith("https://www.canada.ca/fr/")
    assert answer["language"] == "fr"
    await citizen.close()


async def test_explicit_request_for_a_person_hands_off_with_context(demo_kb, open_citizen, captured_events):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "fr")
    await citizen.say("Comment renouveler mon passeport?")
    await citizen.bot_messages(2)
    await citizen.say("Je veux parler à un humain")
    (notice,) = await citizen.bot_messages(1)
    assert "agent" in notice["body"]
    conversation = await a(conversation_of)
    assert conversation.status == "queued"
    context = conversation.handoff_context
    assert context["reason"] == "requested_person"
    assert context["language"] == "fr"
    assert [line["author"] for line in context["transcript"][:3]] == ["contact", "bot", "bot"]
    assert context["transcript"][0]["text"] == "Comment renouveler mon passeport?"
    assert context["candidates"] and context["candidates"][0]["title"] == "Comment renouveler mon passeport?"
    assert set(context["candidates"][0]) == {"article_id", "title", "confidence"}
    assert context["candidates"][0]["confidence"].endswith(" %")
    assert context["answers"] == {}
    await citizen.close()


async def test_out_of_scope_question_hands_off(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "en")
    await citizen.say("My neighbour's dog keeps barking at night and the cat is on the roof")
    (notice,) = await citizen.bot_messages(1)
    assert "passing your conversation to an agent" in notice["body"]
    conversation = await a(conversation_of)
    assert conversation.status == "queued"
    assert conversation.handoff_context["reason"] in {"not_confident", "no_candidate"}
    turn = await a(lambda: BotTurn.objects.get())
    assert turn.outcome == "handed_off"
    await citizen.close()


async def test_english_only_article_offered_to_a_french_question_comes_with_a_notice(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "fr")
    await citizen.say("Est-ce que je suis admissible au remboursement pour le chauffage en hiver?")
    (question,) = await citizen.bot_messages(1)
    article = await a(Article.objects.get, key="winter-heating-rebate")
    offered = [b["value"] for b in question["metadata"]["buttons"] if b["action"] == "bot.choose"]
    assert offered[0] == str(article.pk)
    await citizen.press("bot.choose", str(article.pk))
    answer, _prompt = await citizen.bot_messages(2)
    with override("fr"):
        notice = gettext("This answer is only available in English.")  # in the citizen's language
    assert answer["body"].startswith(notice + "\n\n")
    assert "heating rebate" in answer["body"]
    assert answer["metadata"]["notice"] is True and answer["language"] == "en"
    await citizen.close()


async def test_ambiguous_question_offers_choices_then_answers_the_chosen_one(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "en")
    await citizen.say("when do I get my money")
    (question,) = await citizen.bot_messages(1)
    buttons = question["metadata"]["buttons"]
    assert buttons[-2]["value"] == "none" and buttons[-1]["action"] == "bot.handoff"
    choices = [b for b in buttons if b["action"] == "bot.choose" and b["value"] != "none"]
    assert choices
    await citizen.press("bot.choose", choices[0]["value"])
    answer, _prompt = await citizen.bot_messages(2)
    assert answer["metadata"]["source_url"]
    # A forged choice (an article that was not offered) is refused.
    await citizen.press("bot.choose", "999999")
    error = await citizen.error()
    assert error["code"] == "bad_value"
    await citizen.close()


async def test_emoji_only_twice_hands_off_and_nothing_breaks(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "en")
    await citizen.say("🙂🙂🙂")
    (rephrase,) = await citizen.bot_messages(1)
    assert "Could you describe your question" in rephrase["body"]
    await citizen.say("?!?! 👍")
    (notice,) = await citizen.bot_messages(1)
    assert "agent" in notice["body"]
    conversation = await a(conversation_of)
    assert conversation.status == "queued"
    assert conversation.handoff_context["reason"] == "repeated_failure"
    await citizen.close()
