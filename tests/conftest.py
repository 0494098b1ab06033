"""Shared fixtures. Pure-core tests (routing engine, wfm, retrieval) need none of these."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GUICHET_RATE_LIMIT_MESSAGES", "1000")


@pytest.fixture(autouse=True)
def _bot_answers_inline(settings):
    """The virtual agent answers within the request in tests, whatever the database/Redis path.

    At scale (GUICHET_REDIS_URL set) it answers from a background job instead; tests of that path set
    GUICHET_BOT_INLINE = False themselves and run the jobs (tests/bot/test_dialogue_edges.py).
    """
    settings.GUICHET_BOT_INLINE = True


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def captured_events():
    """Every event published (after commit) while the test runs: list of (event, groups)."""
    from guichet.realtime import events

    captured: list = []

    def listener(event, groups):
        captured.append((event, groups))

    events._listeners.append(listener)
    yield captured
    events._listeners.remove(listener)


def event_types(captured) -> list[str]:
    return [event["type"] for event, _groups in captured]
