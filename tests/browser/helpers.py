"""Helpers for browser tests: sign in like a person, check a page with axe-core."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, axe_path, current_live_server


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
    with page.expect_navigation(timeout=DEFAULT_TIMEOUT_MS):
        page.locator("form").filter(has=page.locator("input[name=password]")).locator(
            "button[type=submit], input[type=submit], button:not([type])").first.click()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"signing in as {role} failed; the page says: {page.inner_text('main')[:500]}")
    return page


def run_axe(page, *, tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"),
            context: Any = None) -> list[dict[str, Any]]:
    """axe-core violations on the current page (WCAG 2.2 AA rules); skips when axe-core is not installed."""
    path = axe_path()
    if path is None:
        pytest.skip("axe-core is not installed (run `npm ci`, which `make test` does when node is present)")
    page.add_script_tag(path=str(path))
    options = {"runOnly": {"type": "tag", "values": list(tags)}}
    result = page.evaluate("([context, options]) => axe.run(context || document, options)",
                           [context, options])
    return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """Readable summary for assertion messages: rule, impact, first targets."""
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "targets": [node["target"] for node in v["nodes"][:3]]} for v in violations], indent=1)
