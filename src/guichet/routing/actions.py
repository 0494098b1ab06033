"""Persistence layer of routing: assign waiting conversations to agents atomically.

First cut (the pure engine in routing/engine.py replaces the choice below): waiting conversations in priority
then arrival order; among available agents of the queue's team who have room on that channel, the longest idle.
Rows are locked in a fixed order (conversation, then agent) so concurrent workers cannot double-assign.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from guichet.agents.models import AgentProfile
from guichet.conversations.models import ROUTING_CHANNEL, Conversation

logger = logging.getLogger("guichet.routing")

OPEN_WORK = (Conversation.Status.ASSIGNED, Conversation.Status.PENDING)


def agent_load(agent: AgentProfile) -> dict[str, int]:
    rows = (Conversation.objects.filter(assignee=agent, status__in=OPEN_WORK)
            .values("inbox__channel").annotate(n=Count("id")))
    load: dict[str, int] = {}
    for row in rows:
        kind = ROUTING_CHANNEL.get(row["inbox__channel"], "chat")
        load[kind] = load.get(kind, 0) + row["n"]
    return load


def has_room_for(agent: AgentProfile, channel_kind: str, load: dict[str, int] | None = None) -> bool:
    load = agent_load(agent) if load is None else load
    if load.get("voice", 0) > 0:
        return False  # a call in progress blocks everything else
    if channel_kind == "voice" and sum(load.values()) > 0:
        return False
    return load.get(channel_kind, 0) < int((agent.capacity or {}).get(channel_kind, 0))


def eligible_agents(conversation: Conversation):  # type: ignore[no-untyped-def]
    return (AgentProfile.objects.filter(presence=AgentProfile.Presence.AVAILABLE,
                                        teams__id=conversation.queue.team_id)
            .order_by("idle_since", "id").distinct())


def _speaks(agent: AgentProfile, language: str) -> bool:
    return not agent.languages or language in agent.languages


def _has_skills(agent: AgentProfile, required: dict[str, int]) -> bool:
    skills = agent.skills or {}
    return all(int(skills.get(name, 0)) >= int(level) for name, level in (required or {}).items())


def route_one(conversation_id: int) -> AgentProfile | None:
    with transaction.atomic():
        conversation = (Conversation.objects.select_for_update()
                        .select_related("queue", "inbox").filter(pk=conversation_id,
                                                                  status=Conversation.Status.QUEUED).first())
        if conversation is None:
            return None
        channel_kind = ROUTING_CHANNEL.get(conversation.inbox.channel, "chat")
        for candidate in eligible_agents(conversation):
            if not (_speaks(candidate, conversation.language)
                    and _has_skills(candidate, conversation.queue.required_skills)):
                continue
            agent = AgentProfile.objects.select_for_update().get(pk=candidate.pk)
            if agent.presence != AgentProfile.Presence.AVAILABLE or not has_room_for(agent, channel_kind):
                continue
            from guichet.conversations.actions import assign_conversation

            assign_conversation(conversation, agent)
            logger.info("routing.assigned ref=%s agent=%s", conversation.reference, agent.pk)
            return agent
        return None


def route_waiting(limit: int = 500) -> int:
    """Offer every waiting conversation to a free agent; returns how many were assigned."""
    waiting = list(Conversation.objects.filter(status=Conversation.Status.QUEUED)
                   .order_by("priority", "queued_at", "id").values_list("id", flat=True)[:limit])
    assigned = 0
    for conversation_id in waiting:
        if route_one(conversation_id) is not None:
            assigned += 1
    return assigned


def queue_position(conversation: Conversation) -> int:
    """1-based place in line among conversations waiting in the same queue ahead of this one."""
    ahead = Conversation.objects.filter(queue=conversation.queue, status=Conversation.Status.QUEUED).filter(
        Q(priority__lt=conversation.priority)
        | Q(priority=conversation.priority, queued_at__lt=conversation.queued_at or timezone.now())
        | Q(priority=conversation.priority, queued_at=conversation.queued_at, id__lt=conversation.pk)
    )
    return ahead.count() + 1
