"""`python -m guichet bot eval --kb KB_FILE --queries QUERIES_FILE` (formats in docs/virtual-agent.md).

Prints `bot_eval.top1`, `bot_eval.handoff_precision`, `bot_eval.handoff_recall`, `bot_eval.p50_ms`,
`bot_eval.p95_ms`; bad files print a clear message and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError

from guichet.bot.nlp.evaluate import eval_command

SUBCOMMANDS = {"eval": eval_command}


class Command(BaseCommand):
    help = "Virtual agent tools: `bot eval --kb KB_FILE --queries QUERIES_FILE`."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=sorted(SUBCOMMANDS))
        parser.add_argument("arguments", nargs=argparse.REMAINDER)

    def run_from_argv(self, argv):  # type: ignore[no-untyped-def]
        # From the shell: everything after `bot eval` belongs to the evaluation's own parser.
        if len(argv) > 2 and argv[2] in SUBCOMMANDS:
            sys.exit(SUBCOMMANDS[argv[2]](argv[3:]))
        super().run_from_argv(argv)

    def handle(self, *args, **options):
        code = SUBCOMMANDS[options["subcommand"]](list(options["arguments"]))
        if code:
            raise CommandError(f"bot {options['subcommand']} failed", returncode=code)
