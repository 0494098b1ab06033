"""Pure routing core: who gets which waiting work item, and when (stdlib only, no Django).

One universal queue model serves every channel kind. A `Router` keeps agents and waiting items in indexes so
that each event (arrival, completion, presence change, cancel, the clock passing an overflow threshold) only
re-examines what it can change. The same rules are available as pure functions (`has_room`, `is_eligible`,
`choose_agent`) for the database layer, which calls them on rows it has locked.

Rules, in order (see docs/routing.md for the full description):
- only ``available`` agents get work, and only within capacity (`has_room`);
- an agent qualifies for an item by team, language and required skill levels; overflow stages widen the
  teams and relax the skills once the item has waited long enough;
- a returning citizen is reserved for the agent who helped before during the queue's sticky window;
- items are served by priority class (lower number first), then longest waiting first;
- an item goes to the qualifying agent with the best preferred-skill match, then the longest idle.
"""

from __future__ import annotations

import heapq
import itertools
import math
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

Id = str | int

CHANNELS: tuple[str, ...] = ("chat", "email", "sms", "voice", "callback")
# A call (inbound or a callback we place) needs the agent's whole attention: it blocks everything else.
CALL_CHANNELS: frozenset[str] = frozenset({"voice", "callback"})

AVAILABLE = "available"
AWAY = "away"
OFFLINE = "offline"
WRAP_UP = "wrap_up"
PRESENCES: tuple[str, ...] = (AVAILABLE, AWAY, OFFLINE, WRAP_UP)

# Priority classes: lower number is served first. Only the ordering matters to the engine.
PRIORITY_URGENT = 0
PRIORITY_CALLBACK_DUE = 1
PRIORITY_VULNERABLE = 2
PRIORITY_NORMAL = 5


# --------------------------------------------------------------------------------------------------- model


@dataclass(slots=True)
class Agent:
    """An agent as the router sees it. The router mutates `presence`, `load` and `idle_since` in place."""

    id: Id
    teams: frozenset[Id]
    languages: frozenset[str]
    skills: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    presence: str = AVAILABLE
    load: dict[str, int] = field(default_factory=dict)
    # Time of the last assignment, completion or return to `available`: the smallest value is "longest idle".
    idle_since: float = 0.0


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One conversation, email, SMS, call or callback waiting for an agent."""

    id: Id
    queue_id: Id
    channel: str
    language: str
    required_skills: Mapping[str, int] = field(default_factory=dict)
    preferred_skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = PRIORITY_NORMAL
    enqueued_at: float = 0.0
    preferred_agent_id: Id | None = None


@dataclass(frozen=True, slots=True)
class OverflowStage:
    """From `after_s` seconds of waiting on, the item may also go to `extra_team_ids`, and skills relax.

    Stages are cumulative: a later stage keeps every team and relaxation of the earlier ones.
    `level_reduction` lowers every required level (a level brought to 0 no longer requires the skill);
    `relax_skills` drops the required skills entirely (they then only rank agents, like preferred skills).
    """

    after_s: float
    extra_team_ids: frozenset[Id] = frozenset()
    level_reduction: int = 0
    relax_skills: bool = False


@dataclass(frozen=True, slots=True)
class QueueRules:
    id: Id
    team_ids: frozenset[Id]
    overflow: tuple[OverflowStage, ...] = ()
    sticky_window_s: float = 0.0

    def __post_init__(self) -> None:
        # Accept any iterable of stages but keep a hashable tuple sorted by threshold.
        object.__setattr__(self, "team_ids", frozenset(self.team_ids))
        object.__setattr__(self, "overflow", tuple(sorted(self.overflow, key=lambda stage: stage.after_s)))


@dataclass(frozen=True, slots=True)
class Assignment:
    item_id: Id
    agent_id: Id
    queue_id: Id
    channel: str


# ------------------------------------------------------------------------------------ pure rule functions


@dataclass(frozen=True, slots=True)
class _Rung:
    """The effective rules once an item has waited `after_s` (stage 0 is the queue's base rules)."""

    after_s: float
    team_ids: frozenset[Id]
    level_reduction: int
    relax_skills: bool


@lru_cache(maxsize=4096)
def _ladder(rules: QueueRules) -> tuple[_Rung, ...]:
    rungs = [_Rung(0.0, rules.team_ids, 0, False)]
    for stage in rules.overflow:
        previous = rungs[-1]
        rungs.append(_Rung(
            after_s=max(0.0, stage.after_s),
            team_ids=previous.team_ids | frozenset(stage.extra_team_ids),
            level_reduction=max(previous.level_reduction, stage.level_reduction),
            relax_skills=previous.relax_skills or stage.relax_skills,
        ))
    return tuple(rungs)


def _rung_at(ladder: Sequence[_Rung], enqueued_at: float, now: float) -> _Rung:
    # Written as `enqueued_at + after_s <= now` everywhere (timers included) so float rounding agrees.
    current = ladder[0]
    for rung in ladder[1:]:
        if enqueued_at + rung.after_s <= now:
            current = rung
        else:
            break
    return current


def _capacity_for(agent: Agent, channel: str) -> int:
    if channel == "callback":
        # A callback is an outbound call: without an explicit callback capacity it uses the voice one.
        return agent.capacity.get("callback", agent.capacity.get("voice", 0))
    return agent.capacity.get(channel, 0)


def has_room(agent: Agent, channel: str) -> bool:
    """Capacity rule (presence is not considered here).

    Chats, emails and SMS each count against their own limit. A call (voice or callback) blocks everything:
    an agent on a call takes nothing else, and a call is only offered to an agent with no work at all.
    """
    load = agent.load
    if load.get("voice", 0) > 0 or load.get("callback", 0) > 0:
        return False
    if channel in CALL_CHANNELS:
        return _capacity_for(agent, channel) > 0 and not any(load.values())
    return load.get(channel, 0) < _capacity_for(agent, channel)


def _skills_ok(agent_skills: Mapping[str, int], required: Mapping[str, int], rung: _Rung) -> bool:
    if rung.relax_skills:
        return True
    reduction = rung.level_reduction
    for skill, level in required.items():
        if agent_skills.get(skill, 0) < level - reduction:
            return False
    return True


def _first_qualifying_wait(agent_skills: Mapping[str, int], required: Mapping[str, int],
                           rungs: Sequence[_Rung]) -> float | None:
    """Threshold of the first rung (in order) at which these skills satisfy `required`, or None."""
    shortfall = max((level - agent_skills.get(skill, 0) for skill, level in required.items()), default=0)
    for rung in rungs:
        if shortfall <= 0 or rung.relax_skills or rung.level_reduction >= shortfall:
            return rung.after_s
    return None


def _preference_score(agent_skills: Mapping[str, int], item: WorkItem, rung: _Rung) -> int:
    """How many preferred skills the agent meets (plus relaxed required skills, which become preferences)."""
    score = sum(1 for skill, level in item.preferred_skills.items() if agent_skills.get(skill, 0) >= level)
    if rung.relax_skills or rung.level_reduction:
        score += sum(1 for skill, level in item.required_skills.items() if agent_skills.get(skill, 0) >= level)
    return score


def _max_preference_score(item: WorkItem, rung: _Rung) -> int:
    relaxed = rung.relax_skills or rung.level_reduction
    return len(item.preferred_skills) + (len(item.required_skills) if relaxed else 0)


def is_eligible(agent: Agent, item: WorkItem, rules: QueueRules, now: float) -> bool:
    """Team, language and required skills at the item's current overflow stage (ignores presence and room)."""
    rung = _rung_at(_ladder(rules), item.enqueued_at, now)
    return (item.language in agent.languages
            and not agent.teams.isdisjoint(rung.team_ids)
            and _skills_ok(agent.skills, item.required_skills, rung))


def can_take(agent: Agent, item: WorkItem, rules: QueueRules, now: float) -> bool:
    """An available agent, eligible for the item, with room on its channel."""
    return agent.presence == AVAILABLE and has_room(agent, item.channel) and is_eligible(agent, item, rules, now)


def is_reserved(item: WorkItem, preferred_agent: Agent | None, rules: QueueRules, now: float) -> bool:
    """Sticky routing: inside the window the item waits for the agent who helped before.

    The reservation holds while the window is open, that agent is known, not offline and eligible for the item.
    Once it ends (or never applied) the item is routed normally.
    """
    return (preferred_agent is not None
            and item.preferred_agent_id == preferred_agent.id
            and now < item.enqueued_at + rules.sticky_window_s
            and preferred_agent.presence != OFFLINE
            and is_eligible(preferred_agent, item, rules, now))


def _agent_rank(score: int, agent: Agent) -> tuple[int, float, Id]:
    # Best preferred-skill match first, then the longest idle, then the smallest id (deterministic).
    return (-score, agent.idle_since, agent.id)


def choose_agent(item: WorkItem, agents: Iterable[Agent], rules: QueueRules, now: float) -> Agent | None:
    """The agent this item should go to now among `agents`, or None (brute force over the given agents).

    For stickiness to be honoured the preferred agent must be among `agents`: when the item is reserved for
    them, the answer is that agent if they can take it now, otherwise None (the item keeps waiting for them).
    """
    candidates = list(agents)
    preferred = next((agent for agent in candidates if agent.id == item.preferred_agent_id), None)
    if item.preferred_agent_id is not None and is_reserved(item, preferred, rules, now):
        assert preferred is not None
        return preferred if preferred.presence == AVAILABLE and has_room(preferred, item.channel) else None
    rung = _rung_at(_ladder(rules), item.enqueued_at, now)
    best: Agent | None = None
    best_rank: tuple[int, float, Id] | None = None
    for agent in candidates:
        if not can_take(agent, item, rules, now):
            continue
        rank = _agent_rank(_preference_score(agent.skills, item, rung), agent)
        if best_rank is None or rank < best_rank:
            best, best_rank = agent, rank
    return best


def estimate_wait(position: int, agents_staffed: int, mean_handle_s: float, abandon_rate: float = 0.0,
                  concurrency: float = 1.0) -> float:
    """Expected seconds before the item at `position` (1-based) reaches an agent, all agents being busy.

    The line drains at `agents_staffed * concurrency / mean_handle_s` items per second. The item needs every
    item ahead of it to leave, but a share `abandon_rate` of those leave by abandoning rather than being
    served, and then the next free slot (on average one slot's worth of drain time):

        wait = ((position - 1) * (1 - abandon_rate) + 1) * mean_handle_s / (agents_staffed * concurrency)

    Returns `math.inf` when nobody is staffed.
    """
    if position <= 0:
        return 0.0
    if agents_staffed <= 0 or concurrency <= 0:
        return math.inf
    abandon = min(max(abandon_rate, 0.0), 1.0)
    served_ahead = (position - 1) * (1.0 - abandon)
    return (served_ahead + 1.0) * mean_handle_s / (agents_staffed * concurrency)


# ---------------------------------------------------------------------------------------- business hours


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Weekly opening intervals in a time zone, plus holiday dates (closed all day, local date).

    `weekly` maps ISO weekday (1 = Monday ... 7 = Sunday) to (opens, closes) local times. An interval whose
    closing time is not after its opening time runs past midnight into the next day.
    """

    timezone: str
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @classmethod
    def from_config(cls, timezone: str, weekly: Mapping[str | int, Iterable[Sequence[str]]],
                    holidays: Iterable[str] = (), always_open: bool = False) -> BusinessHours:
        """Build from the JSON shape stored on queues: {"1": [["08:30", "17:00"]]}, ["2026-12-25"]."""
        parsed = {
            int(day): tuple((time.fromisoformat(opens), time.fromisoformat(closes)) for opens, closes in spans)
            for day, spans in weekly.items()
        }
        return cls(timezone, parsed, frozenset(date.fromisoformat(day) for day in holidays), always_open)


def is_open(hours: BusinessHours, when: datetime) -> bool:
    """Whether the queue is open at the (timezone-aware) instant `when`."""
    if when.tzinfo is None:
        raise ValueError("is_open needs a timezone-aware datetime")
    if hours.always_open:
        return True
    local = when.astimezone(ZoneInfo(hours.timezone))
    today, clock = local.date(), local.time().replace(tzinfo=None)
    if today in hours.holidays:
        return False
    for opens, closes in hours.weekly.get(today.isoweekday(), ()):
        if opens < closes and opens <= clock < closes:
            return True
        if closes <= opens and clock >= opens:
            return True
    yesterday = today - timedelta(days=1)
    if yesterday in hours.holidays:
        return False
    # An overnight interval that opened yesterday is still running this morning.
    return any(closes <= opens and clock < closes for opens, closes in hours.weekly.get(yesterday.isoweekday(), ()))


# ------------------------------------------------------------------------------------------------ router


class _Waiting:
    """Router bookkeeping for one waiting item."""

    __slots__ = ("item", "seq", "key", "line", "signature", "reserved_for", "dirty")

    def __init__(self, item: WorkItem, seq: int, signature: int) -> None:
        self.item = item
        self.seq = seq
        self.key: tuple[int, float, int] = (item.priority, item.enqueued_at, seq)
        self.line: tuple[Id, str, str] = (item.queue_id, item.channel, item.language)
        self.signature = signature
        self.reserved_for: Id | None = None
        self.dirty = True


HeapEntry = tuple[float, int, Id]  # (enqueued_at, seq, item id)
HeadEntry = tuple[float, int, int, Id]  # (enqueued_at, seq, signature, item id)


class _Group:
    """Waiting items of one queue, channel and language (those not reserved for a sticky agent).

    Items are split by (required-skill signature, priority) into FIFO heaps. Inside one heap the oldest item
    has waited longest, hence reached the furthest overflow stage: if the head does not qualify for an agent,
    nothing behind it does. `heads[priority]` lists the head of every heap of that priority, oldest first, so
    an agent finds its best item by walking heads until one has a signature it can serve.
    A head may be stale (its item was cancelled): readers check and repair it (`Router._live_head`).
    """

    __slots__ = ("heaps", "heads", "priorities")

    def __init__(self) -> None:
        self.heaps: dict[tuple[int, int], list[HeapEntry]] = {}
        self.heads: dict[int, list[HeadEntry]] = {}
        self.priorities: list[int] = []

    def push(self, signature: int, priority: int, entry: HeapEntry) -> None:
        heap = self.heaps.get((signature, priority))
        if heap is None:
            heap = self.heaps[(signature, priority)] = []
        if priority not in self.heads:
            self.heads[priority] = []
            insort(self.priorities, priority)
        previous = heap[0] if heap else None
        heapq.heappush(heap, entry)
        if heap[0] is not previous:
            self._replace_head(signature, priority, previous, heap[0])

    def pop_head(self, signature: int, priority: int) -> None:
        heap = self.heaps[(signature, priority)]
        previous = heapq.heappop(heap)
        self._replace_head(signature, priority, previous, heap[0] if heap else None)

    def _replace_head(self, signature: int, priority: int, old: HeapEntry | None, new: HeapEntry | None) -> None:
        heads = self.heads[priority]
        if old is not None:
            del heads[bisect_left(heads, (old[0], old[1]))]
        if new is not None:
            insort(heads, (new[0], new[1], signature, new[2]))


_OVERFLOW_TIMER = 0
_STICKY_TIMER = 1


class Router:
    """Incremental router. Mutate with the verbs below, then call `dispatch(now)` to get assignments.

    The router owns the `Agent` objects given to it (it updates their load, presence and idle time); use
    `update_agent` to change anything else. Invariants after every `dispatch`: no agent over capacity, no item
    assigned twice, and no item left waiting while an available agent eligible for it has room.
    """

    def __init__(self, queues: Iterable[QueueRules] = ()) -> None:
        self._queues: dict[Id, QueueRules] = {}
        self._ladders: dict[Id, tuple[_Rung, ...]] = {}
        self._agents: dict[Id, Agent] = {}
        # (team, language, channel) -> sorted [(idle_since, agent id)] of available agents with room there.
        self._room_index: dict[tuple[Id, str, str], list[tuple[float, Id]]] = {}
        self._indexed: dict[Id, tuple[tuple[float, Id], list[tuple[Id, str, str]]]] = {}
        self._waiting: dict[Id, _Waiting] = {}
        self._groups: dict[tuple[Id, str, str], _Group] = {}
        self._reserved: dict[Id, dict[Id, _Waiting]] = {}
        self._lines: dict[tuple[Id, str, str], list[tuple[int, float, int]]] = {}
        self._queue_counts: dict[Id, int] = {}
        self._timers: list[tuple[float, int, int, Id]] = []
        self._dirty_agents: set[Id] = set()
        self._dirty_items: dict[Id, _Waiting] = {}
        self._signatures: dict[tuple[tuple[str, int], ...], int] = {}
        self._signature_skills: list[dict[str, int]] = []
        # agent id -> queue id -> (signatures examined, {signature: wait needed}, smallest wait needed)
        self._compat: dict[Id, dict[Id, tuple[int, dict[int, float], float]]] = {}
        self._agent_queues: dict[Id, tuple[Id, ...]] = {}
        self._seq = itertools.count()
        for rules in queues:
            self.set_queue(rules)

    # ---------------------------------------------------------------------------------------- queues

    def set_queue(self, rules: QueueRules) -> None:
        """Add a queue or replace its rules. Items already waiting in it are re-examined; their sticky
        reservations are released (they route normally)."""
        self._queues[rules.id] = rules
        self._ladders[rules.id] = _ladder(rules)
        self._compat.clear()
        self._agent_queues.clear()
        for entry in [entry for entry in self._waiting.values() if entry.item.queue_id == rules.id]:
            if entry.reserved_for is not None:
                self._release(entry)
            self._push_overflow_timers(entry)
            self._mark_dirty(entry)
        self._dirty_agents.update(self._agents)

    def queue(self, queue_id: Id) -> QueueRules:
        return self._queues[queue_id]

    # ---------------------------------------------------------------------------------------- agents

    def add_agent(self, agent: Agent) -> None:
        if agent.id in self._agents:
            raise ValueError(f"agent {agent.id!r} is already known")
        self._check_presence(agent.presence)
        self._agents[agent.id] = agent
        self._reindex(agent)
        self._dirty_agents.add(agent.id)

    def update_agent(self, agent: Agent) -> None:
        """Replace an agent's whole description (teams, skills, capacity, presence, load, idle time)."""
        if agent.id not in self._agents:
            raise KeyError(agent.id)
        self._check_presence(agent.presence)
        self._agents[agent.id] = agent
        self._compat.pop(agent.id, None)
        self._agent_queues.pop(agent.id, None)
        self._reindex(agent)
        for entry in list(self._reserved.get(agent.id, {}).values()):
            rules = self._queues[entry.item.queue_id]
            # Eligibility only grows with waiting, so checking at arrival time never keeps a bad reservation.
            if agent.presence == OFFLINE or not is_eligible(agent, entry.item, rules, entry.item.enqueued_at):
                self._release(entry)
        self._dirty_agents.add(agent.id)

    def remove_agent(self, agent_id: Id) -> Agent:
        agent = self._agents.pop(agent_id)
        agent.presence = OFFLINE
        self._reindex(agent)
        self._indexed.pop(agent_id, None)
        for entry in list(self._reserved.get(agent_id, {}).values()):
            self._release(entry)
        self._reserved.pop(agent_id, None)
        self._compat.pop(agent_id, None)
        self._agent_queues.pop(agent_id, None)
        self._dirty_agents.discard(agent_id)
        return agent

    def agent(self, agent_id: Id) -> Agent:
        return self._agents[agent_id]

    def agents(self) -> Iterator[Agent]:
        return iter(self._agents.values())

    def set_presence(self, agent_id: Id, presence: str, now: float) -> None:
        self._check_presence(presence)
        agent = self._agents[agent_id]
        if agent.presence == presence:
            return
        agent.presence = presence
        if presence == AVAILABLE:
            agent.idle_since = now
            self._dirty_agents.add(agent_id)
        elif presence == OFFLINE:
            for entry in list(self._reserved.get(agent_id, {}).values()):
                self._release(entry)
        self._reindex(agent)

    def complete(self, agent_id: Id, channel: str, now: float) -> None:
        """The agent finished one piece of work on `channel`: frees that capacity; idle since `now`."""
        agent = self._agents[agent_id]
        if agent.load.get(channel, 0) <= 0:
            raise ValueError(f"agent {agent_id!r} has no {channel} work to complete")
        agent.load[channel] -= 1
        agent.idle_since = now
        self._reindex(agent)
        self._dirty_agents.add(agent_id)

    # ----------------------------------------------------------------------------------------- items

    def enqueue(self, item: WorkItem) -> None:
        if item.channel not in CHANNELS:
            raise ValueError(f"unknown channel {item.channel!r}")
        if item.queue_id not in self._queues:
            raise KeyError(f"unknown queue {item.queue_id!r}")
        if item.id in self._waiting:
            raise ValueError(f"item {item.id!r} is already waiting")
        entry = _Waiting(item, next(self._seq), self._signature_of(item.required_skills))
        self._waiting[item.id] = entry
        insort(self._lines.setdefault(entry.line, []), entry.key)
        self._queue_counts[item.queue_id] = self._queue_counts.get(item.queue_id, 0) + 1
        rules = self._queues[item.queue_id]
        preferred = self._agents.get(item.preferred_agent_id) if item.preferred_agent_id is not None else None
        if preferred is not None and is_reserved(item, preferred, rules, item.enqueued_at):
            entry.reserved_for = preferred.id
            self._reserved.setdefault(preferred.id, {})[item.id] = entry
            heapq.heappush(self._timers, (item.enqueued_at + rules.sticky_window_s, entry.seq, _STICKY_TIMER,
                                          item.id))
        else:
            self._push_to_node(entry)
        self._push_overflow_timers(entry)
        self._mark_dirty(entry)

    def cancel(self, item_id: Id) -> bool:
        """The citizen abandoned: forget the item. Returns False if it was not waiting."""
        entry = self._waiting.get(item_id)
        if entry is None:
            return False
        self._forget(entry)
        return True

    def is_waiting(self, item_id: Id) -> bool:
        return item_id in self._waiting

    def waiting_items(self) -> Iterator[WorkItem]:
        return (entry.item for entry in self._waiting.values())

    def waiting_count(self, queue_id: Id) -> int:
        return self._queue_counts.get(queue_id, 0)

    def position(self, item_id: Id) -> int:
        """1-based place in line: 1 + the waiting items of the same queue, channel and language ahead of it
        (smaller priority number, or same priority and waiting longer). Skills are not considered: the line
        is what the citizen would see at the counter."""
        entry = self._waiting[item_id]
        return bisect_left(self._lines[entry.line], entry.key) + 1

    def staffed_count(self, queue_id: Id) -> int:
        """Agents of the queue's base teams who are logged in and working (available or in wrap-up)."""
        teams = self._queues[queue_id].team_ids
        return sum(1 for agent in self._agents.values()
                   if agent.presence in (AVAILABLE, WRAP_UP) and not agent.teams.isdisjoint(teams))

    def next_wakeup(self) -> float | None:
        """When the next overflow stage or sticky window ends: call `dispatch` then even if nothing happens."""
        while self._timers:
            due, seq, _kind, item_id = self._timers[0]
            entry = self._waiting.get(item_id)
            if entry is not None and entry.seq == seq:
                return due
            heapq.heappop(self._timers)
        return None

    # -------------------------------------------------------------------------------------- dispatch

    def dispatch(self, now: float) -> list[Assignment]:
        """Assign everything that can be assigned at `now`.

        1. Timers whose moment has come: overflow stages widen eligibility, sticky windows end.
        2. Agents that gained room pick the best item they qualify for (priority, then longest waiting).
           When that item is itself new, it goes instead to the best agent for it (fair share).
        3. Items that are new or newly eligible, best first, go to the best agent with room.
        """
        self._fire_timers(now)
        assignments: list[Assignment] = []
        if self._dirty_agents:
            dirty = sorted((self._agents[agent_id] for agent_id in self._dirty_agents if agent_id in self._agents),
                           key=lambda agent: (agent.idle_since, agent.id))
            self._dirty_agents.clear()
            for agent in dirty:
                self._fill(agent, now, assignments)
        if self._dirty_items:
            entries = sorted(self._dirty_items.values(), key=lambda entry: entry.key)
            for entry in entries:
                if self._waiting.get(entry.item.id) is not entry:
                    continue
                taker = self._find_agent(entry, now)
                if taker is not None:
                    assignments.append(self._assign(entry, taker, now))
            for entry in entries:
                entry.dirty = False
            self._dirty_items.clear()
        return assignments

    def _fill(self, agent: Agent, now: float, assignments: list[Assignment]) -> None:
        while agent.presence == AVAILABLE:
            entry = self._best_item_for(agent, now)
            if entry is None:
                return
            taker = self._find_agent(entry, now) if entry.dirty else agent
            assignments.append(self._assign(entry, taker or agent, now))

    def _fire_timers(self, now: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            _due, seq, kind, item_id = heapq.heappop(timers)
            entry = self._waiting.get(item_id)
            if entry is None or entry.seq != seq:
                continue
            if kind == _STICKY_TIMER and entry.reserved_for is not None:
                self._release(entry)
            self._mark_dirty(entry)

    # --------------------------------------------------------------------------- agent-side lookup

    def _best_item_for(self, agent: Agent, now: float) -> _Waiting | None:
        """The best waiting item this agent qualifies for and has room for, or None."""
        room = [channel for channel in CHANNELS if has_room(agent, channel)]
        if not room:
            return None
        best: _Waiting | None = None
        for entry in self._reserved.get(agent.id, {}).values():
            if entry.item.channel in room and (best is None or entry.key < best.key):
                best = entry
        best_key = best.key if best is not None else None
        best_id: Id | None = None
        for queue_id in self._queues_of(agent):
            compat, earliest = self._compat_of(agent, queue_id)
            if not compat:
                continue
            for channel in room:
                for language in agent.languages:
                    group = self._groups.get((queue_id, channel, language))
                    if group is None:
                        continue
                    for priority in group.priorities:
                        if best_key is not None and priority > best_key[0]:
                            break
                        found = self._first_servable(group, priority, compat, earliest, now, best_key)
                        if found is not None:
                            best_key, best_id = found
                            break
        if best_id is not None:
            return self._waiting[best_id]
        return best

    def _first_servable(self, group: _Group, priority: int, compat: dict[int, float], earliest: float,
                        now: float, best_key: tuple[int, float, int] | None
                        ) -> tuple[tuple[int, float, int], Id] | None:
        """Oldest head of this priority whose signature the agent serves and whose wait is long enough."""
        heads = group.heads[priority]
        index = 0
        while index < len(heads):
            enqueued_at, seq, signature, item_id = heads[index]
            if enqueued_at + earliest > now:
                return None  # heads are oldest first: the rest are too young for this agent as well
            if best_key is not None and (priority, enqueued_at, seq) >= best_key:
                return None
            wait_needed = compat.get(signature)
            if wait_needed is None or enqueued_at + wait_needed > now:
                index += 1
                continue
            entry = self._waiting.get(item_id)
            if entry is None or entry.seq != seq or entry.reserved_for is not None:
                self._repair_head(group, signature, priority)  # stale head replaced; look at the same place
                continue
            return (priority, enqueued_at, seq), item_id
        return None

    def _repair_head(self, group: _Group, signature: int, priority: int) -> None:
        """Drop cancelled items from the front of one heap so that its listed head is live again."""
        heap = group.heaps[(signature, priority)]
        group.pop_head(signature, priority)
        while heap:
            entry = self._waiting.get(heap[0][2])
            if entry is not None and entry.seq == heap[0][1] and entry.reserved_for is None:
                return
            group.pop_head(signature, priority)

    def _queues_of(self, agent: Agent) -> tuple[Id, ...]:
        queues = self._agent_queues.get(agent.id)
        if queues is None:
            queues = tuple(queue_id for queue_id, ladder in self._ladders.items()
                           if not agent.teams.isdisjoint(ladder[-1].team_ids))
            self._agent_queues[agent.id] = queues
        return queues

    def _compat_of(self, agent: Agent, queue_id: Id) -> tuple[dict[int, float], float]:
        """({signature: wait needed before this agent qualifies}, smallest such wait) for one queue."""
        per_agent = self._compat.setdefault(agent.id, {})
        examined, compat, earliest = per_agent.get(queue_id, (0, {}, math.inf))
        if examined < len(self._signature_skills):
            # Rungs where the agent's teams are allowed; the skills then decide which of those comes first.
            rungs = [rung for rung in self._ladders[queue_id] if not agent.teams.isdisjoint(rung.team_ids)]
            for signature in range(examined, len(self._signature_skills)):
                wait_needed = _first_qualifying_wait(agent.skills, self._signature_skills[signature], rungs)
                if wait_needed is not None:
                    compat[signature] = wait_needed
                    earliest = min(earliest, wait_needed)
            per_agent[queue_id] = (len(self._signature_skills), compat, earliest)
        return compat, earliest

    def _signature_of(self, required: Mapping[str, int]) -> int:
        key = tuple(sorted(required.items()))
        signature = self._signatures.get(key)
        if signature is None:
            signature = self._signatures[key] = len(self._signature_skills)
            self._signature_skills.append(dict(key))
        return signature

    # ---------------------------------------------------------------------------- item-side lookup

    def _find_agent(self, entry: _Waiting, now: float) -> Agent | None:
        """Same choice as `choose_agent`, using the room index instead of scanning every agent."""
        item = entry.item
        if entry.reserved_for is not None:
            agent = self._agents[entry.reserved_for]
            return agent if agent.presence == AVAILABLE and has_room(agent, item.channel) else None
        rung = _rung_at(self._ladders[item.queue_id], item.enqueued_at, now)
        top_score = _max_preference_score(item, rung)
        best: Agent | None = None
        best_rank: tuple[int, float, Id] | None = None
        for team in rung.team_ids:
            listed = self._room_index.get((team, item.language, item.channel))
            if not listed:
                continue
            for idle_since, agent_id in listed:
                if best_rank is not None and best_rank[0] == -top_score and (idle_since, agent_id) >= best_rank[1:]:
                    break  # nobody later in this list can beat a perfect match that is idle longer
                agent = self._agents[agent_id]
                if not _skills_ok(agent.skills, item.required_skills, rung):
                    continue
                score = _preference_score(agent.skills, item, rung) if top_score else 0
                rank = (-score, idle_since, agent_id)
                if best_rank is None or rank < best_rank:
                    best, best_rank = agent, rank
                if score == top_score:
                    break
        return best

    # ----------------------------------------------------------------------------------- mutations

    def _assign(self, entry: _Waiting, agent: Agent, now: float) -> Assignment:
        item = entry.item
        if not has_room(agent, item.channel) or agent.presence != AVAILABLE:
            raise AssertionError(f"routing bug: {agent.id!r} cannot take {item.id!r}")
        self._forget(entry)
        agent.load[item.channel] = agent.load.get(item.channel, 0) + 1
        agent.idle_since = now  # fair share: the agent just received work, others are now idle longer
        self._reindex(agent)
        return Assignment(item.id, agent.id, item.queue_id, item.channel)

    def _forget(self, entry: _Waiting) -> None:
        item = entry.item
        del self._waiting[item.id]
        line = self._lines[entry.line]
        del line[bisect_left(line, entry.key)]
        self._queue_counts[item.queue_id] -= 1
        self._dirty_items.pop(item.id, None)
        if entry.reserved_for is not None:
            self._reserved[entry.reserved_for].pop(item.id, None)
            return
        group = self._groups[entry.line]
        heap = group.heaps[(entry.signature, item.priority)]
        if heap[0][1] == entry.seq:
            self._repair_head(group, entry.signature, item.priority)  # others are dropped lazily later

    def _release(self, entry: _Waiting) -> None:
        """End a sticky reservation: the item joins normal routing."""
        agent_id = entry.reserved_for
        if agent_id is None:
            return
        self._reserved.get(agent_id, {}).pop(entry.item.id, None)
        entry.reserved_for = None
        self._push_to_node(entry)
        self._mark_dirty(entry)

    def _push_to_node(self, entry: _Waiting) -> None:
        item = entry.item
        group = self._groups.get(entry.line)
        if group is None:
            group = self._groups[entry.line] = _Group()
        group.push(entry.signature, item.priority, (item.enqueued_at, entry.seq, item.id))

    def _push_overflow_timers(self, entry: _Waiting) -> None:
        for rung in self._ladders[entry.item.queue_id][1:]:
            heapq.heappush(self._timers, (entry.item.enqueued_at + rung.after_s, entry.seq, _OVERFLOW_TIMER,
                                          entry.item.id))

    def _mark_dirty(self, entry: _Waiting) -> None:
        entry.dirty = True
        self._dirty_items[entry.item.id] = entry

    def _reindex(self, agent: Agent) -> None:
        """Keep the room index in step with the agent's presence, load and idle time."""
        index = self._room_index
        sort_key = (agent.idle_since, agent.id)
        if agent.presence == AVAILABLE and agent.id in self._agents:
            keys = [(team, language, channel)
                    for channel in CHANNELS if has_room(agent, channel)
                    for team in agent.teams for language in agent.languages]
        else:
            keys = []
        previous = self._indexed.get(agent.id)
        if previous is not None:
            old_sort_key, old_keys = previous
            for key in old_keys:
                listed = index[key]
                del listed[bisect_left(listed, old_sort_key)]
        for key in keys:
            insort(index.setdefault(key, []), sort_key)
        self._indexed[agent.id] = (sort_key, keys)

    @staticmethod
    def _check_presence(presence: str) -> None:
        if presence not in PRESENCES:
            raise ValueError(f"unknown presence {presence!r}")
