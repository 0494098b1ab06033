from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from tests.analytics.helpers import Clock


@pytest.fixture
def clock(monkeypatch):
    """Every `timezone.now()` in the product reads this clock (Monday 2 March 2026, 09:00 in Toronto)."""
    clock = Clock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", clock)
    return clock
