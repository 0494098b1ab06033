"""Choose the fusion weights on validation data only: `python -m guichet.bot.nlp.tuning`.

Protocol (also in docs/virtual-agent.md):
* BANKING77: the knowledge base is the 10-shot draw from train.csv (`banking77_kb`, seed 0); the
  validation queries are other train.csv rows (`banking77_validation`, seed 1, 25 per intent: every intent
  has at least 35 training rows). test.csv is never read here.
* French FAQ: `tests/bot/fixtures/fr_covid_dev_queries.csv` only; the measured paraphrases
  (`fr_covid_queries.csv`) are never read here.
Every signal is computed once per query; a weight combination is then a cheap weighted sum. The search is
coordinate ascent from the current weights over a grid of values per signal (a full grid over seven signals
would be millions of combinations and would overfit the small French set). The objective is the mean of the
two validation top-1 accuracies (BANKING77 with and without titles count half each); a change must improve
it strictly. Prints `name: value` lines; copy the chosen weights into `retrieval.WEIGHT_PROFILES` by hand (a
deliberate, reviewed change).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from guichet.bot.nlp.calibration import fit_calibrator
from guichet.bot.nlp.datasets import (
    LabelledQuery,
    banking77_kb,
    banking77_validation,
    french_faq_kb,
    load_queries_file,
    published_articles,
)
from guichet.bot.nlp.embeddings import E5Embedder, get_embedder
from guichet.bot.nlp.language import detect_language
from guichet.bot.nlp.retrieval import WEIGHT_PROFILES, KnowledgeIndex, _margin_features, signal_units
from guichet.core.paths import shared_data_dir

DATA = shared_data_dir()
REPOSITORY = Path(__file__).resolve().parents[4]
CACHE = Path.home() / ".cache" / "guichet" / "tuning_embeddings.npz"
SIGNALS = ("classifier", "centroid", "knn", "lexical", "answer_lexical", "answer", "entry", "lda",
           "use_knn", "use_centroid", "use_classifier")
GRID = {  # the classifier's weight is fixed at 1: the others are relative to it
    "classifier": (1.0,),
    "centroid": (0.0, 0.25, 0.5, 1.0),
    "knn": (0.0, 0.1, 0.25, 0.5, 1.0),
    "lexical": (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0),  # raw BM25 in [0, 1]
    "answer_lexical": (0.0, 0.5, 1.0, 2.0, 3.0, 4.0),  # raw BM25 in [0, 1]
    "answer": (0.0, 0.15, 0.3, 0.6, 1.0),
    "entry": (0.0, 0.25, 0.5, 1.0, 2.0, 3.0),
    "lda": (0.0, 0.25, 0.5, 1.0, 2.0, 4.0),
    "use_knn": (0.0, 0.25, 0.5, 1.0, 2.0),
    "use_centroid": (0.0, 0.25, 0.5, 1.0),
    "use_classifier": (0.0, 0.25, 0.5, 1.0),
}
ROUNDS = 4
VALIDATION_PER_INTENT = 25
OUT_OF_SCOPE_FOLD = 10  # for the phrasing-rich reference calibration: one intent in ten left out


def _load_cache(embedder: E5Embedder) -> None:
    if CACHE.exists():
        stored = np.load(CACHE)
        embedder.preload({bytes.fromhex(key): stored[key] for key in stored.files})


def _save_cache(embedder: E5Embedder) -> None:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, **{key.hex(): vector for key, vector in embedder.cache_items().items()})  # type: ignore[arg-type]


def _companion_vectors(index: KnowledgeIndex, queries) -> list:
    companion = index.companion
    if companion is None:
        return [None] * len(queries)
    return list(companion.embed([query.text for query in queries], is_query=True))


def signal_stack(index: KnowledgeIndex, queries, default_language: str) -> tuple[np.ndarray, np.ndarray]:
    """(signals, queries, articles) standardised signals and the expected article position of each query."""
    index.search("warm up", default_language)
    scorer = index._ensure_scorer()
    assert scorer is not None, "the tuning sets are never empty"
    vectors = index.embedder.embed([query.text for query in queries], is_query=True)
    companion_vectors = _companion_vectors(index, queries)
    stacks = []
    for query, vector, companion_vector in zip(queries, vectors, companion_vectors, strict=True):
        language = detect_language(query.text, fallback=default_language)  # as a conversation would
        parts = scorer.components(vector, query.text, language, companion_vector)
        stacks.append([signal_units(name, parts[name]) for name in SIGNALS])
    position = {article_id: number for number, article_id in enumerate(index._article_ids)}
    expected = np.array([position.get(query.expected_article_id, -1) for query in queries])
    return np.asarray(stacks).transpose(1, 0, 2), expected


def accuracy(stack: np.ndarray, expected: np.ndarray, weights: np.ndarray) -> float:
    in_scope = expected >= 0
    fused = np.tensordot(weights, stack[:, in_scope], axes=1)
    return float((fused.argmax(axis=1) == expected[in_scope]).mean())


def calibration_data(index: KnowledgeIndex, queries, default_language: str) -> tuple[np.ndarray, np.ndarray]:
    """Calibration features of each query's best article (current weights) and whether it was right."""
    scorer = index._ensure_scorer()
    assert scorer is not None, "the tuning sets are never empty"
    vectors = index.embedder.embed([query.text for query in queries], is_query=True)
    companion_vectors = _companion_vectors(index, queries)
    features, correct = [], []
    for query, vector, companion_vector in zip(queries, vectors, companion_vectors, strict=True):
        language = detect_language(query.text, fallback=default_language)
        fused, knn, lexical, _ = scorer.signals(vector, query.text, language, companion_vector)
        best = int(np.argmax(fused))
        features.append(_margin_features(fused, knn, lexical, np.array([best]))[0])
        correct.append(index._article_ids[best] == query.expected_article_id)
    return np.asarray(features), np.asarray(correct, dtype=bool)


def _ascend(start: np.ndarray, objective) -> tuple[np.ndarray, float]:
    """Coordinate ascent over GRID from `start`; a move must improve the objective strictly."""
    best_weights, best_value = start.copy(), objective(start)
    for _ in range(ROUNDS):
        improved = False
        for position, name in enumerate(SIGNALS):
            for value in GRID[name]:
                trial = best_weights.copy()
                trial[position] = value
                score = objective(trial)
                if score > best_value + 1e-9:
                    best_weights, best_value, improved = trial, score, True
        if not improved:
            break
    return best_weights, best_value


def main() -> int:
    embedder = get_embedder()
    if not isinstance(embedder, E5Embedder):
        print("tuning.error: e5 engine unavailable", file=sys.stderr)
        return 1
    _load_cache(embedder)
    train = DATA / "banking77" / "train.csv"
    validation = banking77_validation(train, per_intent=VALIDATION_PER_INTENT)
    sets = {}
    # Reference calibration of phrasing-rich bases (calibration.PRIORS["phrasings"]): one intent in ten is left
    # out of the knowledge base, so its validation questions are out of scope and count as misses (citizens do
    # ask what a base cannot answer; a fit on answerable questions alone learns to trust every close match).
    records = banking77_kb(train, with_titles=True)
    kept = [record for number, record in enumerate(records) if number % OUT_OF_SCOPE_FOLD != OUT_OF_SCOPE_FOLD - 1]
    kept_ids = {record["id"] for record in kept}
    with_out_of_scope = [
        query if query.expected_article_id in kept_ids else LabelledQuery(query.text, "") for query in validation]
    index = KnowledgeIndex(embedder=embedder, calibrate=False)
    index.upsert_many(published_articles(kept))
    index.search("warm up", "en")
    features, correct = calibration_data(index, with_out_of_scope, "en")
    coefficients = fit_calibrator(features, correct, richness=1.0).coefficients
    print(f"tuning.phrasings.calibration: {np.round(coefficients, 2).tolist()} (on {len(correct)} queries)")
    for label, with_titles in (("banking77_val", True), ("banking77_val_no_titles", False)):
        records = banking77_kb(train, with_titles=with_titles)
        index = KnowledgeIndex(embedder=embedder, calibrate=False)
        index.upsert_many(published_articles(records))
        sets[label] = signal_stack(index, validation, "en")
        _save_cache(embedder)
    faq = french_faq_kb(DATA / "fr_gov_covid_faq" / "faq.json")
    index = KnowledgeIndex(embedder=embedder, calibrate=False)
    index.upsert_many(published_articles(faq))
    dev = load_queries_file(REPOSITORY / "tests" / "bot" / "fixtures" / "fr_covid_dev_queries.csv")
    sets["fr_dev"] = signal_stack(index, dev, "fr")
    _save_cache(embedder)
    # Reference calibration of single-question bases (calibration.PRIORS): no phrasing can be held out of a
    # FAQ, so it is fitted on the French validation queries, out-of-scope ones counting as misses.
    features, correct = calibration_data(index, dev, "fr")
    coefficients = fit_calibrator(features, correct, richness=0.0).coefficients
    print(f"tuning.single_question.calibration: {np.round(coefficients, 2).tolist()} (on {len(correct)} queries)")
    # Each weight profile is tuned on the validation set of its shape of knowledge base (retrieval.py).
    profiles = {
        "phrasings": {"banking77_val": 0.5, "banking77_val_no_titles": 0.5},
        "single_question": {"fr_dev": 1.0},
    }
    for profile, share in profiles.items():

        def objective(weights: np.ndarray, share: dict = share) -> float:
            return sum(part * accuracy(*sets[label], weights) for label, part in share.items())

        current = np.array([WEIGHT_PROFILES[profile].get(name, 0.0) for name in SIGNALS])
        # Coordinate ascent is greedy: a signal that only pays once others are re-weighted is never picked
        # up from one start. Start also from "classifier plus one other signal" for each signal; keep the best.
        starts = [current]
        for position in range(1, len(SIGNALS)):
            start = np.zeros(len(SIGNALS))
            start[0] = start[position] = 1.0
            starts.append(start)
        best_weights, best_value = current.copy(), objective(current)
        for start in starts:
            weights, value = _ascend(start, objective)
            if value > best_value + 1e-9:
                best_weights, best_value = weights, value
        for label, weights in (("current", current), ("best", best_weights)):
            prefix = f"tuning.{profile}.{label}"
            for name, weight in zip(SIGNALS, weights, strict=True):
                print(f"{prefix}.weight.{name}: {weight}")
            for data in share:
                print(f"{prefix}.{data}.top1: {accuracy(*sets[data], weights):.4f}")
            print(f"{prefix}.objective: {objective(weights):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
