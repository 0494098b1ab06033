"""Fixed-window rate limits in the cache (shared across workers when the cache is Redis)."""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(bucket: str, limit: int, window_s: int) -> bool:
    """Count one event in `bucket`; True while the count stays within `limit` for the current window."""
    window = int(time.time() // window_s)
    key = f"rl:{bucket}:{window}"
    if cache.add(key, 1, timeout=window_s + 1):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_s + 1)
        return True
    return count <= limit
