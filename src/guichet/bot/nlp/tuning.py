"""Choose the fusion weights on validation data only: `python -m guichet.bot.nlp.tuning`.

Protocol (also in docs/virtual-agent.md):
* BANKING77: the knowledge base is the 10-shot draw from train.csv (`banking77_kb`, seed 0); the
  validation queries are other train.csv rows (`banking77_validation`, seed 1, 10 per intent). test.csv is
  never read here.
* French FAQ: `tests/bot/fixtures/fr_covid_dev_queries.csv` only; the measured paraphrases
  (`fr_covid_queries.csv`) are never read here.
Every signal is computed once per query; each weight combination of the grid is then a cheap weighted sum.
The objective is the mean of the two validation top-1 accuracies (BANKING77 with and without titles count
half each), ties broken towards the current weights. Prints `name: value` lines; copy the chosen weights
into `retrieval.WEIGHTS` by hand (a deliberate, reviewed change).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from guichet.bot.nlp.datasets import (
    banking77_kb,
    banking77_validation,
    french_faq_kb,
    load_queries_file,
    published_articles,
)
from guichet.bot.nlp.embeddings import E5Embedder, get_embedder
from guichet.bot.nlp.retrieval import WEIGHTS, KnowledgeIndex, signal_units
from guichet.core.paths import shared_data_dir

DATA = shared_data_dir()
REPOSITORY = Path(__file__).resolve().parents[4]
CACHE = Path.home() / ".cache" / "guichet" / "tuning_embeddings.npz"
SIGNALS = ("classifier", "centroid", "knn", "lexical", "answer_lexical", "answer")
GRID = {  # the classifier's weight is fixed at 1: the others are relative to it
    "classifier": (1.0,),
    "centroid": (0.0, 0.25, 0.5),
    "knn": (0.0, 0.25, 0.5, 1.0),
    "lexical": (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0),  # raw BM25 in [0, 1]
    "answer_lexical": (0.0, 0.5, 1.0, 2.0),  # raw BM25 in [0, 1]
    "answer": (0.0, 0.15, 0.3, 0.6, 1.0),
}


def _load_cache(embedder: E5Embedder) -> None:
    if CACHE.exists():
        stored = np.load(CACHE)
        embedder.preload({bytes.fromhex(key): stored[key] for key in stored.files})


def _save_cache(embedder: E5Embedder) -> None:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, **{key.hex(): vector for key, vector in embedder.cache_items().items()})


def signal_stack(index: KnowledgeIndex, queries) -> tuple[np.ndarray, np.ndarray]:
    """(signals, queries, articles) standardised signals and the expected article position of each query."""
    index.search("warm up", "en")
    scorer = index._ensure_scorer()
    vectors = index.embedder.embed([query.text for query in queries], is_query=True)
    stacks = []
    for query, vector in zip(queries, vectors, strict=True):
        parts = scorer.components(vector, query.text)
        stacks.append([signal_units(name, parts[name]) for name in SIGNALS])
    position = {article_id: number for number, article_id in enumerate(index._article_ids)}
    expected = np.array([position.get(query.expected_article_id, -1) for query in queries])
    return np.asarray(stacks).transpose(1, 0, 2), expected


def accuracy(stack: np.ndarray, expected: np.ndarray, weights: np.ndarray) -> float:
    in_scope = expected >= 0
    fused = np.tensordot(weights, stack[:, in_scope], axes=1)
    return float((fused.argmax(axis=1) == expected[in_scope]).mean())


def main() -> int:
    embedder = get_embedder()
    if not isinstance(embedder, E5Embedder):
        print("tuning.error: e5 engine unavailable", file=sys.stderr)
        return 1
    _load_cache(embedder)
    train = DATA / "banking77" / "train.csv"
    validation = banking77_validation(train)
    sets = {}
    for label, with_titles in (("banking77_val", True), ("banking77_val_no_titles", False)):
        records = banking77_kb(train, with_titles=with_titles)
        index = KnowledgeIndex(embedder=embedder, calibrate=False)
        index.upsert_many(published_articles(records))
        sets[label] = signal_stack(index, validation)
        _save_cache(embedder)
    faq = french_faq_kb(DATA / "fr_gov_covid_faq" / "faq.json")
    index = KnowledgeIndex(embedder=embedder, calibrate=False)
    index.upsert_many(published_articles(faq))
    dev = load_queries_file(REPOSITORY / "tests" / "bot" / "fixtures" / "fr_covid_dev_queries.csv")
    sets["fr_dev"] = signal_stack(index, dev)
    _save_cache(embedder)
    share = {"banking77_val": 0.25, "banking77_val_no_titles": 0.25, "fr_dev": 0.5}

    def objective(weights: np.ndarray) -> float:
        return sum(share[label] * accuracy(*sets[label], weights) for label in sets)

    current = np.array([WEIGHTS.get(name, 0.0) for name in SIGNALS])
    best_weights, best_value = current, objective(current)
    for combination in itertools.product(*(GRID[name] for name in SIGNALS)):
        weights = np.array(combination)
        if not weights.any():
            continue
        value = objective(weights)
        if value > best_value + 1e-9:
            best_weights, best_value = weights, value
    for label, weights in (("current", current), ("best", best_weights)):
        for name, weight in zip(SIGNALS, weights, strict=True):
            print(f"tuning.{label}.weight.{name}: {weight}")
        for data in sets:
            print(f"tuning.{label}.{data}.top1: {accuracy(*sets[data], weights):.4f}")
        print(f"tuning.{label}.objective: {objective(weights):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
