import json
from pathlib import Path

import pytest

from guichet.bot.nlp.datasets import load_kb_file, published_articles
from guichet.bot.nlp.evaluate import eval_command
from guichet.bot.nlp.retrieval import (
    ArticleVersion,
    Candidate,
    IndexedArticle,
    KnowledgeIndex,
    Thresholds,
    decide,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def index() -> KnowledgeIndex:
    knowledge = KnowledgeIndex()
    knowledge.upsert_many(published_articles(load_kb_file(FIXTURES / "tiny_kb.json")))
    return knowledge


def test_finds_article_in_the_asked_language(index):
    best = index.search("I need to renew my passport", "en")[0]
    assert best.article_id == "passport-renewal"
    assert best.matched_language == "en"


def test_french_question_finds_english_only_article_and_says_so(index):
    best = index.search("quelle est la date limite pour déclarer mes impôts", "fr")[0]
    assert best.article_id == "tax-deadline"
    assert best.matched_language == "en"


def test_english_question_finds_french_only_article(index):
    best = index.search("which day is the garbage picked up", "en")[0]
    assert best.article_id == "garbage-collection"
    assert best.matched_language == "fr"


def test_internal_articles_are_not_indexed_for_the_public_bot(index):
    assert "internal-script" not in index


def test_candidates_are_ordered_with_probabilities(index):
    candidates = index.search("lost health card", "en", k=3)
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    assert all(0.0 <= c.probability <= 1.0 for c in candidates)


def test_out_of_scope_question_is_handed_off(index):
    decision = decide(index.search("what is the best pizza recipe", "en"))
    assert decision.kind == "handoff"


def test_upsert_and_remove_one_article_without_rebuilding_the_others():
    knowledge = KnowledgeIndex()
    knowledge.upsert_many(published_articles(load_kb_file(FIXTURES / "tiny_kb.json")))
    question = "can I bring my dog to the municipal swimming pool"
    assert knowledge.search(question, "en")[0].article_id != "pool-pets"
    knowledge.upsert(IndexedArticle("pool-pets", {"en": ArticleVersion(
        "Are dogs allowed at the municipal swimming pool?", ("pets at the pool", "bring my dog swimming"))}))
    assert knowledge.search(question, "en")[0].article_id == "pool-pets"
    knowledge.remove("pool-pets")
    assert "pool-pets" not in knowledge
    assert all(c.article_id != "pool-pets" for c in knowledge.search(question, "en", k=5))


def _candidate(article_id: str, probability: float) -> Candidate:
    return Candidate(article_id, 1.0, probability, "en", article_id)


def test_decide_answers_only_when_confident():
    decision = decide([_candidate("a", 0.9), _candidate("b", 0.05)])
    assert (decision.kind, [c.article_id for c in decision.candidates]) == ("answer", ["a"])


def test_decide_clarifies_between_close_candidates():
    decision = decide([_candidate("a", 0.5), _candidate("b", 0.4), _candidate("c", 0.2), _candidate("d", 0.01)])
    assert decision.kind == "clarify"
    assert [c.article_id for c in decision.candidates] == ["a", "b", "c"]


def test_decide_hands_off_when_unsure_or_empty():
    assert decide([_candidate("a", 0.2)]).kind == "handoff"
    assert decide([]).kind == "handoff"
    assert decide([_candidate("a", 0.5)], Thresholds(clarify=0.6)).kind == "handoff"


def test_eval_command_prints_metrics(capsys):
    exit_code = eval_command(["--kb", str(FIXTURES / "tiny_kb.json"), "--queries", str(FIXTURES / "tiny_queries.csv")])
    output = capsys.readouterr().out
    assert exit_code == 0
    for name in ("top1", "handoff_precision", "handoff_recall", "p50_ms", "p95_ms"):
        assert f"bot_eval.{name}: " in output


def test_eval_command_rejects_bad_files(tmp_path, capsys):
    broken = tmp_path / "kb.json"
    broken.write_text(json.dumps([{"id": "x", "en": None, "fr": None}]))
    assert eval_command(["--kb", str(broken), "--queries", str(FIXTURES / "tiny_queries.csv")]) == 2
    assert "needs an 'en' or 'fr' version" in capsys.readouterr().err
    assert eval_command(["--kb", str(tmp_path / "missing.json"), "--queries", "nope.csv"]) == 2
