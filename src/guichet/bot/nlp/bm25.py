"""Incremental Okapi BM25 over short documents.

Documents are added and removed one at a time (the knowledge base changes article by article), so the
index keeps postings and document frequencies as dictionaries instead of a frozen matrix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable

import numpy as np

from guichet.bot.nlp.text import tokens


class BM25Index:
    """BM25 with scores normalised to [0, 1] per query.

    The raw BM25 score of a query grows with its length and with the rarity of its words, so it cannot be
    compared across queries. Dividing by the score a document would get if it contained every query term
    with saturated frequency makes 1.0 mean "every query word present" whatever the query.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[Hashable, int]] = {}
        self._lengths: dict[Hashable, int] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, key: Hashable, text: str, language: str | None = None) -> None:
        """Index `text` under `key`, replacing any previous document with that key."""
        self.add_terms(key, tokens(text, language))

    def add_terms(self, key: Hashable, terms: Iterable[str]) -> None:
        """Index already tokenised `terms` (a document mixing languages is tokenised part by part)."""
        self.remove(key)
        counts = Counter(terms)
        self._lengths[key] = sum(counts.values())
        self._total_length += self._lengths[key]
        for term, count in counts.items():
            self._postings.setdefault(term, {})[key] = count

    def remove(self, key: Hashable) -> None:
        length = self._lengths.pop(key, None)
        if length is None:
            return
        self._total_length -= length
        for term in list(self._postings):
            documents = self._postings[term]
            if documents.pop(key, None) is not None and not documents:
                del self._postings[term]

    def remove_many(self, keys: Iterable[Hashable]) -> None:
        doomed = {key for key in keys if key in self._lengths}
        if not doomed:
            return
        for key in doomed:
            self._total_length -= self._lengths.pop(key)
        for term in list(self._postings):
            documents = self._postings[term]
            for key in doomed.intersection(documents):
                del documents[key]
            if not documents:
                del self._postings[term]

    def _idf(self, term: str) -> float:
        document_frequency = len(self._postings.get(term, ()))
        count = len(self._lengths)
        return math.log(1.0 + (count - document_frequency + 0.5) / (document_frequency + 0.5))

    def search(self, text: str, language: str | None = None) -> dict[Hashable, float]:
        """Normalised score of every document sharing at least one term with `text`."""
        query_terms = set(tokens(text, language))
        if not query_terms or not self._lengths:
            return {}
        average_length = self._total_length / len(self._lengths) or 1.0
        # Unknown words still count in the ceiling: a query made mostly of words the KB never uses should
        # not reach a high normalised score through its one common word.
        ceiling_idf = math.log(1.0 + (len(self._lengths) + 0.5) / 0.5)
        ceiling = 0.0
        scores: dict[Hashable, float] = {}
        for term in query_terms:
            documents = self._postings.get(term)
            if not documents:
                ceiling += ceiling_idf
                continue
            idf = self._idf(term)
            ceiling += idf
            for key, frequency in documents.items():
                length_ratio = self._lengths[key] / average_length
                saturation = frequency * (self.k1 + 1) / (frequency + self.k1 * (1 - self.b + self.b * length_ratio))
                scores[key] = scores.get(key, 0.0) + idf * saturation
        normaliser = ceiling * (self.k1 + 1)
        return {key: score / normaliser for key, score in scores.items()}

    def freeze(self, size: int) -> FrozenBM25:
        """Read-only copy over integer keys 0..size-1 whose postings are numpy arrays.

        A search then costs one vectorised add per query term over that term's posting list (never a scan
        of every document), which keeps a 10,000-article turn within a few milliseconds.
        """
        count = len(self._lengths)
        average_length = (self._total_length / count if count else 0.0) or 1.0
        postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, documents in self._postings.items():
            keys = np.fromiter(documents.keys(), dtype=np.int64, count=len(documents))
            frequencies = np.fromiter(documents.values(), dtype=np.float64, count=len(documents))
            lengths = np.fromiter((self._lengths[key] for key in documents), dtype=np.float64, count=len(documents))
            saturation = frequencies * (self.k1 + 1) / (
                frequencies + self.k1 * (1 - self.b + self.b * lengths / average_length)
            )
            postings[term] = (keys, (self._idf(term) * saturation).astype(np.float32))
        ceiling_idf = math.log(1.0 + (count + 0.5) / 0.5) if count else 0.0
        return FrozenBM25(size, postings, ceiling_idf, self.k1, count)


class FrozenBM25:
    """Snapshot of a BM25Index for fast scoring; same normalisation as `BM25Index.search`."""

    def __init__(self, size: int, postings: dict, ceiling_idf: float, k1: float, count: int) -> None:
        self.size = size
        self._postings = postings
        self._ceiling_idf = ceiling_idf
        self._k1 = k1
        self._count = count

    def scores(self, text: str, language: str | None = None) -> np.ndarray:
        """(size,) normalised scores in [0, 1]; zeros for documents sharing no term with `text`."""
        result = np.zeros(self.size, dtype=np.float32)
        query_terms = set(tokens(text, language))
        if not query_terms or not self._count:
            return result
        ceiling = 0.0
        for term in query_terms:
            posting = self._postings.get(term)
            if posting is None:
                ceiling += self._ceiling_idf
                continue
            keys, weights = posting
            result[keys] += weights  # keys are unique within one posting list
            ceiling += self._idf_from_frequency(len(keys))
        return result / (ceiling * (self._k1 + 1))

    def _idf_from_frequency(self, document_frequency: int) -> float:
        return math.log(1.0 + (self._count - document_frequency + 0.5) / (document_frequency + 0.5))
