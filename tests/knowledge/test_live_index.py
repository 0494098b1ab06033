"""The bot's live index follows article changes without a restart (token check before each search)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.bot.nlp.embeddings import get_embedder
from guichet.bot.nlp.retrieval import KnowledgeIndex
from guichet.knowledge.actions import delete_article, save_article
from guichet.knowledge.index import LiveIndex, get_live_index
from guichet.knowledge.models import Article

pytestmark = pytest.mark.django_db

QUESTION = "Can I bring my pet moose to the service centre?"


def top_key(index: LiveIndex, text: str, language: str = "en") -> str | None:
    candidates = index.search(text, language)
    if not candidates:
        return None
    return Article.objects.get(pk=int(candidates[0].article_id)).key


def moose(**fields) -> Article:
    article = Article(key="moose", status="published", audience="public", en_title=QUESTION,
                      en_phrasings=["moose in the office", "animals allowed in service centres"],
                      en_answer="Only service animals are allowed.", **fields)
    save_article(article)
    return article


def test_new_edited_unpublished_and_deleted_articles_reach_the_index(demo_kb):
    index = get_live_index()
    assert top_key(index, QUESTION) != "moose"
    article = moose()
    assert top_key(index, QUESTION) == "moose"

    article.en_title, article.en_phrasings = "Where do I pay a parking ticket?", ["parking fine payment"]
    save_article(article)
    assert top_key(index, "how do I pay my parking fine") == "moose"

    article.status = Article.Status.DRAFT
    save_article(article)
    assert str(article.pk) not in index.article_ids()

    article.status = Article.Status.PUBLISHED
    save_article(article)
    assert str(article.pk) in index.article_ids()
    delete_article(article)
    assert str(article.pk) not in index.article_ids()


def test_an_edited_answer_reaches_the_index(demo_kb):
    """Answers are indexed too (passages, question + answer entries, BM25): an answer-only edit must resync."""
    index = get_live_index()
    article = moose()
    index.search(QUESTION, "en")
    stored = index.index._articles[str(article.pk)]
    assert "servic" in stored.answer_terms
    article.en_answer = "Moose are welcome on Tuesdays at the riverside office."
    save_article(article)
    index.search(QUESTION, "en")
    assert "riversid" in index.index._articles[str(article.pk)].answer_terms


def test_internal_scripts_and_expired_articles_are_never_searched(demo_kb):
    index = get_live_index()
    internal = moose(valid_from=None)
    internal.audience = Article.Audience.INTERNAL
    save_article(internal)
    assert str(internal.pk) not in index.article_ids()

    internal.audience = Article.Audience.PUBLIC
    internal.valid_until = timezone.now() - timedelta(minutes=1)
    save_article(internal)
    assert str(internal.pk) not in index.article_ids()


def test_an_article_whose_window_opens_later_appears_when_it_opens(demo_kb, monkeypatch):
    index = get_live_index()
    start = timezone.now() + timedelta(hours=1)
    article = moose(valid_from=start)
    assert str(article.pk) not in index.article_ids()
    later = start + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert str(article.pk) in index.article_ids()


def test_a_second_process_sees_changes_through_the_version_token(demo_kb):
    # Its own index and sync state; the embedder (and its vector cache) is shared like a warm model would be.
    other_process = LiveIndex(KnowledgeIndex(embedder=get_embedder()))
    assert top_key(other_process, QUESTION) != "moose"
    moose()
    assert top_key(other_process, QUESTION) == "moose"


def test_a_background_refresh_indexes_another_process_change_before_the_next_search(demo_kb):
    from guichet.knowledge.index import refresh_once

    serving = LiveIndex(KnowledgeIndex(embedder=get_embedder()))
    refresh_once(serving)
    assert serving.index._scorer is not None
    article = moose()  # saved by "another process": only the shared version token says so
    refresh_once(serving)
    assert str(article.pk) in serving._signatures
    assert serving.index._scorer is not None  # already rebuilt: the citizen's search will not pay for it
    snapshot = serving.index._scorer
    assert top_key(serving, QUESTION) == "moose"
    assert serving.index._scorer is snapshot
