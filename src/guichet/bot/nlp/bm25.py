"""Incremental Okapi BM25 over short documents.

Documents are added and removed one at a time (the knowledge base changes article by article), so the
index keeps postings and document frequencies as dictionaries instead of a frozen matrix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable

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

    def add(self, key: Hashable, text: str) -> None:
        """Index `text` under `key`, replacing any previous document with that key."""
        self.remove(key)
        counts = Counter(tokens(text))
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

    def search(self, text: str) -> dict[Hashable, float]:
        """Normalised score of every document sharing at least one term with `text`."""
        query_terms = set(tokens(text))
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
