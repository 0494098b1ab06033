"""`python -m guichet ingest_email --to help@example.ca [--file message.eml]`: deliver one raw message.

For MTAs that hand mail to a program (Postfix `pipe`, Exim `pipe` transport) instead of relaying by SMTP:
reads the message from --file or standard input. Exit codes follow sysexits so the MTA bounces or retries:
0 stored, 67 unknown recipient, 65 malformed, 75 try again later.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from guichet.omnichannel.actions import ingest_email
from guichet.omnichannel.adapters.base import InboundRejected

EXIT_CODES = {550: 67, 554: 65, 400: 65, 451: 75}


class Command(BaseCommand):
    help = "Store one raw e-mail (from a file or standard input) as if the SMTP receiver had accepted it."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--to", action="append", required=True, help="Envelope recipient (repeatable).")
        parser.add_argument("--file", help="Path of the raw message; standard input when absent.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["file"]:
            with open(options["file"], "rb") as handle:
                raw = handle.read()
        else:
            raw = sys.stdin.buffer.read()
        try:
            result = ingest_email(raw, options["to"])
        except InboundRejected as exc:
            self.stderr.write(f"rejected: {exc.reason}")
            sys.exit(EXIT_CODES.get(exc.status, 65))
        reference = result.conversation.reference if result.conversation else "-"
        contact = result.conversation.contact_id if result.conversation else "-"
        self.stdout.write(f"reference={reference} contact={contact} created={result.created} {result.reason}".strip())
