"""Helpers for tests that drive real Guichet processes: start/stop a server, sign in, check accessibility.

Browser tests use `login` and `run_axe`; `tests/core` and `tests/realtime` reuse the process helpers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 60
# Generous: the suite shares two cores with other work, and a slow machine must not look like a broken page.
DEFAULT_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 15_000
DEMO_INBOXES = {"web": "demo-web", "web2": "benefits-web", "email": "demo-email", "sms": "demo-sms",
                "voice": "demo-voice"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    var_dir: Path
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    inboxes: dict[str, str] = field(default_factory=lambda: dict(DEMO_INBOXES))
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `python -m guichet <args>` against the server's database; output captured as text."""
        return manage(self.env, *args, check=check)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "guichet", *args], env=env, cwd=REPO_DIR,
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"`guichet {' '.join(args)}` failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def embedded_env(var_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """Environment for a fresh embedded server (SQLite file in var_dir, in-process layer, embedded worker)."""
    env = dict(os.environ)
    # Always a fresh embedded setup, whatever the surrounding CI run points the test database at.
    for name in ("GUICHET_DATABASE_URL", "GUICHET_REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    base_url = f"http://127.0.0.1:{port}"
    env.update({
        "GUICHET_VAR_DIR": str(var_dir),
        "GUICHET_SQLITE_PATH": str(var_dir / "guichet.sqlite3"),
        "GUICHET_EMBEDDED_WORKER": "1",
        "GUICHET_PUBLIC_URL": base_url,
        "GUICHET_CSRF_TRUSTED_ORIGINS": f"{base_url},http://localhost:{port}",
        # One server serves the whole session from 127.0.0.1: every test signs in and opens chats from the
        # same address, far beyond the per-address limits meant for the public (those have their own tests).
        "GUICHET_RATE_LIMIT_MESSAGES": env.get("GUICHET_RATE_LIMIT_MESSAGES", "1000"),
        "GUICHET_RATE_LIMIT_SESSIONS": env.get("GUICHET_RATE_LIMIT_SESSIONS", "1000"),
        "GUICHET_RATE_LIMIT_LOGIN": env.get("GUICHET_RATE_LIMIT_LOGIN", "1000"),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def start_server(env: dict[str, str], port: int, log_path: Path, *serve_args: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "guichet", "serve", "--port", str(port), "--quiet", "--log-level", "warning",
             *os.environ.get("GUICHET_TEST_SERVE_ARGS", "").split(), *serve_args],
            env=env, cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    """Wait until the server answers a static file; fail with its log if it exits or hangs."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Guichet server exited with {process.returncode}:\n"
                               f"{log_path.read_text(errors='replace')}")
        if http_status(f"{url}/static/guichet/app.css") == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the Guichet server did not answer within {SERVER_START_TIMEOUT_S}s:\n"
                       f"{log_path.read_text(errors='replace')}")


def stop_process(process: subprocess.Popen | None, timeout_s: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_current_server: LiveServer | None = None


def set_current_live_server(server: LiveServer | None) -> None:
    global _current_server
    _current_server = server


def current_live_server() -> LiveServer | None:
    """The session's live server once started (lets `login(page, role)` work without passing it)."""
    return _current_server


def login(page, live_server_or_role, role: str | None = None):
    """Sign in through /accounts/login/ as a demo role: `login(page, live_server, "agent_fr")`.

    `login(page, "agent_fr")` also works and uses the session's live server.
    """
    if role is None:
        server, role = current_live_server(), live_server_or_role
        if server is None:
            raise RuntimeError("login(page, role) needs the live_server fixture to be started")
    else:
        server = live_server_or_role
    username, password = server.logins[role]
    page.goto(f"{server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    with page.expect_navigation(timeout=DEFAULT_TIMEOUT_MS):
        form.locator("button[type=submit], input[type=submit], button:not([type])").first.click()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"signing in as {role} failed; the page says: {page.inner_text('body')[:500]}")
    return page


def axe_path() -> Path | None:
    path = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
    return path if path.exists() else None


AXE_WCAG22_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


def run_axe(page, *, tags: tuple[str, ...] = AXE_WCAG22_AA, selector: str | None = None) -> list[dict[str, Any]]:
    """axe-core violations on the current page (WCAG 2.2 AA rules); skips when axe-core is not installed.

    The script is evaluated through the DevTools protocol, so the page's CSP (no inline scripts) still holds.
    """
    path = axe_path()
    if path is None:
        pytest.skip("axe-core is not installed (run `npm ci`; `make test` does it when npm is present)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(path.read_text(encoding="utf-8") + "\n;undefined")
    options = {"runOnly": {"type": "tag", "values": list(tags)}}
    result = page.evaluate("([selector, options]) => axe.run(selector || document, options)", [selector, options])
    return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """Readable summary for assertion messages: rule, impact, first targets."""
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "targets": [node["target"] for node in v["nodes"][:3]]} for v in violations], indent=1)
