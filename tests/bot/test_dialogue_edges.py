"""Edge cases of the dialogue: language switching, stale buttons, background replies, abandonment."""

from __future__ import annotations

import pytest

from guichet.bot.models import BotTurn
from guichet.conversations import actions
from guichet.conversations.models import Message
from guichet.core.jobs import run_due_jobs
from tests.bot.conftest import a, make_bot_inbox
from tests.bot.test_flows import Chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_long_confident_message_switches_language_a_short_one_does_not(demo_kb):
    chat = Chat("en")
    chat.say("passeport?")
    assert chat.refresh().language == "en"
    replies = chat.say("Bonjour, comment est-ce que je peux renouveler mon passeport canadien?")
    assert chat.refresh().language == "fr"
    assert "demande de renouvellement simplifié" in replies[0].body and replies[0].language == "fr"


def test_a_huge_message_is_answered_without_error(demo_kb):
    chat = Chat("en")
    replies = chat.say(("How do I renew my passport? " * 150)[:3990])
    assert replies and replies[0].author_kind == "bot"


def test_background_mode_answers_in_a_job(demo_kb, settings):
    settings.GUICHET_BOT_INLINE = False
    chat = Chat("en")
    assert chat.say("How do I renew my passport?") == []
    assert run_due_jobs(kinds={"bot.reply"}) == 1
    assert "simplified renewal application" in chat.replies()[0].body


def test_an_unanswered_clarifying_question_counts_as_abandoned(demo_kb):
    chat = Chat("en")
    chat.say("when do I get my money")
    assert BotTurn.objects.get().outcome == "clarified"
    actions.resolve_conversation(None, chat.conversation)
    assert BotTurn.objects.get().outcome == "abandoned"


async def test_stale_or_forged_buttons_get_error_frames_and_change_nothing(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "en")
    await citizen.say("How do I renew my passport?")
    await citizen.bot_messages(2)
    await citizen.press("bot.feedback", "maybe")
    assert (await citizen.error())["code"] == "bad_value"
    await citizen.press("flow.start", "launch-rockets")
    assert (await citizen.error())["code"] == "unknown_flow"
    await citizen.press("bot.feedback", {"yes": True})
    assert (await citizen.error())["code"] == "bad_value"
    await citizen.press("bot.handoff", "person")
    await citizen.bot_messages(1)
    await citizen.press("bot.feedback", "yes")
    assert (await citizen.error())["code"] == "not_with_bot"
    turns = await a(lambda: list(BotTurn.objects.values_list("feedback", flat=True)))
    assert "yes" not in turns
    await citizen.close()


async def test_a_flow_started_by_button_over_the_socket(demo_kb, open_citizen):
    inbox = await a(make_bot_inbox)
    citizen = await open_citizen(inbox.slug, "fr")
    await citizen.say("Bonjour")
    (greeting,) = await citizen.bot_messages(1)
    assert greeting["metadata"]["kind"] == "bot.greeting"
    await citizen.press("flow.start", "application-status")
    (prompt,) = await citizen.bot_messages(1)
    assert "numéro de référence" in prompt["body"]
    assert [b["action"] for b in prompt["metadata"]["buttons"]] == ["flow.cancel", "bot.handoff"]
    await citizen.say("ZZ999999")
    (next_prompt,) = await citizen.bot_messages(1)
    assert "date de naissance" in next_prompt["body"]
    bodies = await a(lambda: list(Message.objects.filter(author_kind="contact").values_list("body", flat=True)))
    assert bodies == ["Bonjour", "ZZ999999"]
    await citizen.close()


def test_greetings_choose_the_language_and_mixed_messages_keep_it(demo_kb):
    chat = Chat("en")
    (hello,) = chat.say("Bonjour!")
    assert chat.refresh().language == "fr" and hello.metadata["kind"] == "bot.greeting"
    chat.say("passport passeport renew renouveler please svp")
    assert chat.refresh().language == "fr"
