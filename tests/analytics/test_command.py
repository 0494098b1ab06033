"""`python -m guichet analytics rollup|demo-history` input handling."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def test_rollup_on_an_empty_database_says_so():
    assert run("rollup") == "No conversations yet: nothing to roll up.\n"
    assert "Rolled up 0 resolved conversation(s)" in run("rollup", "--days", "7")


@pytest.mark.parametrize(("args", "message"), [
    (("rollup", "--since", "last week"), "--since: expected a date like 2026-03-01"),
    (("rollup", "--days", "-1"), "--days: must be >= 0"),
    (("rollup", "--days", "3", "--since", "2026-01-01"), "either --since or --days"),
    (("demo-history", "--days", "0"), "--days: must be >= 1"),
])
def test_bad_options_are_explained(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
