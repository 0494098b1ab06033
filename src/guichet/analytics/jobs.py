"""Nightly safety net: re-roll the last two days, catching anything the lifecycle hooks could not see
(a bot turn whose outcome changed after resolution, a hook that failed, a conversation edited by hand)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from guichet.analytics.rollup import days_ago, rollup
from guichet.core.jobs import enqueue_job, job_handler

logger = logging.getLogger("guichet.analytics")

ROLLUP_JOB = "analytics.rollup"
NIGHTLY_AT = time(3, 0)  # local time, when contact centres are quiet
NIGHTLY_DAYS = 2


def schedule_nightly_rollup() -> None:
    """Make sure tonight's rollup is queued (one job per night, whatever the number of callers)."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    run_at = timezone.make_aware(datetime.combine(tomorrow, NIGHTLY_AT), timezone.get_default_timezone())
    enqueue_job(ROLLUP_JOB, {"days": NIGHTLY_DAYS}, key=f"{ROLLUP_JOB}:{tomorrow.isoformat()}",
                delay_s=max(0.0, (run_at - timezone.now()).total_seconds()))


@job_handler(ROLLUP_JOB)
def nightly_rollup(payload: dict[str, Any]) -> None:
    report = rollup(days_ago(int(payload.get("days", NIGHTLY_DAYS))))
    logger.info("analytics.rollup since=%s conversations=%d", report.since, report.conversations)
