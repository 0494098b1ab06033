"""Pure routing engine: rules, router behaviour and invariants on random event streams (no Django, no DB)."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.routing.engine import (
    AVAILABLE,
    AWAY,
    OFFLINE,
    PRESENCES,
    WRAP_UP,
    Agent,
    BusinessHours,
    OverflowStage,
    QueueRules,
    Router,
    WorkItem,
    can_take,
    choose_agent,
    estimate_wait,
    has_room,
    is_eligible,
    is_open,
)

TAX_QUEUE = QueueRules("tax", frozenset({"tax-team"}))


def make_agent(agent_id: str, *, teams=("tax-team",), languages=("fr",), skills=None, capacity=None,
               presence=AVAILABLE, load=None, idle_since=0.0) -> Agent:
    return Agent(agent_id, frozenset(teams), frozenset(languages), dict(skills or {}),
                 dict(capacity if capacity is not None else {"chat": 1}), presence, dict(load or {}), idle_since)


def make_item(item_id, *, queue="tax", channel="chat", language="fr", required=None, preferred=None,
              priority=5, at=0.0, preferred_agent=None) -> WorkItem:
    return WorkItem(item_id, queue, channel, language, dict(required or {}), dict(preferred or {}), priority, at,
                    preferred_agent)


def assigned(assignments) -> dict:
    return {assignment.item_id: assignment.agent_id for assignment in assignments}


def test_engine_does_not_import_django() -> None:
    # A fresh interpreter: in this one pytest-django has already imported Django.
    code = "import sys, guichet.routing.engine; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ----------------------------------------------------------------------------------------- eligibility


def test_required_skill_level_must_be_met() -> None:
    item = make_item("i", required={"tax": 3})
    assert is_eligible(make_agent("senior", skills={"tax": 3}), item, TAX_QUEUE, now=0)
    assert not is_eligible(make_agent("junior", skills={"tax": 2}), item, TAX_QUEUE, now=0)
    assert not is_eligible(make_agent("none"), item, TAX_QUEUE, now=0)


def test_language_and_team_must_match() -> None:
    item = make_item("i", language="en")
    assert is_eligible(make_agent("bilingual", languages=("fr", "en")), item, TAX_QUEUE, now=0)
    assert not is_eligible(make_agent("francophone", languages=("fr",)), item, TAX_QUEUE, now=0)
    assert not is_eligible(make_agent("other-team", teams=("health-team",), languages=("en",)), item, TAX_QUEUE,
                           now=0)


def test_router_only_assigns_eligible_agents() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("junior", skills={"tax": 1}, idle_since=0))
    router.add_agent(make_agent("senior", skills={"tax": 4}, idle_since=50))
    router.enqueue(make_item("hard", required={"tax": 3}))
    assert assigned(router.dispatch(100)) == {"hard": "senior"}


def test_preferred_skills_rank_before_idle_time() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("idle-longest", skills={"tax": 1}, idle_since=0))
    router.add_agent(make_agent("speaks-benefits", skills={"tax": 1, "benefits": 2}, idle_since=50))
    router.enqueue(make_item("i", required={"tax": 1}, preferred={"benefits": 2}))
    assert assigned(router.dispatch(100)) == {"i": "speaks-benefits"}


def test_preferred_skills_not_met_by_anyone_fall_back_to_longest_idle() -> None:
    agents = [make_agent("recent", idle_since=90), make_agent("longest", idle_since=10)]
    chosen = choose_agent(make_item("i", preferred={"benefits": 1}), agents, TAX_QUEUE, now=100)
    assert chosen is not None and chosen.id == "longest"


# -------------------------------------------------------------------------------------------- capacity


def test_chats_count_against_their_own_limit() -> None:
    agent = make_agent("a", capacity={"chat": 3, "email": 2}, load={"chat": 2, "email": 2})
    assert has_room(agent, "chat")
    assert not has_room(agent, "email")
    agent.load["chat"] = 3
    assert not has_room(agent, "chat")


def test_a_call_blocks_everything_and_needs_a_free_agent() -> None:
    on_call = make_agent("a", capacity={"chat": 3, "voice": 1}, load={"voice": 1})
    assert not has_room(on_call, "chat")
    chatting = make_agent("b", capacity={"chat": 3, "voice": 1}, load={"chat": 1})
    assert not has_room(chatting, "voice")
    assert has_room(chatting, "chat")
    free = make_agent("c", capacity={"chat": 3, "voice": 1})
    assert has_room(free, "voice")


def test_callback_uses_voice_capacity_unless_set() -> None:
    assert has_room(make_agent("a", capacity={"voice": 1}), "callback")
    assert not has_room(make_agent("b", capacity={"voice": 1, "callback": 0}), "callback")
    assert not has_room(make_agent("c", capacity={"chat": 2}), "callback")


def test_router_fills_chat_capacity_then_stops() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", capacity={"chat": 3, "voice": 1}))
    for number in range(5):
        router.enqueue(make_item(number, at=number))
    result = router.dispatch(10)
    assert [assignment.item_id for assignment in result] == [0, 1, 2]
    assert router.agent("a").load == {"chat": 3}
    assert router.waiting_count("tax") == 2


def test_router_gives_no_call_to_a_chatting_agent_and_no_chat_during_a_call() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", capacity={"chat": 3, "voice": 1}))
    router.enqueue(make_item("call", channel="voice", at=0))
    router.dispatch(1)
    router.enqueue(make_item("chat", channel="chat", at=2))
    assert router.dispatch(3) == []
    router.complete("a", "voice", now=4)
    assert assigned(router.dispatch(5)) == {"chat": "a"}
    router.enqueue(make_item("call-2", channel="voice", at=6))
    assert router.dispatch(7) == []


def test_complete_without_work_is_refused() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a"))
    with pytest.raises(ValueError):
        router.complete("a", "chat", now=1)


# ----------------------------------------------------------------------------------- order and fairness


def test_lower_priority_number_is_served_first() -> None:
    router = Router([TAX_QUEUE])
    router.enqueue(make_item("normal", priority=5, at=0))
    router.enqueue(make_item("urgent", priority=0, at=50))
    router.enqueue(make_item("vulnerable", priority=2, at=10))
    router.add_agent(make_agent("a"))
    order = []
    for now in (100, 200, 300):
        order += [assignment.item_id for assignment in router.dispatch(now)]
        router.complete("a", "chat", now)
    assert order == ["urgent", "vulnerable", "normal"]


def test_longest_waiting_first_within_a_priority_class() -> None:
    router = Router([TAX_QUEUE])
    for item_id, at in (("third", 30), ("first", 10), ("second", 20)):
        router.enqueue(make_item(item_id, at=at))
    router.add_agent(make_agent("a", capacity={"chat": 3}))
    assert [assignment.item_id for assignment in router.dispatch(100)] == ["first", "second", "third"]


def test_item_goes_to_longest_idle_agent() -> None:
    router = Router([TAX_QUEUE])
    for agent_id, idle in (("b", 30), ("a", 10), ("c", 20)):
        router.add_agent(make_agent(agent_id, idle_since=idle))
    router.dispatch(40)
    router.enqueue(make_item("i", at=50))
    assert assigned(router.dispatch(50)) == {"i": "a"}


def test_fair_share_spreads_chats_across_multi_slot_agents() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", capacity={"chat": 3}, idle_since=0))
    router.add_agent(make_agent("b", capacity={"chat": 3}, idle_since=5))
    router.dispatch(10)
    result = []
    for number in range(4):
        router.enqueue(make_item(number, at=20 + number))
        result += [assignment.agent_id for assignment in router.dispatch(20 + number)]
    assert result == ["a", "b", "a", "b"]


def test_freed_agent_takes_oldest_waiting_item_it_qualifies_for() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", skills={"tax": 1}, load={"chat": 1}))
    router.enqueue(make_item("needs-expert", required={"tax": 5}, at=0))
    router.enqueue(make_item("simple", required={"tax": 1}, at=10))
    assert router.dispatch(20) == []
    router.complete("a", "chat", now=30)
    assert assigned(router.dispatch(30)) == {"simple": "a"}
    assert router.is_waiting("needs-expert")


# --------------------------------------------------------------------------------------------- overflow


OVERFLOW_QUEUE = QueueRules("tax", frozenset({"tax-team"}), (
    OverflowStage(after_s=60, extra_team_ids=frozenset({"general-team"})),
    OverflowStage(after_s=120, level_reduction=1),
    OverflowStage(after_s=300, relax_skills=True),
))


def test_overflow_team_only_after_threshold() -> None:
    router = Router([OVERFLOW_QUEUE])
    router.add_agent(make_agent("helper", teams=("general-team",)))
    router.enqueue(make_item("i", at=0))
    assert router.dispatch(59) == []
    assert router.next_wakeup() == 60
    assert assigned(router.dispatch(60)) == {"i": "helper"}


def test_skill_levels_relax_in_stages() -> None:
    item = make_item("i", required={"tax": 3}, at=0)
    level_two = make_agent("two", skills={"tax": 2})
    untrained = make_agent("zero")
    assert not is_eligible(level_two, item, OVERFLOW_QUEUE, now=119)
    assert is_eligible(level_two, item, OVERFLOW_QUEUE, now=120)
    assert not is_eligible(untrained, item, OVERFLOW_QUEUE, now=299)
    assert is_eligible(untrained, item, OVERFLOW_QUEUE, now=300)


def test_base_team_keeps_priority_over_overflow_rules_for_younger_items() -> None:
    router = Router([OVERFLOW_QUEUE])
    router.add_agent(make_agent("helper", teams=("general-team",), load={"chat": 1}))
    router.enqueue(make_item("young", priority=0, at=100))
    router.enqueue(make_item("old", priority=5, at=0))
    router.dispatch(110)
    router.complete("helper", "chat", now=110)
    # The urgent item is too young to overflow; the helper takes the older one it already qualifies for.
    assert assigned(router.dispatch(110)) == {"old": "helper"}


# ---------------------------------------------------------------------------------------------- sticky


STICKY_QUEUE = QueueRules("tax", frozenset({"tax-team"}), sticky_window_s=120)


def test_returning_citizen_goes_to_previous_agent_when_free() -> None:
    router = Router([STICKY_QUEUE])
    router.add_agent(make_agent("stranger", idle_since=0))
    router.add_agent(make_agent("previous", idle_since=50))
    router.enqueue(make_item("i", at=100, preferred_agent="previous"))
    assert assigned(router.dispatch(100)) == {"i": "previous"}


def test_returning_citizen_waits_for_busy_previous_agent_inside_window() -> None:
    router = Router([STICKY_QUEUE])
    router.add_agent(make_agent("stranger", idle_since=0))
    router.add_agent(make_agent("previous", load={"chat": 1}))
    router.enqueue(make_item("i", at=100, preferred_agent="previous"))
    assert router.dispatch(100) == []
    router.complete("previous", "chat", now=150)
    assert assigned(router.dispatch(150)) == {"i": "previous"}


def test_normal_routing_after_sticky_window() -> None:
    router = Router([STICKY_QUEUE])
    router.add_agent(make_agent("stranger", idle_since=0))
    router.add_agent(make_agent("previous", load={"chat": 1}))
    router.enqueue(make_item("i", at=100, preferred_agent="previous"))
    assert router.dispatch(219) == []
    assert assigned(router.dispatch(220)) == {"i": "stranger"}


def test_previous_agent_offline_means_normal_routing_at_once() -> None:
    router = Router([STICKY_QUEUE])
    router.add_agent(make_agent("stranger"))
    router.add_agent(make_agent("previous", presence=OFFLINE))
    router.enqueue(make_item("i", at=100, preferred_agent="previous"))
    assert assigned(router.dispatch(100)) == {"i": "stranger"}


def test_previous_agent_logging_off_releases_the_citizen() -> None:
    router = Router([STICKY_QUEUE])
    router.add_agent(make_agent("stranger"))
    router.add_agent(make_agent("previous", load={"chat": 1}))
    router.add_agent(make_agent("stranger-2", load={"chat": 1}))
    router.enqueue(make_item("i", at=100, preferred_agent="previous"))
    router.enqueue(make_item("j", at=101))
    assert assigned(router.dispatch(101)) == {"j": "stranger"}
    router.complete("stranger-2", "chat", now=110)
    assert router.dispatch(110) == []
    router.set_presence("previous", OFFLINE, now=120)
    assert assigned(router.dispatch(120)) == {"i": "stranger-2"}


def test_removing_previous_agent_releases_the_citizen() -> None:
    router = Router([STICKY_QUEUE])
    router.add_agent(make_agent("stranger"))
    router.add_agent(make_agent("previous", load={"chat": 1}))
    router.enqueue(make_item("i", at=100, preferred_agent="previous"))
    assert router.dispatch(100) == []
    router.remove_agent("previous")
    assert assigned(router.dispatch(101)) == {"i": "stranger"}


# -------------------------------------------------------------------------------------------- presence


def test_only_available_agents_get_work() -> None:
    router = Router([TAX_QUEUE])
    for presence in (AWAY, OFFLINE, WRAP_UP):
        router.add_agent(make_agent(presence, presence=presence))
    router.enqueue(make_item("i"))
    assert router.dispatch(10) == []


def test_agent_coming_back_gets_waiting_work() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", capacity={"chat": 2}, presence=AWAY))
    router.enqueue(make_item("i", at=0))
    router.enqueue(make_item("j", at=1))
    assert router.dispatch(5) == []
    router.set_presence("a", AVAILABLE, now=10)
    assert assigned(router.dispatch(10)) == {"i": "a", "j": "a"}


def test_going_away_stops_new_work_but_keeps_load() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", capacity={"chat": 2}))
    router.enqueue(make_item("i", at=0))
    router.dispatch(1)
    router.set_presence("a", AWAY, now=2)
    router.enqueue(make_item("j", at=3))
    assert router.dispatch(4) == []
    assert router.agent("a").load == {"chat": 1}


def test_unknown_presence_is_refused() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a"))
    with pytest.raises(ValueError):
        router.set_presence("a", "on-holiday", now=0)


def test_moving_an_agent_to_another_team_routes_its_waiting_items() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("a", teams=("health-team",)))
    router.enqueue(make_item("i"))
    assert router.dispatch(1) == []
    router.update_agent(make_agent("a", teams=("health-team", "tax-team")))
    assert assigned(router.dispatch(2)) == {"i": "a"}


def test_changing_queue_rules_reexamines_waiting_items() -> None:
    router = Router([TAX_QUEUE])
    router.add_agent(make_agent("helper", teams=("general-team",)))
    router.enqueue(make_item("i", at=0))
    assert router.dispatch(100) == []
    router.set_queue(OVERFLOW_QUEUE)  # now the general team helps after 60 s: this item qualifies already
    assert assigned(router.dispatch(100)) == {"i": "helper"}


# ----------------------------------------------------------------------------------- cancel and position


def test_cancelled_item_is_never_assigned() -> None:
    router = Router([TAX_QUEUE])
    router.enqueue(make_item("gone", at=0))
    router.enqueue(make_item("stays", at=1))
    assert router.cancel("gone")
    assert not router.cancel("gone")
    router.add_agent(make_agent("a"))
    assert assigned(router.dispatch(5)) == {"stays": "a"}
    assert router.waiting_count("tax") == 0


def test_position_counts_items_ahead_in_the_same_line() -> None:
    router = Router([TAX_QUEUE])
    router.enqueue(make_item("a", at=0))
    router.enqueue(make_item("b", at=10))
    router.enqueue(make_item("urgent", priority=0, at=20))
    router.enqueue(make_item("english", language="en", at=5))
    router.enqueue(make_item("email", channel="email", at=5))
    assert [router.position(item_id) for item_id in ("urgent", "a", "b")] == [1, 2, 3]
    assert router.position("english") == 1
    assert router.position("email") == 1
    router.cancel("a")
    assert router.position("b") == 2
    assert router.waiting_count("tax") == 4


# ---------------------------------------------------------------------------------------- wait estimate


def test_estimate_wait_formula() -> None:
    # Third in line, 2 agents, 5-minute calls, nobody abandons: 3 calls to drain at 2 per 5 minutes.
    assert estimate_wait(3, agents_staffed=2, mean_handle_s=300, abandon_rate=0, concurrency=1) == 450
    # Chats: three at a time per agent divide the wait by three.
    assert estimate_wait(3, 2, 300, 0, concurrency=3) == 150
    # Half of those ahead abandon: only one of the two ahead is served before this one.
    assert estimate_wait(3, 2, 300, abandon_rate=0.5) == 300


def test_estimate_wait_edge_cases() -> None:
    assert math.isinf(estimate_wait(1, agents_staffed=0, mean_handle_s=300))
    assert estimate_wait(0, agents_staffed=2, mean_handle_s=300) == 0


# -------------------------------------------------------------------------------------- business hours


WEEKDAYS_9_TO_5 = BusinessHours.from_config(
    "America/Toronto", {str(day): [["09:00", "17:00"]] for day in range(1, 6)}, holidays=["2026-12-25"])


def toronto(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("America/Toronto"))


def test_open_during_weekday_hours_in_the_queue_time_zone() -> None:
    assert is_open(WEEKDAYS_9_TO_5, toronto(2026, 12, 1, 9, 0))
    assert not is_open(WEEKDAYS_9_TO_5, toronto(2026, 12, 1, 17, 0))
    assert not is_open(WEEKDAYS_9_TO_5, toronto(2026, 12, 1, 8, 59))
    # 15:00 UTC on a winter Tuesday is 10:00 in Toronto.
    assert is_open(WEEKDAYS_9_TO_5, datetime(2026, 12, 1, 15, 0, tzinfo=ZoneInfo("UTC")))
    assert not is_open(WEEKDAYS_9_TO_5, datetime(2026, 12, 1, 13, 0, tzinfo=ZoneInfo("UTC")))


def test_closed_on_weekends_and_holidays() -> None:
    assert not is_open(WEEKDAYS_9_TO_5, toronto(2026, 12, 5, 12, 0))  # Saturday
    assert not is_open(WEEKDAYS_9_TO_5, toronto(2026, 12, 25, 12, 0))  # Friday, Christmas


def test_overnight_interval_runs_past_midnight() -> None:
    night_line = BusinessHours("America/Toronto", {5: ((time(22, 0), time(6, 0)),)})
    assert is_open(night_line, toronto(2026, 12, 4, 23, 30))  # Friday night
    assert is_open(night_line, toronto(2026, 12, 5, 5, 59))  # Saturday morning, same shift
    assert not is_open(night_line, toronto(2026, 12, 5, 6, 0))
    assert not is_open(night_line, toronto(2026, 12, 4, 5, 0))  # Friday morning: Thursday has no shift
    holiday = BusinessHours("America/Toronto", {5: ((time(22, 0), time(6, 0)),)}, frozenset({date(2026, 12, 4)}))
    assert not is_open(holiday, toronto(2026, 12, 5, 1, 0))


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        is_open(WEEKDAYS_9_TO_5, datetime(2026, 12, 1, 10, 0))


# ------------------------------------------------------------------------------ invariants (property test)


TEAMS = ("t1", "t2")
QUEUES = (
    QueueRules("q1", frozenset({"t1"}), (OverflowStage(30, frozenset({"t2"})), OverflowStage(60, level_reduction=1))),
    QueueRules("q2", frozenset({"t2"}), (OverflowStage(45, relax_skills=True),), sticky_window_s=20),
)
CHANNEL_NAMES = ("chat", "email", "sms", "voice", "callback")

agent_skills_strategy = st.dictionaries(st.sampled_from(("tax", "benefits", "health")), st.integers(1, 3),
                                        min_size=1, max_size=3)
required_strategy = st.dictionaries(st.sampled_from(("tax", "benefits", "health")), st.integers(1, 3), max_size=1)
language_strategy = st.sampled_from(("fr", "fr", "fr", "en"))

agent_strategy = st.builds(
    lambda teams, languages, skills, capacity: (frozenset(teams), frozenset(languages), skills, capacity),
    st.sets(st.sampled_from(TEAMS), min_size=1),
    st.sets(language_strategy, min_size=1),
    agent_skills_strategy,
    st.dictionaries(st.sampled_from(("chat", "email", "sms", "voice")), st.integers(0, 3), min_size=1, max_size=4),
)

item_strategy = st.builds(
    lambda queue, channel, language, required, preferred, priority, preferred_agent: dict(
        queue=queue, channel=channel, language=language, required=required, preferred=preferred,
        priority=priority, preferred_agent=preferred_agent),
    st.sampled_from(("q1", "q2")),
    st.sampled_from(CHANNEL_NAMES),
    language_strategy,
    required_strategy,
    required_strategy,
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(0, 5)),
)

event_strategy = st.one_of(
    st.tuples(st.just("agent"), agent_strategy),
    st.tuples(st.just("item"), item_strategy),
    st.tuples(st.just("item"), item_strategy),
    st.tuples(st.just("complete"), st.integers(0, 1000)),
    st.tuples(st.just("presence"), st.integers(0, 5), st.sampled_from(PRESENCES)),
    st.tuples(st.just("cancel"), st.integers(0, 1000)),
    st.tuples(st.just("update"), st.integers(0, 5), agent_strategy),
    st.tuples(st.just("tick"), st.floats(0.5, 40, allow_nan=False)),
    st.tuples(st.just("tick"), st.floats(0.5, 40, allow_nan=False)),
)


class Replay:
    """Drives a Router with a random stream and checks the invariants after every dispatch."""

    def __init__(self) -> None:
        self.router = Router(QUEUES)
        self.rules = {rules.id: rules for rules in QUEUES}
        self.now = 0.0
        self.agent_ids: list[str] = []
        self.item_count = 0
        self.active: list[tuple[str, str]] = []  # (agent id, channel) of work in progress
        self.ever_assigned: set[int] = set()
        self.cancelled: set[int] = set()
        self.assigned_log: list[tuple[int, str]] = []

    def apply(self, event: tuple) -> None:
        kind = event[0]
        if kind == "agent":
            self.add_agent(*event[1])
        elif kind == "update" and self.agent_ids:
            self.update_agent(self.agent_ids[event[1] % len(self.agent_ids)], *event[2])
        elif kind == "item":
            self.enqueue(event[1])
        elif kind == "complete" and self.active:
            agent_id, channel = self.active.pop(event[1] % len(self.active))
            self.router.complete(agent_id, channel, self.now)
        elif kind == "presence" and self.agent_ids:
            self.router.set_presence(self.agent_ids[event[1] % len(self.agent_ids)], event[2], self.now)
        elif kind == "cancel" and self.item_count:
            item_id = event[1] % self.item_count
            if self.router.cancel(item_id):
                self.cancelled.add(item_id)
        elif kind == "tick":
            self.now += event[1]
        self.dispatch_and_check()

    def add_agent(self, teams, languages, skills, capacity) -> None:
        agent_id = f"a{len(self.agent_ids)}"
        self.agent_ids.append(agent_id)
        self.router.add_agent(Agent(agent_id, teams, languages, dict(skills), dict(capacity), AVAILABLE, {},
                                    self.now))

    def update_agent(self, agent_id, teams, languages, skills, capacity) -> None:
        current = self.router.agent(agent_id)
        # Keep capacity at least the work in progress: a supervisor cannot take work away from an agent.
        merged = {channel: max(limit, current.load.get(channel, 0)) for channel, limit in capacity.items()}
        for channel, count in current.load.items():
            merged.setdefault(channel, count)
        self.router.update_agent(Agent(agent_id, teams, languages, dict(skills), merged, current.presence,
                                       dict(current.load), current.idle_since))

    def enqueue(self, spec: dict) -> None:
        item_id = self.item_count
        self.item_count += 1
        preferred = spec["preferred_agent"]
        preferred_agent = self.agent_ids[preferred % len(self.agent_ids)] if preferred is not None and self.agent_ids \
            else None
        self.router.enqueue(make_item(item_id, queue=spec["queue"], channel=spec["channel"],
                                      language=spec["language"], required=spec["required"],
                                      preferred=spec["preferred"], priority=spec["priority"], at=self.now,
                                      preferred_agent=preferred_agent))

    def dispatch_and_check(self) -> None:
        for assignment in self.router.dispatch(self.now):
            assert assignment.item_id not in self.ever_assigned, "item assigned twice"
            assert assignment.item_id not in self.cancelled, "cancelled item assigned"
            assert not self.router.is_waiting(assignment.item_id)
            self.ever_assigned.add(assignment.item_id)
            self.assigned_log.append((assignment.item_id, assignment.agent_id))
            self.active.append((assignment.agent_id, assignment.channel))
        agents = list(self.router.agents())
        for agent in agents:
            self.check_capacity(agent)
        for item in self.router.waiting_items():
            chosen = choose_agent(item, agents, self.rules[item.queue_id], self.now)
            assert chosen is None, f"{item.id} waits while {chosen.id} could take it"

    def check_capacity(self, agent: Agent) -> None:
        in_progress: dict[str, int] = {}
        for agent_id, channel in self.active:
            if agent_id == agent.id:
                in_progress[channel] = in_progress.get(channel, 0) + 1
        assert {channel: count for channel, count in agent.load.items() if count} == in_progress
        calls = in_progress.get("voice", 0) + in_progress.get("callback", 0)
        assert calls <= 1
        assert calls == 0 or sum(in_progress.values()) == calls, "a call shares the agent with other work"
        for channel, count in in_progress.items():
            limit = agent.capacity.get(channel, agent.capacity.get("voice", 0) if channel == "callback" else 0)
            assert count <= limit, f"{agent.id} over capacity on {channel}"


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event_strategy, min_size=1, max_size=60))
def test_invariants_hold_on_random_event_streams(events) -> None:
    replay = Replay()
    for event in events:
        replay.apply(event)


def test_position_matches_rank_order_on_a_busy_line() -> None:
    router = Router([TAX_QUEUE])
    items = [make_item(number, priority=number % 3, at=float(number * 7 % 11)) for number in range(30)]
    for item in items:
        router.enqueue(item)
    ranked = sorted(items, key=lambda item: (item.priority, item.enqueued_at, item.id))
    assert [router.position(item.id) for item in ranked] == list(range(1, 31))


class OrderReplay(Replay):
    """A stream without stickiness or presence changes, where each event can be predicted by brute force:
    a lone arrival goes to `choose_agent`'s pick, a freed agent takes the best items it qualifies for."""

    def apply(self, event: tuple) -> None:
        kind = event[0]
        if kind == "agent":
            self.add_agent(*event[1])
            self.dispatch_and_check()
        elif kind == "item":
            self.enqueue({**event[1], "preferred_agent": None})
            item = self.router_item(self.item_count - 1)
            snapshot = copy.deepcopy(list(self.router.agents()))
            chosen = choose_agent(item, snapshot, self.rules[item.queue_id], self.now)
            expected = [] if chosen is None else [(item.id, chosen.id)]
            assert self.dispatch_and_check() == expected
        elif kind == "complete" and self.active:
            agent_id, channel = self.active.pop(event[1] % len(self.active))
            self.router.complete(agent_id, channel, self.now)
            expected = self.brute_force_fill(copy.deepcopy(self.router.agent(agent_id)))
            assert self.dispatch_and_check() == expected
        elif kind == "tick":
            self.now += event[1]
            self.dispatch_and_check()

    def router_item(self, item_id: int) -> WorkItem:
        return next(item for item in self.router.waiting_items() if item.id == item_id)

    def brute_force_fill(self, agent: Agent) -> list[tuple[int, str]]:
        waiting = sorted(self.router.waiting_items(), key=lambda item: (item.priority, item.enqueued_at, item.id))
        taken = []
        for item in waiting:
            if can_take(agent, item, self.rules[item.queue_id], self.now):
                taken.append((item.id, agent.id))
                agent.load[item.channel] = agent.load.get(item.channel, 0) + 1
        return taken

    def dispatch_and_check(self) -> list[tuple[int, str]]:
        before = set(self.ever_assigned)
        super().dispatch_and_check()
        return [(item_id, agent_id) for item_id, agent_id in self.assigned_log if item_id not in before]


order_event_strategy = st.one_of(
    st.tuples(st.just("agent"), agent_strategy),
    st.tuples(st.just("item"), item_strategy),
    st.tuples(st.just("item"), item_strategy),
    st.tuples(st.just("complete"), st.integers(0, 1000)),
    st.tuples(st.just("tick"), st.floats(0.5, 40, allow_nan=False)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(order_event_strategy, min_size=1, max_size=60))
def test_router_choices_match_brute_force(events) -> None:
    replay = OrderReplay()
    for event in events:
        replay.apply(event)
