"""Warm the virtual agent before the first caller or texter needs it, and never make a webhook wait for it.

The first answer after a start used to take about a minute (the embedding model loads and the knowledge index
is built), far past a provider's webhook limit (Twilio: 15 s). Two parts:

- `warm_up_in_background()` starts the knowledge app's own warm-up (model + index, in a daemon thread); call it
  once when a server process starts. The bot app already calls it under `python -m guichet serve`.
- `ask_in_background(key, ask, wait_s)` runs a virtual-agent question in a worker thread and waits at most
  `wait_s`: a cold model (or a slow database) never holds a webhook. The outcome is kept in the cache under
  `key`, where a later webhook (the IVR's "one moment" redirect loop, possibly in another process) finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connections

logger = logging.getLogger("guichet.omnichannel.warmup")

RESULT_TTL_S = 300  # a caller on hold for an answer is long gone after this
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="guichet-voice-bot")


def warm_up_in_background() -> bool:
    """Load the model and build the index in a background thread; False if the knowledge app has no warm-up."""
    try:
        from guichet.knowledge.index import warm_up_in_background as knowledge_warm_up
    except ImportError:
        return False
    knowledge_warm_up()
    return True


@dataclass(frozen=True)
class Outcome:
    done: bool
    answer: str | None = None


PENDING = Outcome(done=False)


def ask_in_background(key: str, ask: Callable[[], str | None], wait_s: float) -> Outcome:
    """Answer now if the virtual agent is quick, else PENDING (the answer lands in the cache under `key`).

    Idempotent per key: a retried webhook neither asks twice nor waits again for a question still running."""
    known = answer_for(key)
    if known is not None:
        return known
    if not cache.add(key, {"done": False}, RESULT_TTL_S):  # another request asked it a moment ago
        return answer_for(key) or PENDING
    future = _executor.submit(_answer_and_keep, key, ask)
    try:
        return future.result(timeout=wait_s)
    except FutureTimeout:
        logger.info("voice.bot_pending key=%s", key)
        return PENDING


def answer_for(key: str) -> Outcome | None:
    """The outcome of a question asked earlier: None if never asked (or forgotten), else done or PENDING."""
    stored = cache.get(key)
    if stored is None:
        return None
    return Outcome(done=True, answer=stored.get("answer")) if stored.get("done") else PENDING


def _answer_and_keep(key: str, ask: Callable[[], str | None]) -> Outcome:
    answer = None
    try:
        answer = ask()
    except Exception:  # noqa: BLE001 - a failing bot must never drop a call: the caller goes to an agent
        logger.exception("voice.bot_failed key=%s", key)
    finally:
        connections.close_all()  # this worker thread's own connections
    cache.set(key, {"done": True, "answer": answer or None}, RESULT_TTL_S)
    return Outcome(done=True, answer=answer or None)
