"""`python -m guichet seed_demo`: create the bilingual demo data that is missing (never resets anything)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from guichet.core.management.demo_data import logins_path, seed_demo


class Command(BaseCommand):
    help = "Create the demo teams, queues, inboxes and users that are missing; keeps existing data."

    def handle(self, *args, **options):
        report = seed_demo()
        verbosity = options["verbosity"]
        if verbosity >= 1:
            summary = ", ".join(report.created) if report.created else "nothing new"
            self.stdout.write(f"Demo data: {summary}.")
            for hook in report.hooks_run:
                self.stdout.write(f"Demo hook ran: {hook}")
        if verbosity >= 2:
            for hook in report.hooks_missing:
                self.stdout.write(f"Demo hook not provided yet: {hook}")
            self.stdout.write(f"Demo logins (local use only) are in {logins_path()}")
