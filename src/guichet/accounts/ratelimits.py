"""Sign-in throttling per username and address, on top of core.ratelimit."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest

from guichet.core import ratelimit

# (attempts, window in seconds); override with GUICHET_RATE_LIMIT_LOGIN in settings.
DEFAULT_LOGIN_LIMIT = (5, 300)


def login_limit() -> tuple[int, int]:
    return tuple(getattr(settings, "GUICHET_RATE_LIMIT_LOGIN", DEFAULT_LOGIN_LIMIT))  # type: ignore[return-value]


def client_address(request: HttpRequest) -> str:
    # Behind a proxy, the proxy must set REMOTE_ADDR (uvicorn --proxy-headers); X-Forwarded-For is spoofable.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def login_bucket(username: str, address: str) -> str:
    # Hashed so a cache dump does not list usernames and the key stays short and safe for memcached/Redis.
    digest = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()[:32]
    return f"login:{digest}"


def allow_login_attempt(request: HttpRequest, username: str) -> bool:
    """Count one attempt; False once this username from this address has used up the window's attempts."""
    limit, window = login_limit()
    return ratelimit.hit(login_bucket(username, client_address(request)), limit, window)
