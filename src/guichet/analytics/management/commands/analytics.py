"""`python -m guichet analytics rollup [--since YYYY-MM-DD | --days N]` and `analytics demo-history [--days N]`."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from guichet.analytics.rollup import days_ago, earliest_day, rollup


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--since: expected a date like 2026-03-01, got {text!r}") from error


class Command(BaseCommand):
    help = "Report aggregates: rebuild them from a date (rollup) or load demo history."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        rollup_parser = commands.add_parser("rollup", help="recompute facts and stats from a local date onwards")
        rollup_parser.add_argument("--since", type=str, default=None,
                                   help="first local day to recompute (default: the first conversation's)")
        rollup_parser.add_argument("--days", type=int, default=None, help="recompute the last N days")
        demo_parser = commands.add_parser("demo-history", help="load demo history (skipped if already loaded)")
        demo_parser.add_argument("--days", type=int, default=60)

    def handle(self, *args, **options):
        if options["action"] == "demo-history":
            from guichet.analytics.demo import load_demo_history

            if options["days"] < 1:
                raise CommandError(f"--days: must be >= 1, got {options['days']}")
            result = load_demo_history(days=options["days"])
            self.stdout.write(f"Demo history: {result}")
            return
        if options["since"] and options["days"] is not None:
            raise CommandError("give either --since or --days, not both")
        if options["days"] is not None:
            if options["days"] < 0:
                raise CommandError(f"--days: must be >= 0, got {options['days']}")
            since = days_ago(options["days"])
        elif options["since"]:
            since = _day(options["since"])
        else:
            since = earliest_day()
            if since is None:
                self.stdout.write("No conversations yet: nothing to roll up.")
                return
        report = rollup(since)
        self.stdout.write(f"Rolled up {report.conversations} resolved conversation(s) since {report.since}: "
                          f"{report.interval_rows} interval row(s), {report.daily_rows} daily row(s).")
