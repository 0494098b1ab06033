"""Helpers behind `python -m guichet serve`: the ASGI app with static files, extra processes, banner."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence

import uvicorn
from django.conf import settings

from guichet.core.management.demo_data import logins_path, read_logins

logger = logging.getLogger("guichet.serve")

# Pages printed at start-up, in the order a newcomer visits them.
PAGES = [
    ("Citizen demo page (English)", "/"),
    ("Citizen demo page (French)", "/fr/"),
    ("Agent desk", "/desk/"),
    ("Supervisor", "/supervisor/"),
    ("Administration", "/admin/"),
]


def get_application():
    """uvicorn factory: the project's ASGI app, with static files served from the apps' static folders.

    Embedded mode has no reverse proxy in front, so the server itself serves /static/ (like runserver);
    at scale a proxy or CDN serves collected static files and workers run guichet.asgi:application.
    """
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from guichet.asgi import application

    return ASGIStaticFilesHandler(application)


class GracefulServer(uvicorn.Server):
    """uvicorn, plus our own clean-up once it has drained connections after SIGINT/SIGTERM.

    uvicorn re-raises the signal it caught once it has stopped; with SIGTERM's default action that would kill
    the process before our children are stopped, and with SIGINT it prints a KeyboardInterrupt trace. A
    graceful stop is a normal exit here: clean up, then exit 0.
    """

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None]):
        super().__init__(config)
        self.on_stop = on_stop

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                self.on_stop()
                self._captured_signals.clear()


def extra_process_argvs() -> list[list[str]]:
    """Processes started beside the web server (e.g. the SMTP receiver), from GUICHET_EXTRA_PROCESSES."""
    argvs = getattr(settings, "GUICHET_EXTRA_PROCESSES", [])
    for argv in argvs:
        if not isinstance(argv, list | tuple) or not argv or not all(isinstance(part, str) for part in argv):
            raise ValueError(f"GUICHET_EXTRA_PROCESSES entries must be non-empty argv lists, got {argv!r}")
    return [list(argv) for argv in argvs]


def start_extra_processes(argvs: Sequence[Sequence[str]]) -> list[subprocess.Popen]:
    processes = []
    for argv in argvs:
        logger.info("serve.extra_process.start argv=%s", " ".join(argv))
        processes.append(subprocess.Popen(list(argv), env=os.environ.copy()))
    return processes


def stop_processes(processes: Sequence[subprocess.Popen], timeout_s: float = 10) -> None:
    """Ask each child to stop (SIGTERM), then kill the ones that do not stop in time."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def banner(base_url: str) -> str:
    lines = ["", "Guichet is running.", ""]
    lines += [f"  {label:<30} {base_url}{path}" for label, path in PAGES]
    logins = read_logins()
    if logins:
        lines += ["", f"  Demo logins (local use only; also in {logins_path()}):"]
        lines += [f"    {role:<12} {username} / {password}" for role, (username, password) in sorted(logins.items())]
    lines += ["", "  Press Ctrl+C to stop.", ""]
    return "\n".join(lines)
