"""`python -m guichet serve`: uvicorn + the embedded job worker + the extra processes from settings."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from guichet.core.management import server


class Command(BaseCommand):
    help = "Serve Guichet over HTTP and websockets with uvicorn (and run background jobs in embedded mode)."
    requires_system_checks = []  # uvicorn imports the app itself; checks run in `migrate`/`check`

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        worker = parser.add_mutually_exclusive_group()
        worker.add_argument("--worker", dest="worker", action="store_true", default=None,
                            help="Run the background job worker in this process (default in embedded mode).")
        worker.add_argument("--no-worker", dest="worker", action="store_false",
                            help="Do not run jobs here (run `python -m guichet worker` separately).")
        parser.add_argument("--no-extra-processes", action="store_true",
                            help="Do not start the processes listed in GUICHET_EXTRA_PROCESSES.")
        parser.add_argument("--log-level", default="warning")
        parser.add_argument("--ws", default="websockets-sansio", choices=["websockets-sansio", "websockets", "wsproto"],
                            help="uvicorn's websocket implementation.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the URLs and demo logins.")

    def handle(self, *args, **options):
        import uvicorn

        from guichet.core.jobs import start_embedded_worker

        run_worker = options["worker"]
        if run_worker is None:
            run_worker = getattr(settings, "GUICHET_EMBEDDED_WORKER", True)
        argvs = [] if options["no_extra_processes"] else server.extra_process_argvs()

        config = uvicorn.Config(server.get_application, factory=True, host=options["host"],
                                port=options["port"], lifespan="off", log_level=options["log_level"],
                                ws=options["ws"])
        stop_worker = start_embedded_worker() if run_worker else None
        children = server.start_extra_processes(argvs)

        def stop_everything() -> None:
            if stop_worker is not None:
                stop_worker.set()
            server.stop_processes(children)

        uvicorn_server = server.GracefulServer(config, on_stop=stop_everything)
        if not options["quiet"]:
            self.stdout.write(server.banner(f"http://{options['host']}:{options['port']}"))
            sys.stdout.flush()
        try:
            uvicorn_server.run()
        finally:
            stop_everything()  # also when uvicorn fails to start (port taken): no orphaned children
