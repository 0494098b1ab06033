"""`python -m guichet wfm staff ...` and `python -m guichet wfm simulate SCENARIO_FILE` (see docs/wfm.md).

The options belong to `guichet.wfm.cli`, so every argument after the subcommand is passed through untouched;
bad input prints `error: --field: reason` and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from guichet.wfm.cli import simulate_command, staff_command

SUBCOMMANDS = {"staff": staff_command, "simulate": simulate_command}


class Command(BaseCommand):
    help = "Workforce planning: `wfm staff --calls-per-interval N --aht S ...` or `wfm simulate FILE`."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=sorted(SUBCOMMANDS))
        parser.add_argument("arguments", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv):  # type: ignore[no-untyped-def]
        # From the shell: hand everything after `wfm` to the WFM parser (Django's would eat --format etc.).
        if len(argv) > 2 and argv[2] in SUBCOMMANDS:
            import django

            django.setup()
            sys.exit(SUBCOMMANDS[argv[2]](argv[3:], stdout=sys.stdout, stderr=sys.stderr))
        super().run_from_argv(argv)

    def handle(self, *args, **options):
        self.stdout.ending = ""  # the WFM functions print whole lines themselves
        self.stderr.ending = ""
        code = SUBCOMMANDS[options["subcommand"]](list(options["arguments"]), stdout=self.stdout,
                                                  stderr=self.stderr)
        if code:
            raise CommandError(f"wfm {options['subcommand']} failed (see the message above)", returncode=code)
