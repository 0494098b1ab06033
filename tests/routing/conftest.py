"""Routing DB-layer fixtures: after-commit work (routing, events) runs as it would in production."""

from __future__ import annotations

import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block and then everything it queued for after commit."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
