"""Routing's reactions to conversation lifecycle changes made elsewhere (registered in apps.ready)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from guichet.conversations.models import Conversation
from guichet.routing.models import CallbackRequest


def on_resolved(conversation: Conversation) -> None:
    """Inside the resolving transaction: close its callbacks; after commit, the agent's idle time and wrap-up."""
    now = timezone.now()
    CallbackRequest.objects.filter(conversation=conversation, status=CallbackRequest.Status.ASSIGNED).update(
        status=CallbackRequest.Status.DONE, finished_at=now)
    CallbackRequest.objects.filter(conversation=conversation, status=CallbackRequest.Status.PENDING).update(
        status=CallbackRequest.Status.FAILED, finished_at=now, outcome_note="resolved before the callback")
    agent_id = conversation.assignee_id
    if agent_id is None:
        return
    wrap_up_s = conversation.queue.wrap_up_s

    def after_commit() -> None:
        from guichet.agents.actions import start_wrap_up, work_finished

        work_finished(agent_id)
        start_wrap_up(agent_id, wrap_up_s)

    transaction.on_commit(after_commit)
