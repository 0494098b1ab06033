"""Signed-in CSRF-checking clients for desk tests."""

from __future__ import annotations

import re

from django.test import Client

from guichet.agents.models import AgentProfile

PASSWORD = "correct-horse-battery-staple"


class DeskClient:
    """A browser-like client: signs in through the login page and posts with the page's CSRF token."""

    def __init__(self, agent: AgentProfile):
        self.client = Client(enforce_csrf_checks=True)
        assert self.client.login(username=agent.user.username, password=PASSWORD)
        self.token = ""

    def get(self, url: str, **extra):  # type: ignore[no-untyped-def]
        response = self.client.get(url, **extra)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
        if match:
            self.token = match.group(1)
        return response

    def post(self, url: str, data: dict | None = None, *, htmx: bool = True):  # type: ignore[no-untyped-def]
        if not self.token:
            self.get("/desk/")
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(url, {**(data or {}), "csrfmiddlewaretoken": self.token}, headers=headers)
