"""`python -m guichet voice simulate ...`: play a caller and the phone provider against a running server."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from guichet.omnichannel.voice.simulate import main_simulate


class Command(BaseCommand):
    help = "Phone channel tools. `voice simulate` plays a call against a running Guichet over HTTP."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        simulate = sub.add_parser("simulate", help="Simulate an inbound call (signed Twilio-style webhooks).")
        simulate.add_argument("--url", default="http://127.0.0.1:8000", help="Base URL of the server.")
        simulate.add_argument("--inbox", required=True, help="Slug of the voice inbox.")
        simulate.add_argument("--from", dest="caller", default="+15145550123", help="Caller's number.")
        simulate.add_argument("--to", default="+15145550000", help="The number called.")
        simulate.add_argument("--digits", default="", help="Keys for successive prompts, e.g. 2,1")
        simulate.add_argument("--say", action="append", default=[], help="A spoken sentence (repeatable).")
        simulate.add_argument("--wait-loops", type=int, default=2, help="Hold loops before hanging up.")
        simulate.add_argument("--auth-token-env", default="GUICHET_TWILIO_AUTH_TOKEN",
                              help="Environment variable holding the auth token used to sign requests.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if options["action"] != "simulate":
            raise CommandError("unknown action")
        token = os.environ.get(options["auth_token_env"], "")
        if not token:
            self.stderr.write(f"warning: {options['auth_token_env']} is not set; requests will be unsigned "
                              "and the server will refuse them (403).")
        main_simulate(options["url"], options["inbox"], options["caller"], options["to"], options["digits"],
                      options["say"], token, options["wait_loops"])
