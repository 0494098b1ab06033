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


def sticky_agents(waiting: Iterable[Conversation], now: datetime) -> dict[int, int]:
    """conversation id -> the agent it should wait for (sticky routing), for returning citizens only.

    The agent who had this very conversation since it joined the line (it was transferred or handed back)
    is not a "previous agent": the citizen did not come back to them, they left.
    """
    waiting = list(waiting)
    previous = previous_agents((c.contact_id for c in waiting), now)
    in_line_since = {c.pk: c.queued_at or c.created_at for c in waiting}
    left_by = {(conversation_id, agent_id) for conversation_id, agent_id, at in AssignmentLog.objects.filter(
        conversation_id__in=in_line_since).values_list("conversation_id", "agent_id", "assigned_at")
        if at >= in_line_since[conversation_id]}
    left_by |= {(c.pk, c.assignee_id) for c in waiting if c.assignee_id}
    return {c.pk: previous[c.contact_id] for c in waiting
            if c.contact_id in previous and (c.pk, previous[c.contact_id]) not in left_by}


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
    # no_key: rows that merely reference the agent (messages they write) need not wait for a router.
    return list(AgentProfile.objects.select_for_update(no_key=True, of=("self",)).filter(query).order_by("pk"))


def _lock_waiting(conversation_ids: list[int]) -> list[Conversation]:
    # of=("self",): joined rows are not locked (PostgreSQL refuses the nullable side of an outer join).
    return list(Conversation.objects.select_for_update(no_key=True, of=("self",))
                .select_related("inbox", "contact", "queue")
                .filter(pk__in=conversation_ids, status=Conversation.Status.QUEUED)
                .order_by("priority", "queued_at", "id"))


class _Desk:
    """The locked agents of one routing pass as engine `Agent`s, updated as assignments are made."""

    def __init__(self, profiles: list[AgentProfile]) -> None:
        memberships: dict[int, set[int]] = defaultdict(set)
        for agent_id, team_id in AgentProfile.teams.through.objects.filter(
                agentprofile_id__in=[p.pk for p in profiles]).values_list("agentprofile_id", "team_id"):
            memberships[agent_id].add(team_id)
        loads = agent_loads(p.pk for p in profiles)
        self.agents = [engine_agent(p, memberships[p.pk], loads[p.pk]) for p in profiles]
        self.profiles = {p.pk: p for p in profiles}

    def anyone_has_room(self) -> bool:
        return any(agent.presence == engine.AVAILABLE and _has_any_room(agent) for agent in self.agents)


def route_queue(queue_id: int, *, chunk: int = 500, now: datetime | None = None) -> list[Routed]:
    """Assign what can be assigned in one queue now; returns the assignments.

    The waiting line is read in service order and locked `chunk` conversations at a time, until every
    conversation has been offered or no agent has room left.
    """
    with transaction.atomic():
        now = now or timezone.now()
        queue = _lock_queue(queue_id)
        if queue is None:
            return []
        line = list(Conversation.objects.filter(queue=queue, status=Conversation.Status.QUEUED)
                    .order_by("priority", "queued_at", "id")
                    .only("pk", "contact_id", "queued_at", "created_at", "assignee_id"))
        if not line:
            return []
        if not queue_is_open(queue, now):
            opening = next_opening(queue, now)
            if opening is not None:
                schedule_route(queue.pk, opening)
            return []
        rules = queue_rules(queue)
        preferred = sticky_agents(line, now) if rules.sticky_window_s > 0 else {}
        desk = _Desk(_lock_agents(all_team_ids(rules), set(preferred.values())))
        routed: list[Routed] = []
        ids = [conversation.pk for conversation in line]
        for start in range(0, len(ids), chunk):
            if not desk.anyone_has_room():
                break  # the rest keeps its place
            routed += _assign_waiting(queue, rules, desk, _lock_waiting(ids[start:start + chunk]), preferred, now)
        if routed:
            AgentProfile.objects.filter(pk__in={r.agent_id for r in routed}).update(idle_since=now)
        _schedule_next_wakeup(queue, rules, line, routed, preferred, now)
    if routed:
        logger.info("routing.routed queue=%s count=%d", queue_id, len(routed))
    return routed


def _assign_waiting(queue: Queue, rules: engine.QueueRules, desk: _Desk, waiting: list[Conversation],
                    preferred: dict[int, int], now: datetime) -> list[Routed]:
    """Offer each conversation, in order, to the engine's choice among the desk's agents."""
    callbacks = {cb.conversation_id: cb for cb in CallbackRequest.objects.filter(
        conversation__in=waiting, status=CallbackRequest.Status.PENDING)}
    now_ts = now.timestamp()
    routed: list[Routed] = []
    for conversation in waiting:
        if not desk.anyone_has_room():
            break
        callback = callbacks.get(conversation.pk)
        channel = work_channel(conversation, callback)
        item = work_item(conversation, queue, channel, preferred.get(conversation.pk))
        chosen = engine.choose_agent(item, desk.agents, rules, now_ts)
        if chosen is None:
            continue
        chosen.load[channel] = chosen.load.get(channel, 0) + 1
        chosen.idle_since = now_ts  # fair share, as the engine's router does
        _persist_assignment(conversation, desk.profiles[chosen.id], queue, channel, callback, now)
        routed.append(Routed(conversation.pk, chosen.id, channel))
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
                          routed: list[Routed], preferred: dict[int, int], now: datetime) -> None:
    """Overflow stages and sticky windows change the rules by themselves: route again at the next one."""
    assigned = {r.conversation_id for r in routed}
    now_ts = now.timestamp()
    due: float | None = None
    for conversation in waiting:
        if conversation.pk in assigned:
            continue
        enqueued = (conversation.queued_at or conversation.created_at).timestamp()
        moments = [enqueued + stage.after_s for stage in rules.overflow]
        if conversation.pk in preferred:
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


def route_waiting(chunk: int = 500) -> int:
    """Offer every waiting conversation to a free agent, queue by queue; returns how many were assigned.

    Runs after commit of anything that may make an assignment possible. Afterwards every waiting citizen
    whose line changed is told their new position and estimate.
    """
    queue_ids = queues_with_waiting()
    assigned = 0
    for queue_id in queue_ids:
        assigned += len(route_queue(queue_id, chunk=chunk))
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


# ------------------------------------------------------------------------------ configuration checks


class ConfigurationError(ValueError):
    """A routing configuration nobody could serve; `messages` are for people."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def queue_channels(queue: Queue) -> set[str]:
    """The channel kinds that reach this queue (through its inboxes); every kind for a queue with none yet."""
    if queue.pk is None:
        return set(engine.CHANNELS) - {"callback"}
    kinds = {ROUTING_CHANNEL.get(channel, "chat") for channel in queue.inboxes.values_list("channel", flat=True)}
    return kinds or set(engine.CHANNELS) - {"callback"}


def check_agent_capacity(capacity: Any) -> dict[str, int]:
    """{channel: n >= 0}, known channels only, not all zero."""
    from django.utils.translation import gettext as _

    if not isinstance(capacity, dict):
        raise ConfigurationError([_("Capacity must map channels to numbers, for example {\"chat\": 3}.")])
    unknown = sorted(set(capacity) - set(engine.CHANNELS))
    if unknown:
        raise ConfigurationError([_("Unknown channels in capacity: %(names)s.") % {"names": ", ".join(unknown)}])
    try:
        cleaned = {channel: int(count) for channel, count in capacity.items()}
    except (TypeError, ValueError) as exc:
        raise ConfigurationError([_("Each capacity must be a whole number.")]) from exc
    if any(count < 0 for count in cleaned.values()):
        raise ConfigurationError([_("A capacity cannot be negative.")])
    if not any(cleaned.values()):
        raise ConfigurationError([_("An agent with a capacity of 0 on every channel can never receive work.")])
    return cleaned


def check_skills(skills: Any) -> dict[str, int]:
    from django.utils.translation import gettext as _

    if not isinstance(skills, dict):
        raise ConfigurationError([_("Skills must map names to levels, for example {\"benefits\": 3}.")])
    cleaned: dict[str, int] = {}
    for name, level in skills.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 50:
            raise ConfigurationError([_("Each skill needs a name of at most 50 characters.")])
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise ConfigurationError([_("Skill levels go from 1 to 5 (%(name)s).") % {"name": name}])
        cleaned[name.strip()] = level
    return cleaned


def queue_configuration_errors(queue: Queue, members: dict[int, list[AgentProfile]] | None = None) -> list[str]:
    """Why nobody could ever serve this queue (empty when someone can). `members`: team id -> agents, to
    check a change before it is saved."""
    from django.utils.translation import gettext as _

    errors: list[str] = []
    teams = dict(Team.objects.values_list("slug", "id"))
    for stage in queue.overflow or []:
        missing = [slug for slug in (stage.get("teams") or []) if slug not in teams] if isinstance(stage, dict) \
            else ["?"]
        if missing:
            errors.append(_("Overflow rules name unknown teams: %(names)s.") % {"names": ", ".join(missing)})
    try:
        engine.is_open(business_hours(queue), timezone.now())
    except (ValueError, TypeError, KeyError, AttributeError):
        errors.append(_("Business hours must look like {\"1\": [[\"08:30\", \"17:00\"]]}, holidays like "
                        "[\"2026-12-25\"], with a valid time zone."))
    if errors or queue.team_id is None:
        return errors
    rules = queue_rules(queue, teams)
    serving_teams = all_team_ids(rules)
    if members is None:
        members = defaultdict(list)
        for agent in AgentProfile.objects.filter(teams__id__in=serving_teams).prefetch_related("teams").distinct():
            for team in agent.teams.all():
                members[team.pk].append(agent)
    channels = queue_channels(queue)
    relaxed = any(stage.relax_skills for stage in rules.overflow)
    reduction = max((stage.level_reduction for stage in rules.overflow), default=0)
    required = {k: int(v) for k, v in (queue.required_skills or {}).items()}
    candidates = {agent.pk: agent for team_id in serving_teams for agent in members.get(team_id, [])}
    capable = [
        agent for agent in candidates.values()
        if (relaxed or all(int((agent.skills or {}).get(skill, 0)) >= level - reduction
                           for skill, level in required.items()))
        and any(int((agent.capacity or {}).get(channel, 0)) > 0 for channel in channels)
    ]
    if not capable:
        errors.append(_("Nobody in the queue's teams can serve it: no member has the required skills "
                        "(%(skills)s) and some capacity for its channels (%(channels)s).") % {
            "skills": ", ".join(f"{k} ≥ {v}" for k, v in sorted(required.items())) or _("none"),
            "channels": ", ".join(sorted(channels))})
    return errors


def check_queue_configuration(queue: Queue, members: dict[int, list[AgentProfile]] | None = None) -> None:
    errors = queue_configuration_errors(queue, members)
    if errors:
        raise ConfigurationError(errors)


# --------------------------------------------------------------------------------- supervisor verbs


def _queues_served_by(team_ids: Iterable[int]) -> list[Queue]:
    team_ids = set(team_ids)
    slugs = set(Team.objects.filter(pk__in=team_ids).values_list("slug", flat=True))
    return [queue for queue in Queue.objects.all()
            if queue.team_id in team_ids
            or any(set(stage.get("teams") or []) & slugs for stage in queue.overflow or [] if isinstance(stage, dict))]


def _check_queues_after(agent: AgentProfile, affected_team_ids: set[int]) -> None:
    """Inside the change's transaction: every queue those teams serve must still have someone able to."""
    errors: list[str] = []
    for queue in _queues_served_by(affected_team_ids):
        for message in queue_configuration_errors(queue):
            errors.append(f"{queue.name}: {message}")
    if errors:
        raise ConfigurationError(errors)


def _audit(actor: AgentProfile, action: str, agent: AgentProfile, details: dict[str, Any]) -> None:
    from guichet.core.models import AuditEvent

    AuditEvent.objects.create(actor=actor.user, action=action, target=f"agent:{agent.pk}", details=details)


def _publish_agent_changed(agent: AgentProfile, change: str) -> None:
    from guichet.realtime import events

    events.publish("queue.updated", [events.SUPERVISORS_GROUP, events.group_for_agent(agent.pk)],
                   {"agent": agent.pk, "name": agent.display_name, "change": change})


def set_agent_teams(actor: AgentProfile, agent: AgentProfile, team_ids: Iterable[int]) -> bool:
    """Move an agent between teams (and so queues). Returns False when nothing changed (a replayed form)."""
    wanted = set(team_ids)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent.pk)
        current = set(agent.teams.values_list("pk", flat=True))
        if wanted == current:
            return False
        unknown = wanted - set(Team.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if unknown:
            from django.utils.translation import gettext as _

            raise ConfigurationError([_("Unknown team.")])
        agent.teams.set(wanted)
        _check_queues_after(agent, current | wanted)
        _audit(actor, "agent.teams_changed", agent, {"from": sorted(current), "to": sorted(wanted)})
        _publish_agent_changed(agent, "teams")
        route_on_commit()
        return True


def set_agent_skills(actor: AgentProfile, agent: AgentProfile, skills: Any) -> bool:
    cleaned = check_skills(skills)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent.pk)
        if (agent.skills or {}) == cleaned:
            return False
        previous = agent.skills
        agent.skills = cleaned
        agent.save(update_fields=["skills"])
        _check_queues_after(agent, set(agent.teams.values_list("pk", flat=True)))
        _audit(actor, "agent.skills_changed", agent, {"from": previous, "to": cleaned})
        _publish_agent_changed(agent, "skills")
        route_on_commit()
        return True


def set_agent_capacity(actor: AgentProfile, agent: AgentProfile, capacity: Any) -> bool:
    cleaned = check_agent_capacity(capacity)
    with transaction.atomic():
        agent = AgentProfile.objects.select_for_update(no_key=True).get(pk=agent.pk)
        if {k: int(v) for k, v in (agent.capacity or {}).items()} == cleaned:
            return False
        previous = agent.capacity
        agent.capacity = cleaned
        agent.save(update_fields=["capacity"])
        _check_queues_after(agent, set(agent.teams.values_list("pk", flat=True)))
        _audit(actor, "agent.capacity_changed", agent, {"from": previous, "to": cleaned})
        _publish_agent_changed(agent, "capacity")
        route_on_commit()
        return True
