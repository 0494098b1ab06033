"""Hybrid retrieval over bilingual knowledge articles, with calibrated decisions.

Ranking fuses three signals, each standardised over the whole knowledge base so their units agree:
  * kNN: soft maximum of the e5 cosine between the query and each of an article's titles/phrasings,
  * a light classifier trained only on the knowledge base's phrasings (or, for large knowledge bases,
    one centred prototype per article, which needs no training),
  * normalised BM25 over the folded, lightly stemmed words of titles and phrasings.
Embeddings are multilingual, so a French question finds an English-only article and the reverse.
  * the e5 query-to-passage similarity with the opening of the article's answer (weak weight: it helps
    articles that have only a title, but a question must mostly match questions).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from guichet.bot.nlp.bm25 import BM25Index, FrozenBM25
from guichet.bot.nlp.calibration import (
    SIMILARITY_CENTRE,
    SIMILARITY_SCALE,
    Calibrator,
    default_calibrator,
    fit_calibrator,
)
from guichet.bot.nlp.embeddings import Embedder, get_companion_embedder, get_embedder
from guichet.bot.nlp.text import tokens

KNN_TEMPERATURE = 0.02
PASSAGE_TEMPERATURE = 0.02
# Fusion weights of the standardised signals, one profile per shape of knowledge base: which evidence is
# reliable depends on it. Articles with many phrasings (an intent-style base such as BANKING77) are best
# told apart by a classifier trained on those phrasings; articles with one official question and a long
# answer (a FAQ) need the answer's words and the question read together with its answer. A base's weights
# mix the two profiles by how phrasing-rich its articles are (`profile_weights`). Tuned ONLY on validation
# data (BANKING77 training rows that are not in the 10-shot knowledge base for the first profile,
# tests/bot/fixtures/fr_covid_dev_queries.csv for the second) by `python -m guichet.bot.nlp.tuning`; never on
# BANKING77 test.csv or the measured French paraphrases.
WEIGHT_PROFILES = {
    "phrasings": {
        "classifier": 1.0,  # softmax on the knowledge base's phrasings (prototypes when large)
        "centroid": 0.0,  # cosine with the article's centred mean phrasing (nearest class mean)
        "knn": 0.0,  # soft maximum of the cosine with the article's titles/phrasings
        "lexical": 5.0,  # BM25 over titles and phrasings (raw, in [0, 1])
        "answer_lexical": 0.5,  # BM25 over titles + answer texts (raw, in [0, 1])
        "answer": 0.0,  # soft maximum of the query-to-passage cosine over the answer's passages
        "entry": 0.0,  # query-to-passage cosine with "question + answer opening" (`entry_text`)
        "lda": 0.5,  # shrinkage linear discriminant over the phrasings
        "use_knn": 0.5,  # the companion encoder (USE multilingual): soft maximum over the phrasings
        "use_centroid": 0.0,  # its cosine with the article's centred mean phrasing
        "use_classifier": 0.25,  # its softmax classifier on the phrasings (prototypes when large)
    },
    "single_question": {
        "classifier": 1.0,  # with one question per article: the centred cosine with that question
        "centroid": 0.0,
        "knn": 0.0,
        "lexical": 0.0,
        "answer_lexical": 2.0,
        "answer": 0.6,
        "entry": 0.5,
        "lda": 0.0,
        "use_knn": 0.0,
        "use_centroid": 0.25,
        "use_classifier": 0.0,
    },
}
# An article counts fully as phrasing-rich from this many questions (title + phrasings); one question: none.
PHRASING_RICH_ROWS = 5


def phrasing_richness(rows_per_article: np.ndarray) -> float:
    """0 for a base of one question per article, 1 when every article has PHRASING_RICH_ROWS or more."""
    if not len(rows_per_article):
        return 0.0
    return float(np.clip((rows_per_article - 1) / (PHRASING_RICH_ROWS - 1), 0.0, 1.0).mean())


def profile_weights(rows_per_article: np.ndarray) -> dict[str, float]:
    """Fusion weights for a base whose articles have `rows_per_article` questions each."""
    richness = phrasing_richness(rows_per_article)
    phrasings, single = WEIGHT_PROFILES["phrasings"], WEIGHT_PROFILES["single_question"]
    return {name: richness * phrasings[name] + (1 - richness) * single[name] for name in phrasings}
PASSAGE_CHARACTERS = 500  # answers are split at sentence ends into passages of about this size
ENTRY_CHARACTERS = 600  # answer opening embedded together with the question as one "entry" passage
MAX_PASSAGES = 4  # per language version: bounds indexing cost on long answers (the opening carries the topic)
# Softmax training costs rows x articles x epochs; above this product use prototypes instead.
CLASSIFIER_BUDGET = 150_000
CLASSIFIER_EPOCHS = 300
LDA_SHRINKAGE = 0.5  # share of the identity in the discriminant's covariance (chosen on validation data)
# Above this many articles a turn scores every article only with the cheap signals (prototypes, BM25), then
# computes the others for the best SHORTLIST articles plus a fixed random REFERENCE_SAMPLE of articles, whose
# values estimate each signal's mean and spread over the whole base (the fusion's units). Below it, every
# signal is computed for every article (exact).
EXACT_SEARCH_LIMIT = 2000
SHORTLIST = 300
REFERENCE_SAMPLE = 256
CALIBRATION_FOLD = 5
# A base calibrates itself on held-out phrasings only when most articles have several: in a FAQ where editors
# have added phrasings to a few articles, the held-out fold is mostly titles whose article then vanishes, and
# the fit learnt from it was far off on validation data (answer rate 5 % against 37 % with the reference
# calibration, at the same precision); such bases use the reference calibration for their richness. Nor does a
# FAQ whose editors wrote three phrasings per article (richness 0.75): phrasings written together resemble each
# other, so held-out ones are easy hits and the fit learnt a negative weight for similarity (French FAQ with
# editors' phrasings, validation queries: 87 right answers against 188 with the reference calibration, and no
# out-of-scope question handed off against 16 of 35).
SELF_CALIBRATION_RICHNESS = 0.9
CALIBRATION_MAX_QUERIES = 400
CALIBRATION_ARTICLE_FOLD = 10  # one article in ten is held out whole: out-of-scope examples
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True)
class ArticleVersion:
    title: str
    phrasings: tuple[str, ...] = ()
    answer: str = ""
    source_url: str = ""

    def questions(self) -> list[str]:
        """Texts a citizen's question is compared with: the title and every alternative phrasing."""
        return [text for text in (self.title, *self.phrasings) if text.strip()]


@dataclass(frozen=True)
class IndexedArticle:
    id: str
    versions: Mapping[str, ArticleVersion]
    tags: tuple[str, ...] = ()

    @classmethod
    def from_kb_record(cls, record: Mapping) -> IndexedArticle:
        """Build from one entry of the knowledge import format (see docs/virtual-agent.md)."""
        versions = {}
        for language in ("en", "fr"):
            version = record.get(language)
            if version:
                versions[language] = ArticleVersion(
                    title=version.get("title", ""),
                    phrasings=tuple(version.get("phrasings") or ()),
                    answer=version.get("answer", ""),
                    source_url=version.get("source_url", ""),
                )
        return cls(id=str(record["id"]), versions=versions, tags=tuple(record.get("tags") or ()))


@dataclass(frozen=True)
class Candidate:
    article_id: str
    score: float  # fused score, in standard deviations above the knowledge base's average article
    probability: float  # calibrated estimate that this article answers the question
    matched_language: str  # language of the version to answer with (the asked one when it exists)
    matched_text: str  # the title or phrasing that matched best, in whatever language


@dataclass(frozen=True)
class Thresholds:
    """Defaults favour honesty: a wrong official answer is worse than a hand-off to a person."""

    answer: float = 0.90  # answer alone only when at least this likely to be right (chosen on validation data)
    clarify: float = 0.35  # below this for the best candidate: hand off
    clarify_candidate: float = 0.15  # a candidate is offered in a clarifying question only above this
    max_clarify: int = 3


@dataclass(frozen=True)
class Decision:
    kind: Literal["answer", "clarify", "handoff"]
    candidates: tuple[Candidate, ...]
    reason: str


DEFAULT_THRESHOLDS = Thresholds()


def decide(candidates: Sequence[Candidate], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Answer, ask which of a few articles is meant, or hand off to a person."""
    if not candidates:
        return Decision("handoff", (), "no_candidate")
    best = candidates[0]
    if best.probability >= thresholds.answer:
        return Decision("answer", (best,), "confident")
    offered = tuple(
        candidate for candidate in candidates[: thresholds.max_clarify]
        if candidate.probability >= thresholds.clarify_candidate
    )
    # Two near-equal candidates each get a low probability of being *the* answer (the margin between them is
    # small) while together they are likely to hold it: asking which one is meant is then the honest move.
    if best.probability < thresholds.clarify and (
            len(offered) < 2 or sum(candidate.probability for candidate in offered) < thresholds.clarify):
        return Decision("handoff", tuple(candidates), "not_confident")
    return Decision("clarify", offered, "close_candidates" if len(offered) > 1 else "confirm_single")


@dataclass
class _Row:
    language: str
    text: str
    terms: list[str] = field(default_factory=list)  # stemmed in the row's own language, for BM25


@dataclass
class _StoredArticle:
    article: IndexedArticle
    vectors: np.ndarray
    rows: list[_Row]
    passages: np.ndarray  # (passages, dim) e5 passage embeddings of the answers; may have no rows
    entries: np.ndarray  # (versions, dim) e5 passage embedding of each version's title + answer opening
    answer_terms: list[str]  # titles and answers of every version, each stemmed in its language
    companion_vectors: np.ndarray | None = None  # (rows, dim2) the companion encoder's vectors of the rows


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _standardise(scores: np.ndarray) -> np.ndarray:
    spread = scores.std()
    return (scores - scores.mean()) / spread if spread > 1e-9 else np.zeros_like(scores)


def _shrinkage_lda(centred: np.ndarray, labels: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear discriminant with a covariance shrunk towards the identity: (weights, bias) per article.

    Directions in which an article's phrasings vary among themselves (wording, length) count less than the
    directions separating articles. The pooled within-article covariance is estimated from every article with
    several phrasings; with too few such rows it is all shrinkage (nearest mean by Euclidean distance).
    """
    counts = np.diff(np.append(starts, len(centred)))
    means = np.add.reduceat(centred, starts, axis=0) / counts[:, None]
    residuals = centred - means[labels]
    dim = centred.shape[1]
    degrees = len(centred) - len(starts)
    scatter = residuals.T @ residuals / degrees if degrees > 0 else np.zeros((dim, dim))
    level = float(np.trace(scatter)) / dim if degrees > dim // 4 else 0.0
    if level <= 0:
        scatter, level = np.zeros((dim, dim)), 1.0
    covariance = (1 - LDA_SHRINKAGE) * scatter + LDA_SHRINKAGE * level * np.eye(dim)
    weights = np.linalg.solve(covariance, means.T).T
    bias = -0.5 * np.einsum("ij,ij->i", weights, means)
    return weights.astype(np.float32), bias.astype(np.float32)


def _train_softmax(features: np.ndarray, labels: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent (a few hundred rows; numpy only)."""
    scale, rate, decay = 10.0, 0.5, 1e-3
    weights = np.zeros((features.shape[1], classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    targets = np.eye(classes, dtype=np.float32)[labels]
    for _ in range(CLASSIFIER_EPOCHS):
        logits = scale * (features @ weights + bias)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        gradient = (probabilities - targets) / len(features)
        weights -= rate * (scale * features.T @ gradient + decay * weights)
        bias -= rate * scale * gradient.sum(axis=0)
    return weights.T.copy(), bias


def split_passages(answer: str) -> list[str]:
    """Up to MAX_PASSAGES passages of about PASSAGE_CHARACTERS, cut at sentence or line ends.

    A long answer covers several sub-topics; one embedding of its opening misses the later ones, and the
    paraphrase a citizen types often uses the answer's words rather than the title's.
    """
    sentences = [part.strip() for part in _SENTENCE_END.split(answer) if part.strip()]
    passages: list[str] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + 1 + len(sentence) > PASSAGE_CHARACTERS:
            passages.append(current[: PASSAGE_CHARACTERS * 2])  # one unpunctuated wall of text stays bounded
            if len(passages) == MAX_PASSAGES:
                return passages
            current = ""
        current = f"{current} {sentence}".strip()
    if current and len(passages) < MAX_PASSAGES:
        passages.append(current[: PASSAGE_CHARACTERS * 2])
    return passages


def entry_text(version: ArticleVersion) -> str:
    """The article as e5 expects a retrieval passage: its question, then the opening of its answer.

    A citizen's question often matches neither the official question's wording nor any one answer passage
    alone; the pair read together is what e5 was trained to retrieve (on the French FAQ validation queries,
    this one signal ranks the right article first more often than any other single signal).
    """
    answer = version.answer.strip()
    if len(answer) > ENTRY_CHARACTERS:
        answer = answer[:ENTRY_CHARACTERS].rsplit(" ", 1)[0]
    return f"{version.title.strip()}\n{answer}".strip()


def _ranges(owners: np.ndarray, articles: int) -> tuple[np.ndarray, np.ndarray]:
    """First index and count of each article's items in an array grouped by ascending owner."""
    counts = np.bincount(owners, minlength=articles) if len(owners) else np.zeros(articles, dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return first.astype(np.int64), counts.astype(np.int64)


def _gather(first: np.ndarray, counts: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices of the items of `positions`' articles, grouped; start of each article's group in them)."""
    sizes = counts[positions]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    index = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(starts, sizes) + np.repeat(first[positions], sizes)
    return index, starts


def _soft_max_pool(similarity: np.ndarray, starts: np.ndarray, temperature: float) -> np.ndarray:
    """Per segment, a smooth maximum of `similarity` (log-sum-exp); segments must be non-empty."""
    pooled = np.add.reduceat(np.exp((similarity - 1.0) / temperature), starts)
    return 1.0 + temperature * np.log(np.maximum(pooled, 1e-30))


COMPANION_SIGNALS = ("use_knn", "use_centroid", "use_classifier")


class _CompanionScorer:
    """The companion encoder's view of the rows (embeddings.USEEmbedder): kNN, centroid and classifier.

    Same recipes as e5's signals, over its own vectors; one matrix product per turn.
    """

    def __init__(self, rows: np.ndarray, row_article: np.ndarray, segment_starts: np.ndarray) -> None:
        self.segment_starts = segment_starts
        articles = len(segment_starts)
        self.mean = rows.mean(axis=0)
        centred = _unit(rows - self.mean)
        centroids = _unit(np.add.reduceat(centred, segment_starts, axis=0))
        blocks = [rows, centroids]
        self.trained = len(rows) * articles <= CLASSIFIER_BUDGET and articles > 1
        if self.trained:
            classifier, self.class_bias = _train_softmax(centred, row_article, articles)
            blocks.append(classifier)
        else:  # large bases: the centroids are the classifier (prototypes), not stacked twice
            self.class_bias = np.zeros(articles, dtype=np.float32)
        self.row_count = len(rows)
        self.dense = np.ascontiguousarray(np.vstack(blocks), dtype=np.float32)
        self._centred_offsets = self.dense[self.row_count :] @ self.mean

    def components_for(
        self, vector: np.ndarray, positions: np.ndarray, row_index: np.ndarray, local_starts: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """The same signals for the articles at `positions` only (their rows: `row_index`, grouped)."""
        articles = len(self.segment_starts)
        centred_rows = [self.row_count + positions]
        if self.trained:
            centred_rows.append(self.row_count + articles + positions)
        products = self.dense[np.concatenate([row_index, *centred_rows])] @ vector
        rows = len(row_index)
        centred_norm = max(float(np.linalg.norm(vector - self.mean)), 1e-9)
        offsets = self._centred_offsets[np.concatenate(centred_rows) - self.row_count]
        centred = (products[rows:] - offsets) / centred_norm
        count = len(positions)
        centroid = centred[:count]
        classifier = centred[count:] if self.trained else centroid
        return {
            "use_knn": _soft_max_pool(products[:rows], local_starts, KNN_TEMPERATURE),
            "use_centroid": centroid,
            "use_classifier": classifier + self.class_bias[positions],
        }

    def components(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        products = self.dense @ vector
        rows, articles = self.row_count, len(self.segment_starts)
        centred_norm = max(float(np.linalg.norm(vector - self.mean)), 1e-9)
        centred = (products[rows:] - self._centred_offsets) / centred_norm
        centroid = centred[:articles]
        return {
            "use_knn": _soft_max_pool(products[:rows], self.segment_starts, KNN_TEMPERATURE),
            "use_centroid": centroid,
            "use_classifier": (centred[articles:] if self.trained else centroid) + self.class_bias,
        }


@dataclass
class _Scorer:
    """Immutable scoring state for one snapshot of the knowledge base (rows grouped by article)."""

    vectors: np.ndarray  # (rows, dim) unit vectors, rows of one article contiguous
    row_article: np.ndarray  # (rows,) article position of each row
    segment_starts: np.ndarray  # (articles,) first row of each article
    lexical: FrozenBM25  # titles and phrasings, keyed by article position
    answer_lexical: FrozenBM25  # titles and answers, keyed by article position
    passages: np.ndarray  # (passages, dim) answer passages of the articles that have any
    passage_article: np.ndarray  # (passages,) article position of each passage (grouped, ascending)
    entries: np.ndarray  # (entries, dim) title + answer opening, one per language version
    entry_article: np.ndarray  # (entries,) article position of each entry (grouped, ascending)
    companion_rows: np.ndarray | None = None  # (rows, dim2) the companion encoder's vectors, same order
    companion: _CompanionScorer | None = field(init=False)
    mean: np.ndarray = field(init=False)
    centroids: np.ndarray = field(init=False)
    class_weights: np.ndarray = field(init=False)
    class_bias: np.ndarray = field(init=False)
    lda_bias: np.ndarray = field(init=False)
    passage_starts: np.ndarray = field(init=False)
    passage_owners: np.ndarray = field(init=False)
    entry_starts: np.ndarray = field(init=False)
    entry_owners: np.ndarray = field(init=False)
    weights: dict = field(init=False)  # fusion weights for this base's shape (`profile_weights`)
    richness: float = field(init=False)  # `phrasing_richness` of the base
    dense: np.ndarray = field(init=False)  # every dense scorer stacked: one matrix product per turn
    offsets: dict = field(init=False)

    def __post_init__(self) -> None:
        self.companion = (
            _CompanionScorer(self.companion_rows, self.row_article, self.segment_starts)
            if self.companion_rows is not None and len(self.companion_rows) == len(self.vectors) else None
        )
        self.companion_rows = None  # the companion scorer keeps its own stacked copy
        rows_per_article = np.diff(np.append(self.segment_starts, len(self.vectors)))
        self.weights = profile_weights(rows_per_article)
        self.richness = phrasing_richness(rows_per_article)
        self.mean = self.vectors.mean(axis=0)
        centred = _unit(self.vectors - self.mean)
        articles = len(self.segment_starts)
        self.centroids = _unit(np.add.reduceat(centred, self.segment_starts, axis=0))
        lda_weights, lda_bias = _shrinkage_lda(
            (self.vectors - self.mean).astype(np.float64), self.row_article, self.segment_starts)
        blocks = {
            "rows": self.vectors, "centroids": self.centroids, "passages": self.passages,
            "entries": self.entries, "lda": lda_weights,
        }
        if len(self.vectors) * articles <= CLASSIFIER_BUDGET and articles > 1:
            self.class_weights, self.class_bias = _train_softmax(centred, self.row_article, articles)
            blocks["classifier"] = self.class_weights
        else:  # large bases: the centroids are the classifier (prototypes, no training)
            self.class_weights = self.centroids
            self.class_bias = np.zeros(articles, dtype=np.float32)
        self.passage_owners, self.passage_starts = np.unique(self.passage_article, return_index=True)
        self.entry_owners, self.entry_starts = np.unique(self.entry_article, return_index=True)
        self.dense = np.ascontiguousarray(np.vstack(list(blocks.values())), dtype=np.float32)
        self.offsets, cursor = {}, 0
        for name, block in blocks.items():
            self.offsets[name] = (cursor, cursor + len(block))
            cursor += len(block)
        # Keep views into the stacked matrix rather than second copies (tens of MB for 10,000 articles).
        self.vectors, self.centroids, self.passages, self.entries = (
            self.dense[slice(*self.offsets[name])] for name in ("rows", "centroids", "passages", "entries"))
        if "classifier" in self.offsets:
            self.class_weights = self.dense[slice(*self.offsets["classifier"])]
        else:
            self.class_weights = self.centroids
        # Centred scorers: w . (q - mean) / |q - mean| = (w . q - w . mean) / |q - mean|, so they share the
        # one product with the raw query.
        self._centroid_offset = self.centroids @ self.mean
        self._classifier_offset = self.class_weights @ self.mean
        # The discriminant is linear in the centred query: w . (q - mean) + b = w . q + (b - w . mean).
        self.lda_bias = lda_bias - self._block_matrix("lda") @ self.mean
        # Per-article ranges of rows, passages and entries, for the shortlist path of large bases.
        self.row_counts = rows_per_article
        self.passage_first, self.passage_count = _ranges(self.passage_article, articles)
        self.entry_first, self.entry_count = _ranges(self.entry_article, articles)
        generator = np.random.default_rng(0)
        self.reference = np.sort(generator.choice(articles, min(REFERENCE_SAMPLE, articles), replace=False))

    def _pooled(self, products: np.ndarray, name: str, starts: np.ndarray, owners: np.ndarray) -> np.ndarray:
        """Per article, the soft maximum over its passages of one kind (`owners`: articles having any)."""
        result = np.zeros(self.article_count, dtype=np.float32)
        if len(starts):
            pooled = _soft_max_pool(self._block(products, name), starts, PASSAGE_TEMPERATURE)
            # Articles without such a passage get the base's lowest score, not an artificial zero.
            result[:] = pooled.min()
            result[owners] = pooled
        return result

    def _block_matrix(self, name: str) -> np.ndarray:
        return self.dense[slice(*self.offsets[name])]

    @property
    def article_count(self) -> int:
        return len(self.segment_starts)

    def _block(self, products: np.ndarray, name: str) -> np.ndarray:
        start, end = self.offsets[name]
        return products[start:end]

    def components(
        self, query_vector: np.ndarray, query_text: str, language: str | None = None,
        companion_vector: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Every raw signal for every article: one matrix product per encoder, then BM25 over posting lists."""
        if self.companion is not None and companion_vector is not None:
            companion = self.companion.components(companion_vector)
        else:  # constant signals standardise to zero: the fusion runs on e5 alone
            companion = {name: np.zeros(self.article_count, dtype=np.float32) for name in COMPANION_SIGNALS}
        products = self.dense @ query_vector
        row_similarity = self._block(products, "rows")
        centred_norm = max(float(np.linalg.norm(query_vector - self.mean)), 1e-9)
        centroid = (self._block(products, "centroids") - self._centroid_offset) / centred_norm
        if "classifier" in self.offsets:
            classifier = (self._block(products, "classifier") - self._classifier_offset) / centred_norm
            classifier = classifier + self.class_bias
        else:
            classifier = centroid
        return {
            "row_similarity": row_similarity,
            "knn": _soft_max_pool(row_similarity, self.segment_starts, KNN_TEMPERATURE),
            "classifier": classifier,
            "centroid": centroid,
            "lexical": self.lexical.scores(query_text, language),
            "answer_lexical": self.answer_lexical.scores(query_text, language),
            "answer": self._pooled(products, "passages", self.passage_starts, self.passage_owners),
            "entry": self._pooled(products, "entries", self.entry_starts, self.entry_owners),
            "lda": self._block(products, "lda") + self.lda_bias,
            **companion,
        }

    def signals(
        self, query_vector: np.ndarray, query_text: str, language: str | None = None,
        companion_vector: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...]:
        """(fused, knn similarity, lexical, row similarities) for every article (fused -inf if not scored)."""
        if self.article_count > EXACT_SEARCH_LIMIT:
            return self._shortlist_signals(query_vector, query_text, language, companion_vector)
        parts = self.components(query_vector, query_text, language, companion_vector)
        fused = fuse(parts, self.weights)
        return fused, parts["knn"], parts["lexical"], parts["row_similarity"]

    def _shortlist_signals(
        self, query_vector: np.ndarray, query_text: str, language: str | None,
        companion_vector: np.ndarray | None,
    ) -> tuple[np.ndarray, ...]:
        """Large bases: cheap signals for all articles, the rest for a shortlist (see EXACT_SEARCH_LIMIT)."""
        weights = self.weights
        centred_norm = max(float(np.linalg.norm(query_vector - self.mean)), 1e-9)
        centroid = (self._block_matrix("centroids") @ query_vector - self._centroid_offset) / centred_norm
        classifier = centroid  # above CLASSIFIER_BUDGET the prototypes (centroids) are the classifier
        if "classifier" in self.offsets:
            classifier = (self._block_matrix("classifier") @ query_vector - self._classifier_offset) / centred_norm
            classifier = classifier + self.class_bias
        exact = {
            "centroid": centroid,
            "classifier": classifier,
            "lexical": self.lexical.scores(query_text, language),
            "answer_lexical": self.answer_lexical.scores(query_text, language),
        }
        exact_units = {name: signal_units(name, values) for name, values in exact.items()}
        cheap = sum(weights[name] * exact_units[name] for name in exact)
        size = min(SHORTLIST, self.article_count)
        best = np.argpartition(-cheap, size - 1)[:size]
        positions = np.union1d(best, self.reference)
        is_reference = np.isin(positions, self.reference)

        row_index, row_starts = _gather(self.segment_starts, self.row_counts, positions)
        has_passages = self.passage_count[positions] > 0
        passage_index, passage_starts = _gather(self.passage_first, self.passage_count, positions[has_passages])
        has_entries = self.entry_count[positions] > 0
        entry_index, entry_starts = _gather(self.entry_first, self.entry_count, positions[has_entries])
        pieces = [
            self.offsets["rows"][0] + row_index, self.offsets["passages"][0] + passage_index,
            self.offsets["entries"][0] + entry_index, self.offsets["lda"][0] + positions,
        ]
        products = self.dense[np.concatenate(pieces)] @ query_vector
        cut = np.cumsum([len(piece) for piece in pieces])
        row_similarity_part, passage_part, entry_part, lda_part = np.split(products, cut[:-1])

        def pooled(similarity: np.ndarray, starts: np.ndarray, present: np.ndarray) -> np.ndarray:
            result = np.zeros(len(positions), dtype=np.float32)
            if len(starts):
                values = _soft_max_pool(similarity, starts, PASSAGE_TEMPERATURE)
                result[:] = values.min()
                result[present] = values
            return result

        partial = {
            "knn": _soft_max_pool(row_similarity_part, row_starts, KNN_TEMPERATURE),
            "answer": pooled(passage_part, passage_starts, has_passages),
            "entry": pooled(entry_part, entry_starts, has_entries),
            "lda": lda_part + self.lda_bias[positions],
        }
        if self.companion is not None and companion_vector is not None:
            partial.update(self.companion.components_for(companion_vector, positions, row_index, row_starts))
        fused_part = np.zeros(len(positions))
        for name, weight in weights.items():
            if not weight:
                continue
            if name in exact_units:
                fused_part += weight * exact_units[name][positions]
            elif name in partial:  # units estimated on the reference sample, which is a random draw of articles
                values = partial[name]
                sample = values[is_reference]
                spread = sample.std()
                if spread > 1e-9:
                    fused_part += weight * (values - sample.mean()) / spread
        fused = np.full(self.article_count, -np.inf)
        fused[positions] = fused_part
        knn = np.zeros(self.article_count, dtype=np.float32)
        knn[positions] = partial["knn"]
        row_similarity = np.full(len(self.vectors), -1.0, dtype=np.float32)
        row_similarity[row_index] = row_similarity_part
        return fused, knn, exact["lexical"], row_similarity


# BM25 scores are already normalised per query to [0, 1] (1 = every query word present). Standardising them
# over the knowledge base instead turns one rare shared word into a 20-standard-deviation outlier in a base
# of short single-title articles (the French FAQ), so they are used as they are, with larger weights.
RAW_SIGNALS = frozenset({"lexical", "answer_lexical"})


def signal_units(name: str, values: np.ndarray) -> np.ndarray:
    """A signal in fusion units: raw for normalised BM25, standard deviations over the base otherwise."""
    return values if name in RAW_SIGNALS else _standardise(values)


def fuse(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted sum of the signals in fusion units (see `signal_units`)."""
    fused = np.zeros_like(parts["knn"], dtype=np.float64)
    for name, weight in weights.items():
        if weight:
            fused += weight * signal_units(name, parts[name])
    return fused


def _answer_terms(article: IndexedArticle) -> list[str]:
    return [
        term for language, version in article.versions.items()
        for term in tokens(f"{version.title} {version.answer}", language)
    ]


def _margin_features(fused: np.ndarray, knn: np.ndarray, lexical: np.ndarray, top: np.ndarray) -> np.ndarray:
    order = np.argsort(-fused)
    best, runner_up = order[0], order[1] if len(order) > 1 else order[0]
    rivals = np.where(top == best, fused[runner_up], fused[best])
    margin = fused[top] - rivals if len(order) > 1 else np.full(len(top), 5.0)
    return np.column_stack([(knn[top] - SIMILARITY_CENTRE) / SIMILARITY_SCALE, lexical[top], margin])


def calibration_holdout(rows_per_article: Sequence[int]) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """Which rows a self-calibration keeps (a mask per article) and asks as questions ((article, row) pairs).

    Every CALIBRATION_FOLD-th row is held out and asked, up to CALIBRATION_MAX_QUERIES; it counts as a hit when
    its own article comes first. Every CALIBRATION_ARTICLE_FOLD-th article also leaves the shadow index whole
    and one of its questions is asked: a question near the base's topics that the base cannot answer, which
    is what citizens' out-of-scope questions look like. Without these, a base whose articles all keep some
    phrasings offers only answerable questions and the fit learns to trust every close match.
    """
    keep: list[np.ndarray] = []
    held: list[tuple[int, int]] = []
    counter = 0
    for article_position, count in enumerate(rows_per_article):
        mask = np.ones(count, dtype=bool)
        if count and article_position % CALIBRATION_ARTICLE_FOLD == CALIBRATION_ARTICLE_FOLD - 1:
            mask[:] = False
            held.append((article_position, article_position % count))
        else:
            for row in range(count):
                if counter % CALIBRATION_FOLD == 0 and len(held) < CALIBRATION_MAX_QUERIES:
                    mask[row] = False
                    held.append((article_position, row))
                counter += 1
        keep.append(mask)
    return keep, held


class KnowledgeIndex:
    """Searchable, incrementally updated index of knowledge articles.

    `upsert`/`remove` only embed the changed article; the scoring snapshot (matrix, classifier,
    calibration) is rebuilt lazily on the next search, from cached vectors.
    """

    def __init__(
        self, embedder: Embedder | None = None, calibrate: bool = True,
        companion: Embedder | None = None, with_companion: bool = True,
    ) -> None:
        self._embedder = embedder
        self._companion = companion
        self._companion_resolved = companion is not None or not with_companion
        self._articles: dict[str, _StoredArticle] = {}
        self._lock = threading.RLock()
        self._scorer: _Scorer | None = None
        self._article_ids: list[str] = []
        self._calibrate = calibrate
        self._calibrator: Calibrator = default_calibrator()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    @property
    def companion(self) -> Embedder | None:
        """The companion encoder, fixed at first use (every stored article then has its vectors, or none)."""
        with self._lock:
            if not self._companion_resolved:
                self._companion = get_companion_embedder()
                self._companion_resolved = True
            return self._companion

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._articles

    def prepare(self) -> None:
        """Build the scoring snapshot now if a change made it stale (otherwise the next search does)."""
        self._ensure_scorer()

    @property
    def calibrator(self) -> Calibrator:
        self._ensure_scorer()
        return self._calibrator

    def upsert(self, article: IndexedArticle) -> None:
        self.upsert_many([article])

    def upsert_many(self, articles: Sequence[IndexedArticle]) -> None:
        """Add or replace articles; one batched embedding call for all their new texts."""
        prepared = [(article, self._rows_of(article)) for article in articles]
        texts = [row.text for _, rows in prepared for row in rows]
        vectors = self.embedder.embed(texts, is_query=True) if texts else np.zeros((0, 0), np.float32)
        companion = self.companion
        companion_vectors = companion.embed(texts, is_query=True) if companion is not None and texts else None
        passages, entries = self._passage_vectors(articles)
        with self._lock:
            cursor = 0
            for (article, rows), article_passages, article_entries in zip(prepared, passages, entries, strict=True):
                stored_vectors = vectors[cursor : cursor + len(rows)]
                stored_companion = companion_vectors[cursor : cursor + len(rows)] if companion_vectors is not None else None
                cursor += len(rows)
                if rows:
                    self._articles[article.id] = _StoredArticle(
                        article, stored_vectors, rows, article_passages, article_entries, _answer_terms(article),
                        stored_companion)
                else:
                    self._articles.pop(article.id, None)
            self._scorer = None

    def remove(self, article_id: str) -> None:
        with self._lock:
            if self._articles.pop(article_id, None) is not None:
                self._scorer = None

    def _passage_vectors(self, articles: Sequence[IndexedArticle]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each article's answer passages and entries (every version), e5 passage prefix, one batch for all."""
        passages = [
            [passage for version in article.versions.values() for passage in split_passages(version.answer)]
            for article in articles
        ]
        entries = [
            [text for version in article.versions.values() if (text := entry_text(version))]
            for article in articles
        ]
        groups = passages + entries
        flat = [text for texts in groups for text in texts]
        dim = self.embedder.dim
        vectors = self.embedder.embed(flat, is_query=False) if flat else np.zeros((0, dim), np.float32)
        result, cursor = [], 0
        for texts in groups:
            result.append(vectors[cursor : cursor + len(texts)].reshape(len(texts), dim))
            cursor += len(texts)
        return result[: len(articles)], result[len(articles) :]

    @staticmethod
    def _rows_of(article: IndexedArticle) -> list[_Row]:
        return [
            _Row(language, text, tokens(text, language))
            for language, version in sorted(article.versions.items())
            for text in dict.fromkeys(version.questions())
        ]

    def _ensure_scorer(self) -> _Scorer | None:
        with self._lock:
            if self._scorer is None and self._articles:
                self._article_ids = sorted(self._articles)
                self._scorer = self._build_scorer([self._articles[key] for key in self._article_ids], None)
                richness = self._scorer.richness
                self_fit = self._calibrate and richness >= SELF_CALIBRATION_RICHNESS
                self._calibrator = self._fit_calibration(richness) if self_fit else default_calibrator(richness)
            return self._scorer

    @staticmethod
    def _build_scorer(stored: Sequence[_StoredArticle], keep: Sequence[np.ndarray] | None) -> _Scorer:
        """Scorer over `stored`; `keep[i]` optionally selects which rows of article i to include."""
        blocks, owners, starts, lexical, answer_lexical = [], [], [], BM25Index(), BM25Index()
        passages, passage_owners, entries, entry_owners = [], [], [], []
        companion_blocks: list[np.ndarray] | None = [] if all(
            item.companion_vectors is not None for item in stored) else None
        row_count = 0
        for article_position, item in enumerate(stored):
            selection = keep[article_position] if keep is not None else np.arange(len(item.rows))
            starts.append(row_count)
            row_count += len(selection)
            blocks.append(item.vectors[selection])
            if companion_blocks is not None and item.companion_vectors is not None:
                companion_blocks.append(item.companion_vectors[selection])
            owners.extend([article_position] * len(selection))
            lexical.add_terms(article_position, [term for row in selection for term in item.rows[row].terms])
            answer_lexical.add_terms(article_position, item.answer_terms)
            passages.append(item.passages)
            passage_owners.extend([article_position] * len(item.passages))
            entries.append(item.entries)
            entry_owners.extend([article_position] * len(item.entries))
        dim = blocks[0].shape[1] if blocks else 0

        def stacked(vectors: list[np.ndarray], owners_of: list[int]) -> np.ndarray:
            return np.vstack(vectors) if owners_of else np.zeros((0, dim), np.float32)

        return _Scorer(
            np.vstack(blocks), np.asarray(owners), np.asarray(starts),
            lexical.freeze(len(stored)), answer_lexical.freeze(len(stored)),
            stacked(passages, passage_owners), np.asarray(passage_owners, dtype=np.int64),
            stacked(entries, entry_owners), np.asarray(entry_owners, dtype=np.int64),
            np.vstack(companion_blocks) if companion_blocks else None,
        )

    def _fit_calibration(self, richness: float) -> Calibrator:
        """Search a held-out fold of phrasings against a scorer built without them (see calibration.py)."""
        stored = [self._articles[key] for key in self._article_ids]
        if len(stored) < 2:
            return default_calibrator(richness)
        keep, held = calibration_holdout([len(item.rows) for item in stored])
        held_out = []
        for article_position, row in held:
            item = stored[article_position]
            companion = item.companion_vectors[row] if item.companion_vectors is not None else None
            held_out.append((article_position, item.vectors[row], companion, item.rows[row]))
        surviving = [position for position, mask in enumerate(keep) if mask.any()]
        if len(surviving) < 2 or not held_out:
            return default_calibrator(richness)
        shadow = self._build_scorer([stored[p] for p in surviving], [np.flatnonzero(keep[p]) for p in surviving])
        shadow_position = {original: new for new, original in enumerate(surviving)}
        features, correct = [], []
        for article_position, vector, companion_vector, held_row in held_out:
            fused, knn, lexical, _ = shadow.signals(vector, held_row.text, held_row.language, companion_vector)
            best = int(np.argmax(fused))
            features.append(_margin_features(fused, knn, lexical, np.array([best]))[0])
            correct.append(shadow_position.get(article_position) == best)
        return fit_calibrator(np.asarray(features), np.asarray(correct, dtype=bool), richness=richness)

    def search(self, text: str, language: str, k: int = 3) -> list[Candidate]:
        """Best `k` articles for a citizen's message written in (or to be answered in) `language`."""
        query_vector = self.embedder.embed([text], is_query=True)[0]
        companion = self.companion
        companion_vector = companion.embed([text], is_query=True)[0] if companion is not None else None
        with self._lock:
            scorer = self._ensure_scorer()
            if scorer is None:
                return []
            fused, knn, lexical, row_similarity = scorer.signals(query_vector, text, language, companion_vector)
            count = min(k, scorer.article_count)
            top = np.argpartition(-fused, count - 1)[:count]
            top = top[np.argsort(-fused[top])]
            probabilities = self._calibrator.probability(_margin_features(fused, knn, lexical, top))
            return [
                self._candidate(scorer, int(position), float(fused[position]), float(probability),
                                row_similarity, language)
                for position, probability in zip(top, probabilities, strict=True)
            ]

    def _candidate(
        self, scorer: _Scorer, position: int, score: float, probability: float,
        row_similarity: np.ndarray, language: str,
    ) -> Candidate:
        stored = self._articles[self._article_ids[position]]
        start = int(scorer.segment_starts[position])
        best_row = stored.rows[int(np.argmax(row_similarity[start : start + len(stored.rows)]))]
        versions = stored.article.versions
        answer_language = language if language in versions else best_row.language
        return Candidate(stored.article.id, score, probability, answer_language, best_row.text)

    def article(self, article_id: str) -> IndexedArticle | None:
        stored = self._articles.get(article_id)
        return stored.article if stored else None
