"""Browser test infrastructure: a real Guichet server and Debian's Chromium driven by Playwright.

Contract (other test modules rely on it):
- `live_server` (session): uvicorn via `python -m guichet serve` on 127.0.0.1:<free port>, embedded job worker,
  fresh SQLite file in a temporary folder, migrated and seeded with `seed_demo`. Attributes: `.url` (no trailing
  slash), `.logins` (role -> (username, password)), `.inboxes` ("web", "web2", "email", "sms", "voice" -> slug),
  `.env` (environment of the server), `.manage(*args)` (management command against the same database).
- `browser` (session): Playwright (sync API) Chromium from /usr/bin/chromium, headless.
- `new_page(**context_options)`: a Page in a fresh browser context (each call = another person), closed after;
  `base_url` defaults to the live server, so `page.goto("/desk/")` works.
- `login(page, live_server, role)` and `run_axe(page)` live in tests/browser/helpers.py.
Tests here are marked `browser` and skipped with a reason when Chromium or Playwright is missing. They never use
pytest-django's test database: the server has its own. Browser test modules must not contain async tests (see
`pytest_collection_modifyitems`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.browser.helpers import (
    DEFAULT_TIMEOUT_MS,
    EXPECT_TIMEOUT_MS,
    LiveServer,
    current_live_server,
    embedded_env,
    free_port,
    set_current_live_server,
    start_server,
    stop_process,
    wait_until_serving,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
    # is open, so no asyncio test (nor pytest-django's database set-up) can run after it starts: browser tests
    # run last, in their collected order, and other tests keep theirs.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper of the same name, which sets up its test database for any test that
    uses a fixture called `live_server`: ours is a separate process with its own database."""
    yield


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    var_dir = tmp_path_factory.mktemp("guichet-live")
    port = free_port()
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=embedded_env(var_dir, port), var_dir=var_dir,
                        log_path=var_dir / "server.log")
    # Like pytest-django, skip system checks here: `make lint` runs `check`.
    server.manage("migrate", "--noinput", "-v", "0", "--skip-checks")
    server.manage("seed_demo", "-v", "0", "--skip-checks")
    from guichet.core.management.demo_data import read_logins

    server.logins = read_logins(var_dir / "demo-logins.txt")
    server.process = start_server(server.env, port, server.log_path, "--worker")
    try:
        wait_until_serving(server.url, server.process, server.log_path)
        set_current_live_server(server)
        yield server
    finally:
        set_current_live_server(None)
        stop_process(server.process)


@pytest.fixture(scope="session")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
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
