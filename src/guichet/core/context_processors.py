from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def guichet(request: HttpRequest) -> dict[str, Any]:
    agent = getattr(request.user, "agent", None) if request.user.is_authenticated else None
    return {"current_agent": agent}
