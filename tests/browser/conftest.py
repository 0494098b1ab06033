"""Browser test infrastructure: a real Guichet server and Debian's Chromium driven by Playwright.

Contract (other test modules rely on it):
- `live_server` (session): uvicorn via `python -m guichet serve` on 127.0.0.1:<free port>, embedded job worker,
  fresh SQLite file in a temporary folder, migrated and seeded with `seed_demo`. Attributes: `.url` (no trailing
  slash), `.logins` (role -> (username, password)), `.inboxes` ("web", "web2", "email", "sms", "voice" -> slug),
  `.env` (environment of the server), `.manage(*args)` (management command against the same database).
- `browser` (session): Playwright (sync API) Chromium from /usr/bin/chromium, headless.
- `new_page(**context_options)`: a Page in a fresh browser context (each call = another person), closed after.
Tests here are marked `browser` and skipped with a reason when Chromium or Playwright is missing. They never use
pytest-django's test database: the server has its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO_DIR = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 60
DEFAULT_TIMEOUT_MS = 15_000

DEMO_INBOXES = {"web": "demo-web", "web2": "benefits-web", "email": "demo-email", "sms": "demo-sms",
                "voice": "demo-voice"}


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config, items):
    browser_dir = Path(__file__).parent
    reason = _skip_reason()
    for item in items:
        if browser_dir in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
        if reason and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))
    # Playwright's sync API leaves its own event loop marked as running in the main thread while the browser
    # is open, so no asyncio test can run after it starts: browser tests run last (stable order otherwise),
    # and browser test modules hold no async tests.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


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
        result = subprocess.run([sys.executable, "-m", "guichet", *args], env=self.env, cwd=REPO_DIR,
                                capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"`guichet {' '.join(args)}` failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def server_env(var_dir: Path, port: int) -> dict[str, str]:
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
        "GUICHET_RATE_LIMIT_MESSAGES": env.get("GUICHET_RATE_LIMIT_MESSAGES", "1000"),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def wait_until_serving(server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    probe = f"{server.url}/static/guichet/app.css"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the Guichet server exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the Guichet server did not answer within {SERVER_START_TIMEOUT_S}s:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_current_server: LiveServer | None = None


def current_live_server() -> LiveServer | None:
    """The session's live server once started (lets helpers accept `login(page, role)` too)."""
    return _current_server


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper of the same name, which sets up its test database for any test that
    uses a fixture called `live_server`: ours is a separate process with its own database."""
    yield


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    global _current_server
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    var_dir = tmp_path_factory.mktemp("guichet-live")
    port = free_port()
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=server_env(var_dir, port), var_dir=var_dir)
    # Like pytest-django, skip system checks here: `make lint` runs `check`; a warning must not hide every test.
    server.manage("migrate", "--noinput", "-v", "0", "--skip-checks")
    server.manage("seed_demo", "-v", "0", "--skip-checks")
    from guichet.core.management.demo_data import read_logins

    server.logins = read_logins(var_dir / "demo-logins.txt")
    server.log_path = var_dir / "server.log"
    with open(server.log_path, "wb") as log:
        server.process = subprocess.Popen(
            [sys.executable, "-m", "guichet", "serve", "--port", str(port), "--worker", "--quiet",
             "--log-level", "warning"],
            env=server.env, cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until_serving(server)
        _current_server = server
        yield server
    finally:
        _current_server = None
        stop_server(server)


@pytest.fixture(scope="session")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # The sync API runs its own event loop; it is created here, outside any pytest-asyncio loop.
    manager = sync_playwright()
    playwright = manager.start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        manager.__exit__(None, None, None)


@pytest.fixture
def new_page(browser, live_server):
    """Factory: `page = new_page()` opens a fresh context (cookies, storage) for each simulated person."""
    contexts = []

    def open_page(**context_options):
        context_options.setdefault("base_url", live_server.url)
        context_options.setdefault("locale", "en-CA")
        context = browser.new_context(**context_options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _server_log_on_failure(request):
    """When a browser test fails, show the end of the server log next to the failure."""
    yield
    report = getattr(request.node, "rep_call", None)
    server = current_live_server()
    if report is not None and report.failed and server is not None:
        sys.stderr.write("\n--- Guichet server log (last 4000 chars) ---\n" + server.log()[-4000:] + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def axe_path() -> Path | None:
    path = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
    return path if path.exists() else None


