"""Persistence layer of routing: assign waiting work to agents atomically, with the pure engine's rules.

The rules are not copied here: every choice is `engine.choose_agent` (which applies `has_room`, `is_eligible`
and sticky reservations) on rows this module has locked. Locks are always taken in one fixed order so that
concurrent routers (several web processes and workers on PostgreSQL) neither deadlock nor double-assign:

1. the queue row, `select_for_update(no_key=True)`: one router per queue at a time;
2. the agent rows that could serve it, ordered by id;
3. the waiting conversation rows, in service order.

Anything else that locks these rows (presence changes, messages, transfers) locks at most a suffix of that
order, so it can make a router wait but never close a cycle. On SQLite the whole transaction takes the write
lock (`transaction_mode=IMMEDIATE`), which serialises routers just as well.

A router runs after every change that can make an assignment possible (enqueue, resolve, presence becoming
available, moves between teams) and at the moments the rules change by themselves (an overflow stage or a
sticky window ending, the queue opening): those are background jobs scheduled for that instant.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from guichet.agents.models import AgentConnection, AgentProfile, Team
from guichet.conversations.models import ROUTING_CHANNEL, Conversation
from guichet.core.jobs import enqueue_job, job_handler
from guichet.routing import engine
from guichet.routing.models import AssignmentLog, CallbackRequest, Queue

logger = logging.getLogger("guichet.routing")

OPEN_WORK = (Conversation.Status.ASSIGNED, Conversation.Status.PENDING)
OPEN_CALLBACK = (CallbackRequest.Status.PENDING, CallbackRequest.Status.ASSIGNED)
# How far back a citizen's previous agent is remembered for sticky routing.
STICKY_LOOKBACK = timedelta(hours=72)
ROUTE_JOB = "routing.route_queue"


# --------------------------------------------------------------------------------- rows -> engine types


def queue_rules(queue: Queue, team_ids_by_slug: dict[str, int] | None = None) -> engine.QueueRules:
    """The queue's JSON overflow stages ({"after_s", "teams": [slugs], "relax_skills", "level_reduction"})."""
    if team_ids_by_slug is None:
        team_ids_by_slug = dict(Team.objects.values_list("slug", "id"))
    stages = []
    for stage in queue.overflow or []:
        extra = frozenset(team_ids_by_slug[slug] for slug in stage.get("teams", []) if slug in team_ids_by_slug)
        stages.append(engine.OverflowStage(float(stage.get("after_s", 0)), extra,
                                           int(stage.get("level_reduction", 0)), bool(stage.get("relax_skills"))))
    return engine.QueueRules(queue.pk, frozenset({queue.team_id}), tuple(stages), float(queue.sticky_window_s))


def all_team_ids(rules: engine.QueueRules) -> frozenset[int]:
    """Every team that may serve the queue at its last overflow stage."""
    teams = set(rules.team_ids)
    for stage in rules.overflow:
        teams |= stage.extra_team_ids
    return frozenset(teams)


def agent_loads(agent_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Open work per agent and channel kind; a conversation with an assigned callback counts as that callback."""
    agent_ids = list(agent_ids)
    loads: dict[int, dict[str, int]] = {agent_id: {} for agent_id in agent_ids}
    if not agent_ids:
        return loads
    callback_channel = {
        conversation_id: CallbackRequest(method=method).routing_channel
        for conversation_id, method in CallbackRequest.objects.filter(
            assignee_id__in=agent_ids, status=CallbackRequest.Status.ASSIGNED).values_list("conversation_id", "method")
    }
    rows = Conversation.objects.filter(assignee_id__in=agent_ids, status__in=OPEN_WORK).values_list(
        "pk", "assignee_id", "inbox__channel")
    for conversation_id, agent_id, inbox_channel in rows:
        kind = callback_channel.get(conversation_id) or ROUTING_CHANNEL.get(inbox_channel, "chat")
        loads[agent_id][kind] = loads[agent_id].get(kind, 0) + 1
    return loads


def agent_load(agent: AgentProfile) -> dict[str, int]:
    return agent_loads([agent.pk])[agent.pk]


def engine_agent(profile: AgentProfile, team_ids: Iterable[int], load: dict[str, int]) -> engine.Agent:
    return engine.Agent(
        id=profile.pk, teams=frozenset(team_ids), languages=frozenset(profile.languages or []),
        skills={name: int(level) for name, level in (profile.skills or {}).items()},
        capacity={name: int(count) for name, count in (profile.capacity or {}).items()},
        presence=profile.presence, load=dict(load), idle_since=profile.idle_since.timestamp(),
    )


def has_room_for(agent: AgentProfile, channel_kind: str, load: dict[str, int] | None = None) -> bool:
    """The engine's capacity rule on an agent row (presence is not considered)."""
    load = agent_load(agent) if load is None else load
    return engine.has_room(engine_agent(agent, (), load), channel_kind)


def work_channel(conversation: Conversation, callback: CallbackRequest | None) -> str:
    return (callback.routing_channel if callback else "") or ROUTING_CHANNEL.get(conversation.inbox.channel, "chat")


def work_item(conversation: Conversation, queue: Queue, channel: str, preferred_agent_id: int | None
              ) -> engine.WorkItem:
    queued_at = conversation.queued_at or conversation.created_at
    return engine.WorkItem(
        id=conversation.pk, queue_id=queue.pk, channel=channel, language=conversation.language,
        required_skills={k: int(v) for k, v in (queue.required_skills or {}).items()},
        preferred_skills={k: int(v) for k, v in (queue.preferred_skills or {}).items()},
        priority=conversation.priority, enqueued_at=queued_at.timestamp(), preferred_agent_id=preferred_agent_id,
    )


def previous_agents(contact_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """contact id -> the agent who most recently served them (routing log or direct assignment)."""
    contact_ids = list(set(contact_ids))
    since = now - STICKY_LOOKBACK
    latest: dict[int, tuple[datetime, int]] = {}

    def consider(contact_id: int, at: datetime | None, agent_id: int | None) -> None:
        if at is None or agent_id is None:
            return
        if contact_id not in latest or at > latest[contact_id][0]:
            latest[contact_id] = (at, agent_id)

    for contact_id, at, agent_id in AssignmentLog.objects.filter(
            contact_id__in=contact_ids, assigned_at__gte=since).values_list("contact_id", "assigned_at", "agent_id"):
        consider(contact_id, at, agent_id)
    for contact_id, at, agent_id in Conversation.objects.filter(
            contact_id__in=contact_ids, assignee__isnull=False, assigned_at__gte=since).values_list(
            "contact_id", "assigned_at", "assignee_id"):
        consider(contact_id, at, agent_id)
    present = _agents_still_here({agent_id for _at, agent_id in latest.values()})
    return {contact_id: agent_id for contact_id, (_at, agent_id) in latest.items() if agent_id in present}


def _agents_still_here(agent_ids: set[int]) -> set[int]:
    """Agents a citizen may wait for: available, or away/in wrap-up with the desk still open.

    An agent who vanished (no connection) or went offline releases the citizens waiting for them.
    """
    if not agent_ids:
        return set()
    connected = set(AgentConnection.objects.filter(agent_id__in=agent_ids).values_list("agent_id", flat=True))
    rows = AgentProfile.objects.filter(pk__in=agent_ids).values_list("pk", "presence")
    return {pk for pk, presence in rows
            if presence == AgentProfile.Presence.AVAILABLE
            or (presence != AgentProfile.Presence.OFFLINE and pk in connected)}


# ------------------------------------------------------------------------------------------ hours


def business_hours(queue: Queue) -> engine.BusinessHours:
    return engine.BusinessHours.from_config(queue.timezone, queue.business_hours or {}, queue.holidays or [],
                                            queue.always_open)


def queue_is_open(queue: Queue, when: datetime | None = None) -> bool:
    return engine.is_open(business_hours(queue), when or timezone.now())


def next_opening(queue: Queue, when: datetime, lookahead_days: int = 21) -> datetime | None:
    hours = business_hours(queue)
    zone = ZoneInfo(hours.timezone)
    local = when.astimezone(zone)
    for offset in range(lookahead_days + 1):
        day = local.date() + timedelta(days=offset)
        for opens in sorted(opens for opens, _closes in hours.weekly.get(day.isoweekday(), ())):
            moment = datetime.combine(day, opens, tzinfo=zone)
            if moment > when and engine.is_open(hours, moment):
                return moment
    return None


# ------------------------------------------------------------------------------------------ routing


@dataclass(frozen=True)
class Routed:
    conversation_id: int
    agent_id: int
    channel: str


def _lock_queue(queue_id: int) -> Queue | None:
    return Queue.objects.select_for_update(no_key=True).filter(pk=queue_id).first()


def _lock_agents(team_ids: frozenset[int], extra_ids: set[int]) -> list[AgentProfile]:
    """Available members of these teams (and sticky agents, whatever their presence), locked by id."""
    members = AgentProfile.teams.through.objects.filter(team_id__in=team_ids).values("agentprofile_id")
    query = Q(pk__in=members, presence=AgentProfile.Presence.AVAILABLE)
    if extra_ids:
        query |= Q(pk__in=extra_ids)
    return list(AgentProfile.objects.select_for_update(of=("self",)).filter(query).order_by("pk"))


def _lock_waiting(queue: Queue, limit: int) -> list[Conversation]:
    # of=("self",): the inbox join must not be locked (and PostgreSQL refuses nullable sides of outer joins).
    return list(Conversation.objects.select_for_update(of=("self",)).select_related("inbox")
                .filter(queue=queue, status=Conversation.Status.QUEUED)
                .order_by("priority", "queued_at", "id")[:limit])


def route_queue(queue_id: int, *, limit: int = 500, now: datetime | None = None) -> list[Routed]:
    """Assign what can be assigned in one queue now; returns the assignments (committed on return)."""
    with transaction.atomic():
        now = now or timezone.now()
        queue = _lock_queue(queue_id)
        if queue is None:
            return []
        if not Conversation.objects.filter(queue=queue, status=Conversation.Status.QUEUED).exists():
            return []
        if not queue_is_open(queue, now):
            opening = next_opening(queue, now)
            if opening is not None:
                schedule_route(queue.pk, opening)
            return []
        rules = queue_rules(queue)
        # Who the waiting citizens were served by before (read before locking: only ids are needed).
        waiting_contacts = Conversation.objects.filter(queue=queue, status=Conversation.Status.QUEUED).values_list(
            "contact_id", flat=True)[:limit]
        preferred_by_contact = previous_agents(waiting_contacts, now) if rules.sticky_window_s > 0 else {}
        profiles = _lock_agents(all_team_ids(rules), set(preferred_by_contact.values()))
        waiting = _lock_waiting(queue, limit)
        routed = _assign_waiting(queue, rules, profiles, waiting, preferred_by_contact, now)
        _schedule_next_wakeup(queue, rules, waiting, routed, preferred_by_contact, now)
    if routed:
        logger.info("routing.routed queue=%s count=%d", queue_id, len(routed))
    return routed


def _assign_waiting(queue: Queue, rules: engine.QueueRules, profiles: list[AgentProfile],
                    waiting: list[Conversation], preferred_by_contact: dict[int, int], now: datetime
                    ) -> list[Routed]:
    if not waiting or not profiles:
        return []
    memberships: dict[int, set[int]] = defaultdict(set)
    for agent_id, team_id in AgentProfile.teams.through.objects.filter(
            agentprofile_id__in=[p.pk for p in profiles]).values_list("agentprofile_id", "team_id"):
        memberships[agent_id].add(team_id)
    loads = agent_loads(p.pk for p in profiles)
    agents = [engine_agent(p, memberships[p.pk], loads[p.pk]) for p in profiles]
    by_id = {p.pk: p for p in profiles}
    callbacks = {cb.conversation_id: cb for cb in CallbackRequest.objects.filter(
        conversation__in=waiting, status=CallbackRequest.Status.PENDING)}
    now_ts = now.timestamp()
    routed: list[Routed] = []
    for conversation in waiting:
        if not any(agent.presence == engine.AVAILABLE and _has_any_room(agent) for agent in agents):
            break  # nobody can take anything more: the rest keeps its place
        callback = callbacks.get(conversation.pk)
        channel = work_channel(conversation, callback)
        preferred = preferred_by_contact.get(conversation.contact_id)
        item = work_item(conversation, queue, channel, preferred)
        chosen = engine.choose_agent(item, agents, rules, now_ts)
        if chosen is None:
            continue
        chosen.load[channel] = chosen.load.get(channel, 0) + 1
        chosen.idle_since = now_ts  # fair share, as the engine's router does
        _persist_assignment(conversation, by_id[chosen.id], queue, channel, callback, now)
        routed.append(Routed(conversation.pk, chosen.id, channel))
    assigned_agents = {r.agent_id for r in routed}
    if assigned_agents:
        AgentProfile.objects.filter(pk__in=assigned_agents).update(idle_since=now)
    return routed


def _has_any_room(agent: engine.Agent) -> bool:
    return any(engine.has_room(agent, channel) for channel in engine.CHANNELS)


def _persist_assignment(conversation: Conversation, agent: AgentProfile, queue: Queue, channel: str,
                        callback: CallbackRequest | None, now: datetime) -> None:
    from guichet.conversations.actions import assign_conversation

    queued_at = conversation.queued_at or conversation.created_at
    assign_conversation(conversation, agent)
    AssignmentLog.objects.create(conversation=conversation, contact_id=conversation.contact_id, queue=queue,
                                 agent=agent, channel=channel, queued_at=queued_at, assigned_at=now,
                                 waited_s=max(0.0, (now - queued_at).total_seconds()))
    if callback is not None:
        from guichet.routing.callbacks import callback_assigned

        callback_assigned(callback, conversation, agent, now)
    logger.info("routing.assigned ref=%s agent=%s channel=%s", conversation.reference, agent.pk, channel)


def _schedule_next_wakeup(queue: Queue, rules: engine.QueueRules, waiting: list[Conversation],
                          routed: list[Routed], preferred_by_contact: dict[int, int], now: datetime) -> None:
    """Overflow stages and sticky windows change the rules by themselves: route again at the next one."""
    assigned = {r.conversation_id for r in routed}
    now_ts = now.timestamp()
    due: float | None = None
    for conversation in waiting:
        if conversation.pk in assigned:
            continue
        enqueued = (conversation.queued_at or conversation.created_at).timestamp()
        moments = [enqueued + stage.after_s for stage in rules.overflow]
        if conversation.contact_id in preferred_by_contact:
            moments.append(enqueued + rules.sticky_window_s)
        future = [moment for moment in moments if moment > now_ts]
        if future:
            due = min(future) if due is None else min(due, *future)
    if due is not None:
        schedule_route(queue.pk, datetime.fromtimestamp(due, tz=now.tzinfo))


def schedule_route(queue_id: int, when: datetime) -> None:
    """A background job routes the queue again at `when` (one job per queue and second)."""
    delay = max(0.0, (when - timezone.now()).total_seconds())
    enqueue_job(ROUTE_JOB, {"queue_id": queue_id}, delay_s=delay, key=f"route:{queue_id}:{int(when.timestamp())}")


@job_handler(ROUTE_JOB)
def _route_queue_job(payload: dict[str, Any]) -> None:
    queue_id = int(payload["queue_id"])
    route_queue(queue_id)
    from guichet.routing.wait import publish_positions

    publish_positions([queue_id])


def queues_with_waiting() -> list[int]:
    return sorted(set(Conversation.objects.filter(status=Conversation.Status.QUEUED)
                      .values_list("queue_id", flat=True)))


def route_waiting(limit: int = 500) -> int:
    """Offer every waiting conversation to a free agent, queue by queue; returns how many were assigned.

    Runs after commit of anything that may make an assignment possible. Afterwards every waiting citizen
    whose line changed is told their new position and estimate.
    """
    queue_ids = queues_with_waiting()
    assigned = 0
    for queue_id in queue_ids:
        assigned += len(route_queue(queue_id, limit=limit))
    from guichet.routing.wait import publish_positions

    publish_positions(queue_ids)
    return assigned


def route_on_commit() -> None:
    transaction.on_commit(route_waiting)


def queue_position(conversation: Conversation) -> int:
    """1-based place in line: waiting conversations of the same queue and channel ahead of this one.

    Same definition as the engine's `Router.position`: priority class first, then longest waiting.
    """
    from guichet.routing.wait import position_in_line

    return position_in_line(conversation)
