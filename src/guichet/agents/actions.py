"""Agent presence and connections."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import AgentConnection, AgentProfile
from guichet.realtime import events

logger = logging.getLogger("guichet.agents")


class PresenceError(ValueError):
    pass


def check_presence(value: str) -> str:
    if value not in AgentProfile.Presence.values:
        raise PresenceError(_("Unknown presence %(value)s.") % {"value": value})
    return value


def set_presence(agent: AgentProfile, presence: str) -> AgentProfile:
    presence = check_presence(presence)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update().get(pk=agent.pk)
        if agent.presence == presence:
            return agent
        previous = agent.presence
        agent.presence = presence
        agent.presence_changed_at = timezone.now()
        if presence == AgentProfile.Presence.AVAILABLE:
            agent.idle_since = timezone.now()
        agent.save(update_fields=["presence", "presence_changed_at", "idle_since"])
        team_groups = [events.group_for_team(team_id) for team_id in agent.teams.values_list("id", flat=True)]
        events.publish("agent.presence_changed",
                       [events.group_for_agent(agent.pk), events.SUPERVISORS_GROUP, *team_groups],
                       {"agent": agent.pk, "name": agent.display_name, "presence": presence,
                        "previous": previous})
        if presence == AgentProfile.Presence.AVAILABLE:
            from guichet.routing.actions import route_waiting

            transaction.on_commit(route_waiting)
        logger.info("agent.presence agent=%s %s->%s", agent.pk, previous, presence)
        return agent


def open_connection(agent: AgentProfile, channel_name: str) -> None:
    AgentConnection.objects.update_or_create(channel_name=channel_name, defaults={"agent": agent})


def close_connection(agent: AgentProfile, channel_name: str) -> int:
    """Forget a websocket; returns how many remain. The last one closing makes the agent away."""
    AgentConnection.objects.filter(channel_name=channel_name).delete()
    remaining = AgentConnection.objects.filter(agent=agent).count()
    if remaining == 0:
        current = AgentProfile.objects.get(pk=agent.pk)
        if current.presence == AgentProfile.Presence.AVAILABLE:
            set_presence(current, AgentProfile.Presence.AWAY)
    return remaining
