"""Stable links to a conversation for other pages (supervisor, reports, emails to staff)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from guichet.agents.decorators import agent_required
from guichet.conversations.access import access_conversation


@require_GET
@agent_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    """`/conversations/<reference>/` opens the conversation on the agent desk (access checked here too)."""
    conversation = access_conversation(request.user, reference)
    return redirect("agents:conversation", reference=conversation.reference)
