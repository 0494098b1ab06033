"""Concurrent routing workload, run as separate OS processes by the concurrency test and the benchmark.

    DJANGO_SETTINGS_MODULE=guichet.settings GUICHET_DATABASE_URL=postgres://... \
        python -m guichet.routing.stress churn --seed 3 --ops 150
    ... python -m guichet.routing.stress drain

`churn`: citizens arrive, agents change presence, agents resolve work, with routing after each commit as in
production. `drain`: only route (the benchmark pre-loads conversations and agents); prints `assigned N`.
`seed` loads benchmark data (no routing); `check` prints the invariants' violations as `name N` lines.
`invariants()` checks what must hold after any interleaving (used by the parent process).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    import django

    django.setup()


def churn(seed: int, ops: int) -> dict[str, int]:
    from guichet.agents.actions import set_presence
    from guichet.agents.models import AgentProfile
    from guichet.conversations import actions as conv
    from guichet.conversations.models import Contact, Conversation, Inbox

    rng = random.Random(seed)
    inboxes = list(Inbox.objects.all())
    agent_ids = list(AgentProfile.objects.values_list("pk", flat=True))
    done: Counter = Counter()
    for _ in range(ops):
        roll = rng.random()
        if roll < 0.5:
            contact = Contact.objects.create(display_name=f"stress-{seed}")
            conv.start_conversation(contact, rng.choice(inboxes), language=rng.choice(["en", "fr"]))
            done["arrivals"] += 1
        elif roll < 0.75:
            agent = AgentProfile.objects.get(pk=rng.choice(agent_ids))
            set_presence(agent, rng.choice(["available", "available", "away", "wrap_up", "offline"]))
            done["presence"] += 1
        else:
            assigned = list(Conversation.objects.filter(status="assigned").values_list("pk", flat=True)[:50])
            if assigned:
                conv.resolve_conversation(None, Conversation.objects.get(pk=rng.choice(assigned)))
                done["resolved"] += 1
    return dict(done)


def seed(agents: int, conversations: int) -> None:
    """Benchmark data: 4 queues (web + email inboxes each), available agents, conversations already waiting."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from guichet.agents.models import AgentProfile, Team
    from guichet.conversations.models import Contact, Conversation, Inbox
    from guichet.routing.models import Queue

    rng = random.Random(11)
    teams = [Team.objects.create(slug=f"team-{n}", name_en=f"Team {n}", name_fr=f"Équipe {n}") for n in range(4)]
    inboxes = []
    for n, team in enumerate(teams):
        queue = Queue.objects.create(slug=f"queue-{n}", name_en=f"Queue {n}", name_fr=f"File {n}", team=team,
                                     always_open=True, sticky_window_s=0)
        for channel in ("web", "email"):
            inboxes.append(Inbox.objects.create(slug=f"{channel}-{n}", name_en=channel, name_fr=channel,
                                                channel=channel, default_queue=queue, bot_enabled=False,
                                                languages=["en", "fr"]))
    for n in range(agents):
        user = User.objects.create(username=f"bench-agent-{n}")
        profile = AgentProfile.objects.create(user=user, display_name=f"Agent {n}", presence="available",
                                              languages=rng.choice([["en"], ["fr"], ["en", "fr"]]),
                                              capacity={"chat": 3, "email": 2})
        profile.teams.set(rng.sample(teams, rng.choice([1, 2])))
    now = timezone.now()
    contacts = Contact.objects.bulk_create([Contact(display_name=f"c{n}") for n in range(conversations)])
    Conversation.objects.bulk_create([
        Conversation(reference=f"BENCH-{n:07d}", contact=contacts[n], inbox=inbox, queue=inbox.default_queue,
                     status="queued", language=rng.choice(["en", "fr"]),
                     queued_at=now - timedelta(seconds=conversations - n))
        for n, inbox in ((n, rng.choice(inboxes)) for n in range(conversations))])


def drain() -> int:
    from guichet.routing.actions import route_waiting

    total = 0
    while True:
        assigned = route_waiting()
        total += assigned
        if assigned == 0:
            return total


def invariants() -> dict[str, Any]:
    """Violations after any interleaving: double assignments, agents over capacity, missed assignments."""
    from django.utils import timezone

    from guichet.agents.models import AgentProfile
    from guichet.conversations.models import Conversation
    from guichet.routing import engine
    from guichet.routing.actions import (
        agent_loads,
        engine_agent,
        queue_rules,
        sticky_agents,
        work_channel,
        work_item,
    )
    from guichet.routing.models import AssignmentLog, CallbackRequest
    from guichet.routing.wait import capacity_for

    logs = Counter(AssignmentLog.objects.values_list("conversation_id", "queued_at"))
    double = sum(count - 1 for count in logs.values() if count > 1)
    mismatched = sum(1 for conversation_id, agent_id in AssignmentLog.objects.filter(
        conversation__status="assigned").values_list("conversation_id", "agent_id")
        if Conversation.objects.get(pk=conversation_id).assignee_id != agent_id)
    profiles = list(AgentProfile.objects.prefetch_related("teams"))
    loads = agent_loads(p.pk for p in profiles)
    over = [p.pk for p in profiles
            if any(count > capacity_for(p.capacity or {}, channel) for channel, count in loads[p.pk].items())]
    agents = [engine_agent(p, [t.pk for t in p.teams.all()], loads[p.pk]) for p in profiles]
    now = timezone.now()
    missed = []
    waiting = list(Conversation.objects.filter(status="queued").select_related("queue", "inbox"))
    preferred = sticky_agents(waiting, now)
    callbacks = {cb.conversation_id: cb for cb in CallbackRequest.objects.filter(status="pending")}
    for conversation in waiting:
        rules = queue_rules(conversation.queue)
        item = work_item(conversation, conversation.queue, work_channel(conversation, callbacks.get(conversation.pk)),
                         preferred.get(conversation.pk))
        if engine.choose_agent(item, agents, rules, now.timestamp()) is not None:
            missed.append(conversation.reference)
    return {"double_assignments": double, "mismatched": mismatched, "over_capacity": over,
            "missed": missed, "assigned": sum(logs.values()), "waiting": len(waiting)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["churn", "drain", "seed", "check"])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ops", type=int, default=150)
    args = parser.parse_args(argv)
    setup_django()
    started = time.perf_counter()
    if args.mode == "churn":
        print(churn(args.seed, args.ops))
    elif args.mode == "seed":
        seed(args.agents, args.conversations)
    elif args.mode == "check":
        result = invariants()
        print(f"double_assignments {result['double_assignments'] + result['mismatched']}")
        print(f"over_capacity {len(result['over_capacity'])}")
        print(f"missed {len(result['missed'])}")
    else:
        print(f"assigned {drain()}")
    print(f"elapsed {time.perf_counter() - started:.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
