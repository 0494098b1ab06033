"""Synchronous side of the agent websocket."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from guichet.agents import actions as agent_actions
from guichet.agents.models import AgentProfile
from guichet.conversations import actions
from guichet.conversations.access import access_conversation
from guichet.conversations.models import Conversation
from guichet.realtime import events


def agent_for_user(user: Any) -> AgentProfile | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return AgentProfile.objects.filter(user=user, user__is_active=True).first()


def same_site_origins() -> list[str]:
    return list(settings.CSRF_TRUSTED_ORIGINS) + [settings.PUBLIC_BASE_URL]


def base_groups(agent: AgentProfile) -> list[str]:
    groups = [events.group_for_agent(agent.pk)]
    groups += [events.group_for_team(team_id) for team_id in agent.teams.values_list("id", flat=True)]
    if agent.sees_all_queues:
        groups.append(events.SUPERVISORS_GROUP)
    return groups


def connected(agent: AgentProfile, channel_name: str) -> None:
    agent_actions.open_connection(agent, channel_name)


def disconnected(agent: AgentProfile, channel_name: str) -> None:
    agent_actions.close_connection(agent, channel_name)


def visible_conversation_id(agent: AgentProfile, reference: Any) -> int:
    if not isinstance(reference, str):
        from django.http import Http404

        raise Http404("No such conversation.")
    return access_conversation(agent.user, reference).pk


def typing(agent: AgentProfile, conversation_id: int, is_typing: bool) -> None:
    conversation = Conversation.objects.select_related("queue").get(pk=conversation_id)
    actions.publish_typing(conversation, who="agent", name=agent.display_name, typing=is_typing)
