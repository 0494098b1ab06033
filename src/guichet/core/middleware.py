"""Security headers on every response; pages that embed the widget are other sites, not ours."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# htmx and our scripts are served from 'self'; no inline scripts anywhere, so script-src needs no 'unsafe-*'.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", getattr(settings, "GUICHET_CSP", DEFAULT_CSP))
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
