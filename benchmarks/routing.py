"""Routing benchmarks. Prints `name: value` lines.

- routing.decisions_per_s / routing.decision_p99_us: the pure router with 5,000 agents (20 skills, 2 languages)
  and ~100,000 waiting items under a stream of arrivals, completions, presence changes and cancels. One
  decision = one event applied plus the `dispatch(now)` that follows it (which may assign 0..n items).
  Both are measured in CPU time of the benchmark thread (the machine is shared); wall-clock p99 is printed too.
- routing.ewt_mae_s: a simulated day with surges; each waiting item's `estimate_wait` at arrival is compared
  with the wait it really had (items served at once are left out: their estimate is trivially right).
- db_bench(): the database layer's figures (filled in by the persistence-layer engineer).

Run: .venv/bin/python benchmarks/routing.py [--events N] [--seed S]
"""

from __future__ import annotations

import argparse
import heapq
import random
import time
from collections.abc import Callable

from guichet.routing.engine import (
    AVAILABLE,
    AWAY,
    WRAP_UP,
    Agent,
    OverflowStage,
    QueueRules,
    Router,
    WorkItem,
    estimate_wait,
)

SKILLS = [f"skill-{number:02d}" for number in range(20)]
LANGUAGES = ("fr", "en")
TEAM_COUNT = 10
CHANNEL_WEIGHTS = {"chat": 40, "voice": 25, "email": 20, "sms": 10, "callback": 5}
PRIORITY_WEIGHTS = {0: 3, 1: 5, 2: 10, 5: 82}


# ------------------------------------------------------------------------------------- pure core, at scale


def scale_queues() -> list[QueueRules]:
    # Queue n belongs to team n; after 2 minutes the next team may help, after 5 minutes levels relax by one.
    return [
        QueueRules(f"queue-{number}", frozenset({f"team-{number}"}), (
            OverflowStage(120, frozenset({f"team-{(number + 1) % TEAM_COUNT}"})),
            OverflowStage(300, level_reduction=1),
        ), sticky_window_s=60)
        for number in range(TEAM_COUNT)
    ]


def random_capacity(rng: random.Random) -> dict[str, int]:
    profile = rng.random()
    if profile < 0.5:
        return {"chat": 3, "email": 2, "voice": 1}
    if profile < 0.8:
        return {"voice": 1}
    return {"email": 4, "sms": 3}


def random_agent(rng: random.Random, number: int) -> Agent:
    teams = frozenset(f"team-{team}" for team in rng.sample(range(TEAM_COUNT), rng.choice((1, 1, 2))))
    languages = rng.choice((("fr",), ("fr",), ("en",), ("fr", "en")))
    skills = {skill: rng.randint(1, 5) for skill in rng.sample(SKILLS, 6)}
    return Agent(f"agent-{number}", teams, frozenset(languages), skills, random_capacity(rng), AVAILABLE, {},
                 rng.uniform(-600, 0))


def weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class ItemFactory:
    def __init__(self, rng: random.Random, agent_count: int) -> None:
        self.rng = rng
        self.agent_count = agent_count
        self.count = 0

    def make(self, now: float) -> WorkItem:
        rng = self.rng
        self.count += 1
        preferred_agent = f"agent-{rng.randrange(self.agent_count)}" if rng.random() < 0.1 else None
        preferred = {rng.choice(SKILLS): rng.randint(1, 4)} if rng.random() < 0.3 else {}
        return WorkItem(
            id=self.count,
            queue_id=f"queue-{rng.randrange(TEAM_COUNT)}",
            channel=str(weighted(rng, CHANNEL_WEIGHTS)),
            language="fr" if rng.random() < 0.6 else "en",
            required_skills={rng.choice(SKILLS): rng.randint(1, 3)},
            preferred_skills=preferred,
            priority=int(weighted(rng, PRIORITY_WEIGHTS)),  # type: ignore[call-overload]
            enqueued_at=now,
            preferred_agent_id=preferred_agent,
        )


class ActiveWork:
    """Work in progress as (agent id, channel), with O(1) removal of a random one."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def add(self, agent_id: str, channel: str) -> None:
        self.pairs.append((agent_id, channel))

    def pop_random(self, rng: random.Random) -> tuple[str, str]:
        index = rng.randrange(len(self.pairs))
        self.pairs[index], self.pairs[-1] = self.pairs[-1], self.pairs[index]
        return self.pairs.pop()


def build_loaded_router(rng: random.Random, agent_count: int, waiting_target: int
                        ) -> tuple[Router, ItemFactory, ActiveWork, list[int]]:
    router = Router(scale_queues())
    for number in range(agent_count):
        router.add_agent(random_agent(rng, number))
    factory = ItemFactory(rng, agent_count)
    active = ActiveWork()
    recent_ids: list[int] = []
    waiting = 0
    while waiting < waiting_target:
        # The backlog built up over the last 15 minutes, so its overflow stages fall due at different times.
        batch = [factory.make(rng.uniform(-900.0, 0.0)) for _ in range(10_000)]
        for item in batch:
            router.enqueue(item)
        for assignment in router.dispatch(0.0):
            active.add(str(assignment.agent_id), assignment.channel)
        recent_ids.extend(item.id for item in batch)  # type: ignore[misc]
        waiting = sum(router.waiting_count(rules.id) for rules in scale_queues())
    return router, factory, active, recent_ids


def percentile(samples: list[int], fraction: float) -> int:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def pure_bench(events: int, seed: int, agent_count: int = 5_000, waiting_target: int = 100_000
               ) -> dict[str, float]:
    rng = random.Random(seed)
    router, factory, active, recent_ids = build_loaded_router(rng, agent_count, waiting_target)
    agent_ids = [f"agent-{number}" for number in range(agent_count)]
    now = 0.0
    cpu_ns: list[int] = []
    wall_ns: list[int] = []
    assignments_made = 0
    # CPU time of this thread is what the router costs; on a shared machine wall time also counts the time other
    # processes held the core, so it is reported separately.
    cpu_clock, wall_clock = time.thread_time_ns, time.perf_counter_ns

    def arrival() -> None:
        item = factory.make(now)
        recent_ids.append(item.id)  # type: ignore[arg-type]
        router.enqueue(item)

    def completion() -> None:
        if active.pairs:
            agent_id, channel = active.pop_random(rng)
            router.complete(agent_id, channel, now)

    def presence_change() -> None:
        agent_id = rng.choice(agent_ids)
        current = router.agent(agent_id).presence
        router.set_presence(agent_id, rng.choice((AWAY, WRAP_UP)) if current == AVAILABLE else AVAILABLE, now)

    def cancel() -> None:
        router.cancel(recent_ids[rng.randrange(len(recent_ids))])

    actions: list[Callable[[], None]] = [arrival] * 45 + [completion] * 45 + [presence_change] * 8 + [cancel] * 2
    for _ in range(events):
        now += 0.05  # 20 events per simulated second: overflow stages and sticky windows keep expiring
        action = rng.choice(actions)
        wall_started, cpu_started = wall_clock(), cpu_clock()
        action()
        result = router.dispatch(now)
        cpu_ns.append(cpu_clock() - cpu_started)
        wall_ns.append(wall_clock() - wall_started)
        assignments_made += len(result)
        for assignment in result:
            active.add(str(assignment.agent_id), assignment.channel)
    total_cpu_s = sum(cpu_ns) / 1e9
    waiting_end = sum(router.waiting_count(rules.id) for rules in scale_queues())
    return {
        "routing.decisions_per_s": round(events / total_cpu_s),
        "routing.decision_p99_us": round(percentile(cpu_ns, 0.99) / 1000, 1),
        "routing.decision_p50_us": round(percentile(cpu_ns, 0.50) / 1000, 1),
        "routing.decision_p99_wall_us": round(percentile(wall_ns, 0.99) / 1000, 1),
        "routing.assignments_per_s": round(assignments_made / total_cpu_s),
        "routing.waiting_items_end": waiting_end,
    }


# ------------------------------------------------------------------------------- wait estimate accuracy


DAY_S = 8 * 3600
BASE_RATE_PER_S = 1 / 8.0  # 450 calls an hour outside surges


def arrival_rate(at: float) -> float:
    hour = at / 3600
    if 1.5 <= hour < 2.5:
        return BASE_RATE_PER_S * 1.5  # morning surge
    if 5.0 <= hour < 5.5:
        return BASE_RATE_PER_S * 2.0  # a news item sends everyone to the phone
    return BASE_RATE_PER_S


def ewt_bench(seed: int, agents_staffed: int = 34, mean_handle_s: float = 240.0,
              mean_patience_s: float = 600.0) -> dict[str, float]:
    """Discrete-event day on one voice queue: Poisson arrivals with surges, exponential handling and patience.

    The estimate uses only what a live system knows: position from the router, staffed agents, and running
    averages of handle time and abandonment.
    """
    rng = random.Random(seed)
    router = Router([QueueRules("voice-line", frozenset({"phone-team"}))])
    for number in range(agents_staffed):
        router.add_agent(Agent(number, frozenset({"phone-team"}), frozenset({"fr", "en"}), {}, {"voice": 1}))
    events: list[tuple[float, int, str, int]] = []
    sequence = 0

    def schedule(at: float, kind: str, subject: int) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (at, sequence, kind, subject))

    at = rng.expovariate(BASE_RATE_PER_S)
    item_number = 0
    while at < DAY_S:
        # Thinning gives a non-homogeneous Poisson process from the peak rate.
        if rng.random() < arrival_rate(at) / (BASE_RATE_PER_S * 2.0):
            item_number += 1
            schedule(at, "arrival", item_number)
        at += rng.expovariate(BASE_RATE_PER_S * 2.0)

    arrived_at: dict[int, float] = {}
    estimate: dict[int, float] = {}
    errors: list[float] = []
    realised_waits: list[float] = []
    handled_total, handled_count = 0.0, 0
    served, abandoned = 0, 0
    call_length: dict[int, float] = {}

    def on_assignments(now: float) -> None:
        nonlocal served
        for assignment in router.dispatch(now):
            item_id = int(assignment.item_id)
            served += 1
            if item_id in estimate:
                realised_waits.append(now - arrived_at[item_id])
                errors.append(abs(estimate.pop(item_id) - realised_waits[-1]))
            agent_id = int(assignment.agent_id)
            call_length[agent_id] = rng.expovariate(1 / mean_handle_s)  # one call at a time per agent
            schedule(now + call_length[agent_id], "done", agent_id)

    while events:
        now, _seq, kind, subject = heapq.heappop(events)
        if kind == "arrival":
            arrived_at[subject] = now
            router.enqueue(WorkItem(subject, "voice-line", "voice", "fr", enqueued_at=now))
            on_assignments(now)
            if router.is_waiting(subject):
                finished = served + abandoned
                abandon_rate = abandoned / finished if finished else 0.0
                aht = handled_total / handled_count if handled_count else mean_handle_s
                estimate[subject] = estimate_wait(router.position(subject), router.staffed_count("voice-line"),
                                                  aht, abandon_rate, concurrency=1)
                schedule(now + rng.expovariate(1 / mean_patience_s), "abandon", subject)
        elif kind == "abandon":
            if router.cancel(subject):
                abandoned += 1
                estimate.pop(subject, None)
        elif kind == "done":
            handled_total += call_length.pop(subject)
            handled_count += 1
            router.complete(subject, "voice", now)
            on_assignments(now)
    mae = sum(errors) / len(errors) if errors else 0.0
    return {
        "routing.ewt_mae_s": round(mae, 1),
        "routing.ewt_mean_wait_s": round(sum(realised_waits) / max(1, len(realised_waits)), 1),
        "routing.ewt_items_estimated": len(errors),
        "routing.ewt_abandon_rate": round(abandoned / max(1, served + abandoned), 3),
    }


# -------------------------------------------------------------------------------------------- DB layer


def db_bench(agents: int = 200, conversations: int = 2000, workers: int = 4) -> dict[str, float]:
    """The persistence layer (routing/actions.py) on PostgreSQL with `workers` concurrent OS processes.

    A scratch database on the GUICHET_DATABASE_URL server is migrated and loaded with `conversations` waiting
    conversations and `agents` available agents (chat 3 + email 2 each), then `workers` processes run
    `route_waiting()` until nothing more can be assigned. `routing.db_assignments_per_s` = assignments / wall
    time of that phase (process start-up excluded); `routing.double_assignments` comes from the assignment log (must be 0).
    """
    import os
    import subprocess
    import sys
    from pathlib import Path
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("GUICHET_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("routing.db_bench: skipped (set GUICHET_DATABASE_URL to a PostgreSQL server)")
        return {}
    import psycopg

    root = Path(__file__).resolve().parents[1]
    name = f"guichet_bench_{os.getpid()}"
    parts = urlsplit(url)
    scratch_url = urlunsplit(parts._replace(path=f"/{name}"))
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "GUICHET_DATABASE_URL": scratch_url, "DJANGO_SETTINGS_MODULE": "guichet.settings",
           "GUICHET_LOG_LEVEL": "WARNING", "PYTHONPATH": str(root / "src")}
    env.pop("GUICHET_REDIS_URL", None)

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], env=env, cwd=root, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        return done.stdout

    try:
        run("manage.py", "migrate", "--noinput")
        run("-m", "guichet.routing.stress", "seed", "--agents", str(agents), "--conversations", str(conversations))
        children = [subprocess.Popen([sys.executable, "-m", "guichet.routing.stress", "drain"], env=env, cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for _ in range(workers)]
        outputs = [child.communicate()[0] for child in children]
        # Wall time of the routing phase: the slowest worker's own clock (process start-up left out).
        elapsed = max(float(line.split()[1]) for out in outputs for line in out.splitlines()
                      if line.startswith("elapsed "))
        assigned = sum(int(line.split()[1]) for out in outputs for line in out.splitlines()
                       if line.startswith("assigned "))
        checks = dict(line.split() for line in run("-m", "guichet.routing.stress", "check").splitlines()
                      if line.split()[0] in {"double_assignments", "over_capacity", "missed"})
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return {
        "routing.db_assignments_per_s": round(assigned / elapsed, 1),
        "routing.db_assigned": assigned,
        "routing.db_workers": workers,
        "routing.double_assignments": int(checks["double_assignments"]),
        "routing.db_over_capacity": int(checks["over_capacity"]),
        "routing.db_missed_assignments": int(checks["missed"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, float] = {}
    results.update(pure_bench(args.events, args.seed))
    results.update(ewt_bench(args.seed))
    results.update(db_bench())
    for name, value in results.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
