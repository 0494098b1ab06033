"""Learning loop: redacted turns, clustered unanswered questions on /bot/insights/."""

from __future__ import annotations

import pytest

from guichet.bot.models import BotTurn
from tests.bot.test_flows import Chat
from tests.factories import make_agent

pytestmark = pytest.mark.django_db(transaction=True)


def test_turns_are_recorded_with_personal_information_redacted(demo_kb):
    chat = Chat("en")
    chat.say("My email is jane.doe@example.com and my phone 613-555-0123, where is my moose permit?")
    turn = BotTurn.objects.get()
    assert "jane.doe" not in turn.question and "555" not in turn.question
    assert "[EMAIL]" in turn.question and "[PHONE]" in turn.question
    assert turn.language == "en"
    assert turn.candidates and {"article_id", "title", "score", "probability"} <= set(turn.candidates[0])


def test_insights_page_groups_unanswered_questions_with_a_create_link(demo_kb, client):
    for question in ("Can I get a fishing licence for the lake?", "fishing licence for the lake",
                     "<script>alert('x')</script> fishing licence for the lake?"):
        Chat("en").say(question)
    Chat("en").say("How do I renew my passport?")  # answered: not listed
    supervisor = make_agent(role="supervisor", username="sup")
    client.login(username=supervisor.user.username, password="correct-horse-battery-staple")
    page = client.get("/bot/insights/").content.decode()
    assert "3 questions" in page
    assert "Can I get a fishing licence for the lake?" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "/knowledge/new/?en_title=" in page
    assert "How do I renew my passport?" not in page


def test_negative_feedback_appears_in_insights(demo_kb, client):
    from guichet.bot.widget_actions import on_feedback

    chat = Chat("en")
    chat.say("How do I renew my passport?")
    on_feedback(chat.conversation, None, "no")
    assert BotTurn.objects.get().feedback == "no"
    assert chat.refresh().handoff_context["reason"] == "negative_feedback"
    make_agent(role="admin", username="boss")
    client.login(username="boss", password="correct-horse-battery-staple")
    page = client.get("/bot/insights/").content.decode()
    assert "1 rated not helpful" in page
