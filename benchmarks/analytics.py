"""Report speed on a year of history. Prints `name: value` lines.

Builds a throwaway SQLite database, loads 365 days of demo history (about 55,000 conversations) through
`load_demo_history` (bulk insert + rollup), then times what a supervisor does: the year report by day, a month
by 15-minute intervals, the CSV export, a single conversation's incremental update and a full rollup.
Pages read only the aggregate tables, so their time depends on the number of buckets, not of conversations.

Run: .venv/bin/python benchmarks/analytics.py [--days 365]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def setup(var_dir: Path) -> None:
    os.environ.update({"GUICHET_VAR_DIR": str(var_dir), "GUICHET_SQLITE_PATH": str(var_dir / "bench.sqlite3"),
                       "DJANGO_SETTINGS_MODULE": "guichet.settings"})
    for name in ("GUICHET_DATABASE_URL", "GUICHET_REDIS_URL"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def demo_rows():  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    from guichet.agents.models import AgentProfile, Team
    from guichet.conversations.models import Inbox
    from guichet.core.management.demo_data import INBOXES, QUEUES, TEAMS
    from guichet.routing.models import Queue

    teams = {spec["slug"]: Team.objects.create(**spec) for spec in TEAMS}
    queues = {spec["slug"]: Queue.objects.create(**{**spec, "team": teams[spec["team"]]}) for spec in QUEUES}
    for spec in INBOXES:
        Inbox.objects.create(**{k: v for k, v in spec.items() if k != "queue"}, default_queue=queues[spec["queue"]])
    user = User.objects.create_user("bench-supervisor", password="x" * 16)
    agent = AgentProfile.objects.create(user=user, display_name="Bench", role="supervisor", languages=["en"])
    agent.teams.set(teams.values())
    return user


def timed_ms(action, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup(Path(folder))
        from django.test import Client
        from django.utils import timezone

        from guichet.analytics.demo import load_demo_history
        from guichet.analytics.facts import record_conversation
        from guichet.analytics.models import ConversationFact, IntervalStat
        from guichet.analytics.rollup import rollup
        from guichet.conversations.models import Conversation

        user = demo_rows()
        started = time.perf_counter()
        load_demo_history(days=args.days)
        print(f"analytics.demo_history_load_s: {time.perf_counter() - started:.1f}")
        print(f"analytics.conversations: {ConversationFact.objects.count()}")
        print(f"analytics.interval_rows: {IntervalStat.objects.count()}")
        client = Client()
        client.force_login(user)
        today = timezone.localdate()
        year = {"start": (today - timedelta(days=min(args.days, 366))).isoformat(),
                "end": (today - timedelta(days=1)).isoformat()}
        month = {"start": (today - timedelta(days=31)).isoformat(), "end": (today - timedelta(days=1)).isoformat(),
                 "grouping": "15"}
        for name, path, query in (("year_report_by_day_ms", "/reports/", year),
                                  ("month_report_by_15_min_ms", "/reports/", month),
                                  ("year_csv_export_ms", "/reports/export.csv", year)):
            assert client.get(path, query).status_code == 200
            print(f"analytics.{name}: {timed_ms(lambda p=path, q=query: client.get(p, q)):.0f}")
        conversation = Conversation.objects.select_related("inbox").order_by("-created_at").first()
        print(f"analytics.incremental_update_ms: {timed_ms(lambda: record_conversation(conversation), 20):.1f}")
        started = time.perf_counter()
        rollup(today - timedelta(days=args.days))
        print(f"analytics.full_rollup_s: {time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
