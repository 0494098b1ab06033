"""Offline evaluation of the virtual agent: accuracy, honesty of hand-offs, per-turn latency.

`python -m guichet bot eval --kb KB_FILE --queries QUERIES_FILE` calls `eval_command`.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence

import numpy as np

from guichet.bot.nlp.datasets import (
    DatasetError,
    LabelledQuery,
    load_kb_file,
    load_queries_file,
    published_articles,
)
from guichet.bot.nlp.language import detect_language
from guichet.bot.nlp.retrieval import DEFAULT_THRESHOLDS, IndexedArticle, KnowledgeIndex, Thresholds, decide


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


def run_eval(
    kb_articles: Sequence[IndexedArticle],
    queries: Sequence[LabelledQuery],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    index: KnowledgeIndex | None = None,
    default_language: str = "en",
) -> dict[str, float]:
    """Index `kb_articles`, run every query through search + decide, and summarise.

    top1: share of in-scope queries whose first candidate is the expected article (ranking quality, whatever
          the decision); top3: expected article among the three candidates (what a clarifying question offers).
    answered_correctly: share of in-scope queries answered directly with the expected article (the decision).
    handoff_precision / recall: a hand-off is "right" when the query is out of scope (expected id empty).
    answer_precision: share of direct answers that were the expected article (the honesty figure).
    p50_ms / p95_ms: per-turn latency of search + decide (query embedding included, indexing excluded).
    """
    index = KnowledgeIndex() if index is None else index
    index.upsert_many(list(kb_articles))
    index.search("warm up", default_language)  # builds the snapshot so the first turn is not timed with it
    top3_hits = hits = in_scope = handoffs = right_handoffs = out_of_scope = answers = right_answers = 0
    latencies: list[float] = []
    for query in queries:
        language = detect_language(query.text, fallback=default_language)
        started = time.perf_counter()
        candidates = index.search(query.text, language, k=3)
        decision = decide(candidates, thresholds)
        latencies.append((time.perf_counter() - started) * 1000.0)
        top_id = candidates[0].article_id if candidates else ""
        if query.expected_article_id:
            in_scope += 1
            hits += top_id == query.expected_article_id
            top3_hits += query.expected_article_id in [candidate.article_id for candidate in candidates[:3]]
        else:
            out_of_scope += 1
        if decision.kind == "handoff":
            handoffs += 1
            right_handoffs += not query.expected_article_id
        if decision.kind == "answer":
            answers += 1
            right_answers += top_id == query.expected_article_id
    return {
        "top1": _ratio(hits, in_scope),
        "top3": _ratio(top3_hits, in_scope),
        "answered_correctly": _ratio(right_answers, in_scope),
        "handoff_precision": _ratio(right_handoffs, handoffs),
        "handoff_recall": _ratio(right_handoffs, out_of_scope),
        "answer_rate": _ratio(answers, len(queries)),
        "answer_precision": _ratio(right_answers, answers),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
    }


def format_metrics(prefix: str, metrics: dict[str, float]) -> str:
    return "\n".join(f"{prefix}.{name}: {value:.4f}" if not math.isnan(value) else f"{prefix}.{name}: n/a"
                     for name, value in metrics.items())


def eval_command(argv: list[str]) -> int:
    """Entry point of `guichet bot eval`; exit 2 on unusable input files."""
    parser = argparse.ArgumentParser(prog="guichet bot eval", description="Evaluate the virtual agent.")
    parser.add_argument("--kb", required=True, help="knowledge file (JSON import format)")
    parser.add_argument("--queries", required=True, help="CSV with columns query,expected_article_id")
    parser.add_argument("--language", default="en", help="conversation language when detection is unsure")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    try:
        articles = published_articles(load_kb_file(arguments.kb))
        queries = load_queries_file(arguments.queries)
    except DatasetError as error:
        print(f"bot eval: {error}", file=sys.stderr)
        return 2
    if not articles:
        print(f"bot eval: no published public article in {arguments.kb}", file=sys.stderr)
        return 2
    print(format_metrics("bot_eval", run_eval(articles, queries, default_language=arguments.language)))
    return 0
