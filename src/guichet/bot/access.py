"""Scoped reads of the virtual agent's data: insights for knowledge editors, follow-up tasks for agents."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from guichet.agents.models import AgentProfile
from guichet.bot.models import BotTurn, FollowUpTask
from guichet.knowledge.access import is_knowledge_editor, require_editor

__all__ = ["follow_ups_for_agent", "is_knowledge_editor", "require_editor", "turn_for_editor"]

FOLLOW_UP_LIMIT = 200


def follow_ups_for_agent(agent: AgentProfile) -> QuerySet[FollowUpTask]:
    """Open follow-up tasks of the queues of the agent's teams (supervisors and admins: every queue),
    oldest first: messages citizens left while nobody was available."""
    tasks = FollowUpTask.objects.filter(status=FollowUpTask.Status.OPEN).select_related(
        "conversation", "conversation__contact", "queue")
    if not agent.sees_all_queues:
        tasks = tasks.filter(queue__team__in=agent.teams.all())
    return tasks.order_by("created_at", "pk")[:FOLLOW_UP_LIMIT]


def turn_for_editor(user, turn_id: int) -> BotTurn:  # type: ignore[no-untyped-def]
    """One recorded bot turn (redacted question), for knowledge editors only: they review every turn."""
    require_editor(user)
    return get_object_or_404(BotTurn, pk=turn_id)
