"""`python -m guichet poll_imap [--once] [--interval 60] [--inbox SLUG]`: fetch e-mail inboxes' mail by IMAP.

For mailboxes that cannot relay to the SMTP receiver; see omnichannel/email/imap.py for the inbox config.
Runs until stopped (one poll per interval), or once with --once (cron). Exit code 1 when --once met errors.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from guichet.omnichannel.email.imap import imap_inboxes, poll_inbox


class Command(BaseCommand):
    help = "Fetch new mail of the e-mail inboxes configured with an IMAP account."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--once", action="store_true", help="Poll once and exit.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between polls (default 60).")
        parser.add_argument("--inbox", help="Only this inbox (slug).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        while True:
            failed = self.poll_all(options["inbox"])
            if options["once"]:
                sys.exit(1 if failed else 0)
            close_old_connections()
            time.sleep(max(5, options["interval"]))

    def poll_all(self, only: str | None) -> bool:
        failed = False
        inboxes = [inbox for inbox in imap_inboxes() if only in (None, inbox.slug)]
        if not inboxes:
            self.stderr.write("No e-mail inbox has an IMAP account (config \"imap\").")
            return True
        for inbox in inboxes:
            result = poll_inbox(inbox)
            self.stdout.write(f"{inbox.slug}: stored={result.stored} skipped={result.skipped} "
                              f"refused={result.refused} deferred={result.deferred}")
            for error in result.errors:
                self.stderr.write(f"{inbox.slug}: {error}")
            failed = failed or bool(result.errors)
        return failed
