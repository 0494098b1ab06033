"""Agents work in their own interface language, whatever their browser says."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class AgentLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = getattr(request.user, "agent", None) if request.user.is_authenticated else None
        if agent is not None and agent.ui_language and "lang" not in request.GET:
            translation.activate(agent.ui_language)
            request.LANGUAGE_CODE = agent.ui_language
        return self.get_response(request)
