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


def _clarified_then_chosen(question: str) -> tuple[Chat, str]:
    """A citizen asks something the bot is unsure about, is offered articles, and picks the first one."""
    from guichet.bot.widget_actions import on_choose

    chat = Chat("en")
    (offer,) = chat.say(question)
    choices = [button["value"] for button in offer.metadata["buttons"]
               if button["action"] == "bot.choose" and button["value"] != "none"]
    assert choices, "the bot was expected to ask which article is meant"
    on_choose(chat.conversation, None, choices[0])
    return chat, choices[0]


def test_confirmed_wordings_become_phrasings_and_the_next_citizen_gets_an_answer(demo_kb, client):
    from guichet.knowledge.models import Article

    question = "when do I get my money"
    _chat, chosen = _clarified_then_chosen(question)
    turn = BotTurn.objects.get(outcome=BotTurn.Outcome.ANSWERED)
    assert (turn.article_id, turn.reason) == (chosen, "close_candidates")
    _clarified_then_chosen(question)  # a second citizen, same words

    editor = make_agent(role="supervisor", username="editor")
    client.login(username=editor.user.username, password="correct-horse-battery-staple")
    page = client.get("/bot/insights/").content.decode()
    assert "Wordings citizens confirmed" in page and question in page
    assert f'/knowledge/{chosen}/edit/' in page

    response = client.post("/bot/insights/phrasing/", {"turn": turn.pk, "days": 30})
    assert response.status_code == 302
    article = Article.objects.get(pk=int(chosen))
    assert question in article.en_phrasings
    assert article.revisions.first().source == "insights"
    assert question not in client.get("/bot/insights/").content.decode()  # reviewed: no longer suggested
    client.post("/bot/insights/phrasing/", {"turn": turn.pk})  # a double click adds nothing
    article.refresh_from_db()
    assert article.en_phrasings.count(question) == 1

    # The live index learnt it: the next citizen asking the same way is answered directly.
    (answer, *_rest) = Chat("en").say(question)
    assert answer.metadata.get("source_url") and answer.metadata.get("kind") != "bot.clarify"
    assert BotTurn.objects.order_by("-pk").first().outcome == BotTurn.Outcome.ANSWERED


def test_confirmed_wordings_are_for_editors_and_skip_personal_information(demo_kb, client):
    _clarified_then_chosen("when do I get my money")
    turn = BotTurn.objects.get(outcome=BotTurn.Outcome.ANSWERED)
    agent = make_agent(role="agent", username="plain")
    client.login(username=agent.user.username, password="correct-horse-battery-staple")
    assert client.post("/bot/insights/phrasing/", {"turn": turn.pk}).status_code == 403
    client.logout()
    editor = make_agent(role="supervisor", username="editor")
    client.login(username=editor.user.username, password="correct-horse-battery-staple")
    assert client.post("/bot/insights/phrasing/", {"turn": "x"}).status_code == 400
    assert client.post("/bot/insights/phrasing/", {"turn": 999999}).status_code == 404
    BotTurn.objects.filter(pk=turn.pk).update(question="when do I get my money, call me at [PHONE]")
    assert "call me at" not in client.get("/bot/insights/").content.decode()
