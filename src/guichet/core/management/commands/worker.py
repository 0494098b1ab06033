"""`python -m guichet worker`: run background jobs (at scale, beside stateless web workers)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from guichet.core.jobs import work_forever


class Command(BaseCommand):
    help = "Run durable background jobs until stopped (SIGTERM or Ctrl+C)."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=0.5, help="Seconds to wait when no job is due.")

    def handle(self, *args, **options):
        stop = threading.Event()
        # SIGTERM from a process manager finishes the job in hand, then exits.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        work_forever(poll_s=options["poll"], stop=stop)
