"""`python -m guichet smtp_receiver --host 127.0.0.1 --port 2525`: receive inbox mail relayed by the MTA."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from guichet.omnichannel.email.receiver import make_controller


class Command(BaseCommand):
    help = "Run the SMTP receiver that turns mail to e-mail inboxes into conversations."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=getattr(settings, "GUICHET_SMTP_RECEIVER_PORT", 2525))

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        controller = make_controller(options["host"], options["port"])
        controller.start()
        self.stdout.write(f"smtp_receiver listening on {options['host']}:{options['port']}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        controller.stop()
