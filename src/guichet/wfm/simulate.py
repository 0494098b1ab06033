"""Discrete-event simulation of one contact-centre day, driving the real routing core.

Arrivals are Poisson within each interval (rate from a forecast or a scenario file), handle times exponential
or lognormal, patience exponential (a contact still waiting when its patience runs out abandons). Agents have
teams, languages, skills, per-channel capacity and a shift. Every routing decision is made by
``guichet.routing.engine.Router`` - the same code that routes live conversations - so the simulation shows
what skills, languages and shifts cost compared with the single-pool Erlang A figure printed beside it.

Randomness comes only from ``numpy.random.default_rng((seed, replication))``: a scenario and a seed always
give the same report.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from guichet.routing.engine import AVAILABLE, CHANNELS, OFFLINE, Agent, QueueRules, Router, WorkItem
from guichet.wfm.erlang import QueueMetrics, StaffingTarget, WfmInputError, Workload, erlang_a_metrics
from guichet.wfm.forecast import Forecast

__all__ = [
    "AgentGroup",
    "ContactType",
    "HandleTime",
    "IntervalReport",
    "SimulationReport",
    "SimulationScenario",
    "calls_from_forecast",
    "load_scenario",
    "scenario_from_mapping",
    "simulate",
]


@dataclass(frozen=True)
class HandleTime:
    """Handle time distribution. ``cv`` (standard deviation / mean) applies to the lognormal only."""

    mean_seconds: float
    distribution: str = "exponential"
    cv: float = 1.0

    def __post_init__(self) -> None:
        if self.distribution not in ("exponential", "lognormal"):
            raise WfmInputError(
                "handle_time.distribution", f"must be exponential or lognormal, got {self.distribution!r}"
            )
        _positive("handle_time.mean_seconds", self.mean_seconds)
        _positive("handle_time.cv", self.cv)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.distribution == "exponential":
            return rng.exponential(self.mean_seconds, size)
        sigma_squared = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean_seconds) - sigma_squared / 2, math.sqrt(sigma_squared), size)


@dataclass(frozen=True)
class ContactType:
    """One kind of contact in the arrival mix; ``share`` values are normalised over all types."""

    queue: str
    share: float = 1.0
    channel: str = "voice"
    language: str = "en"
    required_skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentGroup:
    """``count`` identical agents working from ``shift_start`` to ``shift_end`` (seconds after day start)."""

    name: str
    count: int
    teams: frozenset[str]
    languages: frozenset[str]
    shift_start: float
    shift_end: float
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[str, int] = field(default_factory=lambda: {"voice": 1})

    def on_shift(self, moment: float) -> bool:
        return self.shift_start <= moment < self.shift_end


@dataclass(frozen=True)
class SimulationScenario:
    name: str
    calls_per_interval: tuple[float, ...]
    interval_minutes: int
    handle_time: HandleTime
    patience_seconds: float
    target_seconds: float
    queues: tuple[QueueRules, ...]
    contact_types: tuple[ContactType, ...]
    agent_groups: tuple[AgentGroup, ...]
    day_start: time = time(8, 0)
    seed: int = 0
    replications: int = 1

    @property
    def interval_seconds(self) -> float:
        return self.interval_minutes * 60.0


@dataclass(frozen=True)
class IntervalReport:
    """One interval, simulated (mean per replication) beside Erlang A for the same inputs.

    The Erlang A column pools every agent on shift at the interval's midpoint into one group (servers =
    capacity on the dominant channel) and assumes a steady state, so skill and language splits, shift edges
    and the empty queue at opening all show up as the gap.
    """

    start: time
    offered: float
    answered: float
    abandoned: float
    service_level: float | None
    asa_seconds: float | None
    abandon_rate: float | None
    servers_on_shift: int
    erlang_a_service_level: float | None
    erlang_a_asa_seconds: float | None
    erlang_a_abandon_rate: float | None


@dataclass(frozen=True)
class SimulationReport:
    scenario: str
    replications: int
    seed: int
    target_seconds: float
    intervals: tuple[IntervalReport, ...]
    service_level: float | None  # whole day, answered within target / offered
    asa_seconds: float | None
    abandon_rate: float | None
    erlang_a_service_level: float | None  # offered-weighted mean of the interval figures
    replication_service_levels: tuple[float | None, ...]


# ------------------------------------------------------------------------------------------ one replication


_ARRIVAL, _COMPLETE, _ABANDON, _SHIFT_START, _SHIFT_END, _WAKEUP = range(6)


@dataclass
class _Tally:
    """Counts per arrival interval for one replication."""

    offered: np.ndarray
    answered: np.ndarray
    answered_within: np.ndarray
    abandoned: np.ndarray
    wait_answered: np.ndarray

    @classmethod
    def empty(cls, intervals: int) -> _Tally:
        return cls(*(np.zeros(intervals) for _ in range(5)))


@dataclass(frozen=True)
class _Contact:
    id: int
    arrival: float
    interval: int
    kind: ContactType
    handle_seconds: float
    patience_seconds: float


def _draw_contacts(scenario: SimulationScenario, rng: np.random.Generator) -> list[_Contact]:
    shares = np.array([kind.share for kind in scenario.contact_types], dtype=float)
    shares = shares / shares.sum()
    contacts: list[_Contact] = []
    for interval, expected in enumerate(scenario.calls_per_interval):
        count = int(rng.poisson(expected))
        begin = interval * scenario.interval_seconds
        arrivals = np.sort(rng.uniform(begin, begin + scenario.interval_seconds, count))
        kinds = rng.choice(len(shares), size=count, p=shares)
        handles = scenario.handle_time.sample(rng, count)
        patiences = rng.exponential(scenario.patience_seconds, count)
        for arrival, kind, handle, patience in zip(arrivals, kinds, handles, patiences, strict=True):
            contacts.append(
                _Contact(
                    len(contacts),
                    float(arrival),
                    interval,
                    scenario.contact_types[kind],
                    float(handle),
                    float(patience),
                )
            )
    return contacts


def _build_router(scenario: SimulationScenario) -> tuple[Router, list[tuple[float, int, str]]]:
    """Router with every agent offline, and the (time, kind, agent id) shift events."""
    router = Router(scenario.queues)
    shift_events: list[tuple[float, int, str]] = []
    for group in scenario.agent_groups:
        for number in range(group.count):
            agent_id = f"{group.name}-{number + 1}"
            router.add_agent(
                Agent(
                    id=agent_id,
                    teams=frozenset(group.teams),
                    languages=frozenset(group.languages),
                    skills=dict(group.skills),
                    capacity=dict(group.capacity),
                    presence=OFFLINE,
                )
            )
            shift_events.append((max(0.0, group.shift_start), _SHIFT_START, agent_id))
            shift_events.append((group.shift_end, _SHIFT_END, agent_id))
    return router, shift_events


def _run_replication(scenario: SimulationScenario, replication: int) -> _Tally:
    rng = np.random.default_rng((scenario.seed, replication))
    contacts = _draw_contacts(scenario, rng)
    router, shift_events = _build_router(scenario)
    tally = _Tally.empty(len(scenario.calls_per_interval))
    events: list[tuple[float, int, int, Any]] = []
    order = iter(range(1 << 62))
    for moment, kind, agent_id in shift_events:
        heapq.heappush(events, (moment, kind, next(order), agent_id))
    for contact in contacts:
        heapq.heappush(events, (contact.arrival, _ARRIVAL, next(order), contact))
    by_id = {contact.id: contact for contact in contacts}
    wakeup_at: float | None = None
    while events:
        now, kind, _, payload = heapq.heappop(events)
        if kind == _ARRIVAL:
            _arrive(router, payload, tally)
            heapq.heappush(events, (now + payload.patience_seconds, _ABANDON, next(order), payload))
        elif kind == _ABANDON:
            if router.cancel(payload.id):
                tally.abandoned[payload.interval] += 1
            continue  # an abandonment frees nobody: nothing new to dispatch
        elif kind == _COMPLETE:
            agent_id, channel = payload
            router.complete(agent_id, channel, now)
        elif kind == _SHIFT_START:
            router.set_presence(payload, AVAILABLE, now)
        elif kind == _SHIFT_END:
            router.set_presence(payload, OFFLINE, now)
            continue
        for assignment in router.dispatch(now):
            contact = by_id[int(assignment.item_id)]
            _answer(contact, now, scenario.target_seconds, tally)
            heapq.heappush(
                events,
                (
                    now + contact.handle_seconds,
                    _COMPLETE,
                    next(order),
                    (assignment.agent_id, assignment.channel),
                ),
            )
        wake = router.next_wakeup()
        if wake is not None and wake != wakeup_at and wake >= now:
            wakeup_at = wake  # overflow stages and sticky windows need a dispatch even if nothing happens
            heapq.heappush(events, (wake, _WAKEUP, next(order), None))
    return tally


def _arrive(router: Router, contact: _Contact, tally: _Tally) -> None:
    tally.offered[contact.interval] += 1
    kind = contact.kind
    router.enqueue(
        WorkItem(
            id=contact.id,
            queue_id=kind.queue,
            channel=kind.channel,
            language=kind.language,
            required_skills=dict(kind.required_skills),
            enqueued_at=contact.arrival,
        )
    )


def _answer(contact: _Contact, now: float, target_seconds: float, tally: _Tally) -> None:
    wait = now - contact.arrival
    tally.answered[contact.interval] += 1
    tally.wait_answered[contact.interval] += wait
    if wait <= target_seconds:
        tally.answered_within[contact.interval] += 1


# ------------------------------------------------------------------------------------------------ reporting


def simulate(scenario: SimulationScenario, replications: int | None = None) -> SimulationReport:
    """Run the scenario's replications and report per interval, beside Erlang A."""
    runs = scenario.replications if replications is None else replications
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise WfmInputError("replications", f"must be a whole number >= 1, got {runs!r}")
    tallies = [_run_replication(scenario, replication) for replication in range(runs)]
    total = _Tally(*(sum(getattr(t, name) for t in tallies) for name in _Tally.__dataclass_fields__))
    intervals = tuple(
        _interval_report(scenario, index, total, runs) for index in range(len(scenario.calls_per_interval))
    )
    weights = np.array([row.offered for row in intervals])
    analytic = np.array(
        [
            row.erlang_a_service_level if row.erlang_a_service_level is not None else np.nan
            for row in intervals
        ]
    )
    usable = ~np.isnan(analytic) & (weights > 0)
    return SimulationReport(
        scenario=scenario.name,
        replications=runs,
        seed=scenario.seed,
        target_seconds=scenario.target_seconds,
        intervals=intervals,
        service_level=_ratio(total.answered_within.sum(), total.offered.sum()),
        asa_seconds=_ratio(total.wait_answered.sum(), total.answered.sum()),
        abandon_rate=_ratio(total.abandoned.sum(), total.offered.sum()),
        erlang_a_service_level=(
            float(np.average(analytic[usable], weights=weights[usable])) if usable.any() else None
        ),
        replication_service_levels=tuple(_ratio(t.answered_within.sum(), t.offered.sum()) for t in tallies),
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 else None


def _interval_report(scenario: SimulationScenario, index: int, total: _Tally, runs: int) -> IntervalReport:
    midpoint = (index + 0.5) * scenario.interval_seconds
    servers = _servers_on_shift(scenario, midpoint)
    analytic = _erlang_a_for(scenario, scenario.calls_per_interval[index], servers)
    start = (
        datetime.combine(date(2000, 1, 1), scenario.day_start)
        + timedelta(seconds=index * scenario.interval_seconds)
    ).time()
    return IntervalReport(
        start=start,
        offered=float(total.offered[index] / runs),
        answered=float(total.answered[index] / runs),
        abandoned=float(total.abandoned[index] / runs),
        service_level=_ratio(total.answered_within[index], total.offered[index]),
        asa_seconds=_ratio(total.wait_answered[index], total.answered[index]),
        abandon_rate=_ratio(total.abandoned[index], total.offered[index]),
        servers_on_shift=servers,
        erlang_a_service_level=analytic.service_level if analytic else None,
        erlang_a_asa_seconds=analytic.asa_seconds if analytic else None,
        erlang_a_abandon_rate=analytic.prob_abandon if analytic else None,
    )


def _dominant_channel(scenario: SimulationScenario) -> str:
    shares: dict[str, float] = {}
    for kind in scenario.contact_types:
        shares[kind.channel] = shares.get(kind.channel, 0.0) + kind.share
    return max(shares, key=lambda channel: shares[channel])


def _servers_on_shift(scenario: SimulationScenario, moment: float) -> int:
    channel = _dominant_channel(scenario)
    return sum(
        group.count * group.capacity.get(channel, 0)
        for group in scenario.agent_groups
        if group.on_shift(moment)
    )


def _erlang_a_for(scenario: SimulationScenario, calls: float, servers: int) -> QueueMetrics | None:
    if calls <= 0 or servers < 1:
        return None
    workload = Workload(
        calls,
        scenario.interval_seconds,
        scenario.handle_time.mean_seconds,
        patience_seconds=scenario.patience_seconds,
    )
    return erlang_a_metrics(workload, servers, StaffingTarget(0.5, scenario.target_seconds))


# --------------------------------------------------------------------------------------- scenario building


def calls_from_forecast(forecast: Forecast, day: date, day_start: time, day_end: time) -> tuple[float, ...]:
    """Expected contacts per interval of ``day`` between ``day_start`` and ``day_end`` from a forecast."""
    return tuple(
        interval.expected
        for interval in forecast.intervals
        if interval.start.date() == day and day_start <= interval.start.time() < day_end
    )


def load_scenario(path: str | Path) -> SimulationScenario:
    """Read a scenario file (YAML, or JSON when the name ends in .json); see docs/wfm.md for the format."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise WfmInputError("scenario", f"cannot parse {path}: {error}") from None
    if not isinstance(data, Mapping):
        raise WfmInputError("scenario", f"{path} must contain a mapping at the top level")
    return scenario_from_mapping(data)


def scenario_from_mapping(data: Mapping[str, Any]) -> SimulationScenario:
    """Build and validate a scenario from its parsed file content."""
    interval_minutes = int(_number(data, "interval_minutes", 30))
    if interval_minutes not in (15, 30, 60):
        raise WfmInputError("interval_minutes", f"must be 15, 30 or 60, got {interval_minutes}")
    day_start = _clock(data.get("day_start", "08:00"), "day_start")
    handle = data.get("handle_time")
    if not isinstance(handle, Mapping):
        raise WfmInputError(
            "handle_time", "is required: {mean_seconds: ..., distribution: exponential|lognormal}"
        )
    handle_time = HandleTime(
        mean_seconds=_number(handle, "mean_seconds", None, prefix="handle_time."),
        distribution=str(handle.get("distribution", "exponential")),
        cv=_number(handle, "cv", 1.0, prefix="handle_time."),
    )
    calls = _calls(data)
    patience = _number(data, "patience_seconds", None)
    _positive("patience_seconds", patience)
    target = _number(data, "target_seconds", 20.0)
    if target < 0:
        raise WfmInputError("target_seconds", f"must be >= 0, got {target}")
    queues = tuple(_queue(entry, index) for index, entry in enumerate(_list(data, "queues")))
    queue_ids = {rules.id for rules in queues}
    contact_types = tuple(
        _contact_type(entry, index, queue_ids) for index, entry in enumerate(_list(data, "contacts"))
    )
    groups = tuple(_agent_group(entry, index, day_start) for index, entry in enumerate(_list(data, "agents")))
    return SimulationScenario(
        name=str(data.get("name", "scenario")),
        calls_per_interval=calls,
        interval_minutes=interval_minutes,
        handle_time=handle_time,
        patience_seconds=patience,
        target_seconds=target,
        queues=queues,
        contact_types=contact_types,
        agent_groups=groups,
        day_start=day_start,
        seed=int(_number(data, "seed", 0)),
        replications=int(_number(data, "replications", 1)),
    )


def _positive(field_name: str, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise WfmInputError(field_name, f"must be a number > 0, got {value!r}")


def _number(data: Mapping[str, Any], key: str, default: float | None, prefix: str = "") -> float:
    value = data.get(key, default)
    if value is None:
        raise WfmInputError(prefix + key, "is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise WfmInputError(prefix + key, f"must be a number, got {value!r}")
    return float(value)


def _list(data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(entry, Mapping) for entry in value):
        raise WfmInputError(key, "must be a non-empty list of mappings")
    return value


def _clock(value: Any, field_name: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise WfmInputError(field_name, f"must be a time like 08:30, got {value!r}") from None


def _calls(data: Mapping[str, Any]) -> tuple[float, ...]:
    value = data.get("calls_per_interval")
    if isinstance(value, int | float) and not isinstance(value, bool):
        count = int(_number(data, "intervals", None))
        values = [float(value)] * count
    elif isinstance(value, list) and value:
        values = value
    else:
        raise WfmInputError("calls_per_interval", "must be a list of numbers, or a number with `intervals`")
    for index, calls in enumerate(values):
        if (
            isinstance(calls, bool)
            or not isinstance(calls, int | float)
            or not math.isfinite(calls)
            or calls < 0
        ):
            raise WfmInputError(f"calls_per_interval[{index}]", f"must be a number >= 0, got {calls!r}")
    return tuple(float(calls) for calls in values)


def _queue(entry: Mapping[str, Any], index: int) -> QueueRules:
    if "id" not in entry or not entry.get("teams"):
        raise WfmInputError(f"queues[{index}]", "needs an id and a list of teams")
    return QueueRules(id=str(entry["id"]), team_ids=frozenset(str(team) for team in entry["teams"]))


def _contact_type(entry: Mapping[str, Any], index: int, queue_ids: set[Any]) -> ContactType:
    prefix = f"contacts[{index}]."
    queue = str(entry.get("queue", ""))
    if queue not in queue_ids:
        raise WfmInputError(prefix + "queue", f"unknown queue {queue!r}; declared: {sorted(queue_ids)}")
    channel = str(entry.get("channel", "voice"))
    if channel not in CHANNELS:
        raise WfmInputError(prefix + "channel", f"must be one of {CHANNELS}, got {channel!r}")
    share = _number(entry, "share", 1.0, prefix=prefix)
    _positive(prefix + "share", share)
    return ContactType(
        queue=queue,
        share=share,
        channel=channel,
        language=str(entry.get("language", "en")),
        required_skills=_levels(entry.get("required_skills", {}), prefix + "required_skills"),
    )


def _levels(value: Any, field_name: str) -> dict[str, int]:
    if not isinstance(value, Mapping) or not all(isinstance(level, int) for level in value.values()):
        raise WfmInputError(field_name, f"must map skill names to whole-number levels, got {value!r}")
    return {str(skill): int(level) for skill, level in value.items()}


def _agent_group(entry: Mapping[str, Any], index: int, day_start: time) -> AgentGroup:
    prefix = f"agents[{index}]."
    count = entry.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise WfmInputError(prefix + "count", f"must be a whole number >= 0, got {count!r}")
    shift = str(entry.get("shift", ""))
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in shift.split("-"))
    except ValueError:
        raise WfmInputError(prefix + "shift", f"must look like 08:00-16:00, got {shift!r}") from None
    if closes <= opens:
        raise WfmInputError(
            prefix + "shift", f"must end after it starts (overnight shifts: split them), got {shift!r}"
        )
    capacity = _levels(entry.get("capacity", {"voice": 1}), prefix + "capacity")
    return AgentGroup(
        name=str(entry.get("group", f"group{index + 1}")),
        count=count,
        teams=frozenset(str(team) for team in entry.get("teams", [])),
        languages=frozenset(str(language) for language in entry.get("languages", ["en"])),
        shift_start=_seconds_after(day_start, opens),
        shift_end=_seconds_after(day_start, closes),
        skills=_levels(entry.get("skills", {}), prefix + "skills"),
        capacity=capacity,
    )


def _seconds_after(day_start: time, moment: time) -> float:
    def seconds(clock: time) -> int:
        return clock.hour * 3600 + clock.minute * 60 + clock.second

    return float(seconds(moment) - seconds(day_start))
