"""Agent presence and connections, and what happens to an agent's work when they vanish.

Presence: available / away / wrap_up / offline. Only available agents receive work (routing.engine).
- The last websocket closing (and none back within `GUICHET_PRESENCE_AWAY_DELAY_S`, default 10 s: moving
  between desk pages reconnects at once) makes an available agent away, and schedules a *grace* job
  (`GUICHET_PRESENCE_GRACE_S`, default 60 s). If by then the agent has not come back (no connection, not
  available) — or has gone offline — their open conversations go back to the queue at their original place
  (`enqueue_conversation(keep_place=True)`), so they are served before anybody who arrived later.
- A periodic sweep (`agents.sweep` job, every `GUICHET_PRESENCE_SWEEP_S`, default 60 s) forgets connections
  not seen for `GUICHET_CONNECTION_STALE_S` (default 12 h; a crashed server never sends the close), hands
  back the work of agents who vanished, and runs routing (nothing waits while someone could take it).
- Wrap-up: after resolving a conversation of a queue with `wrap_up_s`, the agent is in wrap-up for that long,
  then available again (unless they changed presence themselves meanwhile).
Lock order matches routing's (agents, then conversations), so none of this can deadlock with a router.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.agents.models import AgentConnection, AgentProfile
from guichet.core.jobs import enqueue_job, job_handler
from guichet.realtime import events

logger = logging.getLogger("guichet.agents")

GRACE_JOB = "agents.presence_grace"
WRAP_UP_JOB = "agents.wrap_up_end"
SWEEP_JOB = "agents.sweep"
LOST_JOB = "agents.connection_lost"


class PresenceError(ValueError):
    pass


def grace_s() -> float:
    return float(getattr(settings, "GUICHET_PRESENCE_GRACE_S", 60))


def away_delay_s() -> float:
    return float(getattr(settings, "GUICHET_PRESENCE_AWAY_DELAY_S", 10))


def stale_connection_s() -> float:
    # Until the agent socket refreshes `last_seen_at` on its pings (touch_connection), a live desk left open
    # shows no sign of life: only rows older than a working day are considered dead (a crashed process).
    return float(getattr(settings, "GUICHET_CONNECTION_STALE_S", 12 * 3600))


def sweep_interval_s() -> float:
    return float(getattr(settings, "GUICHET_PRESENCE_SWEEP_S", 60))


def check_presence(value: str) -> str:
    if value not in AgentProfile.Presence.values:
        raise PresenceError(_("Unknown presence %(value)s.") % {"value": value})
    return value


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


def set_presence(agent: AgentProfile, presence: str) -> AgentProfile:
    """Change presence (idempotent). Available -> routing runs; offline -> the grace timer starts."""
    presence = check_presence(presence)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent.pk)
        if agent.presence == presence:
            return agent
        previous = agent.presence
        now = timezone.now()
        agent.presence = presence
        agent.presence_changed_at = now
        if presence == AgentProfile.Presence.AVAILABLE:
            agent.idle_since = now
        agent.save(update_fields=["presence", "presence_changed_at", "idle_since"])
        team_groups = [events.group_for_team(team_id) for team_id in agent.teams.values_list("id", flat=True)]
        events.publish("agent.presence_changed",
                       [events.group_for_agent(agent.pk), events.SUPERVISORS_GROUP, *team_groups],
                       {"agent": agent.pk, "name": agent.display_name, "presence": presence,
                        "previous": previous})
        if presence == AgentProfile.Presence.AVAILABLE:
            from guichet.routing.actions import route_waiting

            transaction.on_commit(route_waiting)
        elif presence == AgentProfile.Presence.OFFLINE:
            schedule_grace(agent)
        logger.info("agent.presence agent=%s %s->%s", agent.pk, previous, presence)
        return agent


def schedule_grace(agent: AgentProfile) -> None:
    """In `grace_s()` seconds, hand the agent's work back unless they have returned by then."""
    enqueue_job(GRACE_JOB, {"agent": agent.pk, "since": _stamp(agent.presence_changed_at)}, delay_s=grace_s(),
                key=f"grace:{agent.pk}:{timezone.now().timestamp()}")


def open_connection(agent: AgentProfile, channel_name: str) -> None:
    AgentConnection.objects.update_or_create(channel_name=channel_name,
                                             defaults={"agent": agent, "last_seen_at": timezone.now()})
    ensure_sweep_scheduled()


def touch_connection(channel_name: str) -> None:
    """A frame (ping) arrived on this websocket: it is alive (the sweep keeps it)."""
    AgentConnection.objects.filter(channel_name=channel_name).update(last_seen_at=timezone.now())


def close_connection(agent: AgentProfile, channel_name: str) -> int:
    """Forget a websocket; returns how many remain. The last one closing makes the agent away.

    Moving from one desk page to another closes the old page's socket just before the new one opens: the
    agent is made away only if no connection is back after `GUICHET_PRESENCE_AWAY_DELAY_S` (default 10 s).
    """
    AgentConnection.objects.filter(channel_name=channel_name).delete()
    remaining = AgentConnection.objects.filter(agent=agent).count()
    if remaining == 0:
        delay = away_delay_s()
        if delay <= 0:
            _connection_lost(agent.pk)
        else:
            enqueue_job(LOST_JOB, {"agent": agent.pk}, delay_s=delay,
                        key=f"lost:{agent.pk}:{timezone.now().timestamp()}")
    return remaining


@job_handler(LOST_JOB)
def _check_connection_lost(payload: dict[str, Any]) -> None:
    agent_id = int(payload["agent"])
    if not AgentConnection.objects.filter(agent_id=agent_id).exists():
        _connection_lost(agent_id)


def _connection_lost(agent_id: int) -> None:
    with transaction.atomic():
        current = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent_id)
        if current.presence == AgentProfile.Presence.AVAILABLE:
            current = set_presence(current, AgentProfile.Presence.AWAY)
        if current.presence != AgentProfile.Presence.OFFLINE:  # offline already started its own timer
            schedule_grace(current)


def has_vanished(agent: AgentProfile) -> bool:
    """Offline, or not available with no open connection: their conversations have no one to answer."""
    if agent.presence == AgentProfile.Presence.OFFLINE:
        return True
    return agent.presence != AgentProfile.Presence.AVAILABLE and not agent.connections.exists()


def requeue_open_work(agent_id: int, *, reason: str = "presence_lost") -> int:
    """Give back a vanished agent's open conversations, at their original place in line. Returns how many."""
    from guichet.conversations import actions as conversation_actions
    from guichet.conversations.models import Conversation
    from guichet.core.models import AuditEvent
    from guichet.routing.models import CallbackRequest

    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent_id)
        if not has_vanished(agent):
            return 0
        open_ids = list(Conversation.objects.filter(
            assignee=agent, status__in=[Conversation.Status.ASSIGNED, Conversation.Status.PENDING])
            .order_by("pk").values_list("pk", flat=True))
        for conversation in Conversation.objects.filter(pk__in=open_ids).select_related("inbox", "queue"):
            requeued = conversation_actions.enqueue_conversation(conversation, keep_place=True)
            conversation_actions.post_system_notice(
                requeued, lambda: _("Your agent was disconnected. You keep your place in line and the next "
                                    "available agent will continue with you."))
        CallbackRequest.objects.filter(assignee=agent, status=CallbackRequest.Status.ASSIGNED).update(
            status=CallbackRequest.Status.PENDING, assignee=None, assigned_at=None)
        if open_ids:
            AuditEvent.objects.create(actor=None, action="agent.work_requeued", target=str(agent.pk),
                                      details={"reason": reason, "conversations": open_ids})
            logger.info("agent.work_requeued agent=%s count=%d reason=%s", agent.pk, len(open_ids), reason)
        return len(open_ids)


@job_handler(GRACE_JOB)
def _grace_expired(payload: dict[str, Any]) -> None:
    requeue_open_work(int(payload["agent"]), reason="grace_expired")


# --------------------------------------------------------------------------------------------- wrap-up


def start_wrap_up(agent_id: int, seconds: int) -> None:
    """After a resolve: wrap-up for `seconds`, then available again (a job re-checks nothing else changed)."""
    if seconds <= 0:
        return
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent_id)
        if agent.presence != AgentProfile.Presence.AVAILABLE:
            return
        agent = set_presence(agent, AgentProfile.Presence.WRAP_UP)
        enqueue_job(WRAP_UP_JOB, {"agent": agent.pk, "since": _stamp(agent.presence_changed_at)},
                    delay_s=seconds, key=f"wrapup:{agent.pk}:{agent.presence_changed_at.timestamp()}")


@job_handler(WRAP_UP_JOB)
def _wrap_up_ended(payload: dict[str, Any]) -> None:
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).filter(pk=int(payload["agent"])).first()
        if agent is None or agent.presence != AgentProfile.Presence.WRAP_UP:
            return
        if _stamp(agent.presence_changed_at) != payload["since"]:
            return  # the agent changed presence in between: their choice wins
        set_presence(agent, AgentProfile.Presence.AVAILABLE)


def work_finished(agent_id: int) -> None:
    """A conversation of theirs was resolved: they have been idle since now (fair share)."""
    AgentProfile.objects.filter(pk=agent_id).update(idle_since=timezone.now())


# ----------------------------------------------------------------------------------------------- sweep


def ensure_sweep_scheduled() -> None:
    interval = sweep_interval_s()
    bucket = int(timezone.now().timestamp() // interval) + 1
    enqueue_job(SWEEP_JOB, {}, delay_s=interval, key=f"sweep:{bucket}")


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Forget dead connections, give back the work of agents who vanished, and route. Safe to run anywhere."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=stale_connection_s())
    stale = list(AgentConnection.objects.filter(last_seen_at__lt=stale_before).values_list("pk", "agent_id"))
    AgentConnection.objects.filter(pk__in=[pk for pk, _agent in stale]).delete()
    lost = 0
    for agent_id in sorted({agent_id for _pk, agent_id in stale}):
        if not AgentConnection.objects.filter(agent_id=agent_id).exists():
            _connection_lost(agent_id)
            lost += 1
    from guichet.conversations.models import Conversation

    grace_before = now - timedelta(seconds=grace_s())
    owners = sorted(set(Conversation.objects.filter(
        status__in=[Conversation.Status.ASSIGNED, Conversation.Status.PENDING],
        assignee__presence__in=[AgentProfile.Presence.AWAY, AgentProfile.Presence.OFFLINE,
                                AgentProfile.Presence.WRAP_UP],
        assignee__presence_changed_at__lt=grace_before).values_list("assignee_id", flat=True)))
    requeued = sum(requeue_open_work(agent_id, reason="sweep") for agent_id in owners)
    from guichet.routing.actions import route_waiting

    assigned = route_waiting()
    return {"stale_connections": len(stale), "agents_lost": lost, "requeued": requeued, "assigned": assigned}


@job_handler(SWEEP_JOB)
def _sweep_job(payload: dict[str, Any]) -> None:
    sweep()
    ensure_sweep_scheduled()
