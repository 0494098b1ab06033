"""Report queries: read only the aggregate tables (never conversations), then derive the ratios.

Every figure is computed from sums so that adding up days or intervals stays exact: service level is
answered-within-target / offered, ASA = wait sum / handled, and so on (see docs/analytics.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Max, Sum
from django.utils import timezone

from guichet.analytics.models import MEASURES, DailyStat, IntervalStat, QuestionStat
from guichet.routing.models import Queue

GROUPINGS = ("day", "60", "30", "15")


@dataclass(frozen=True)
class ReportFilter:
    start: date
    end: date  # inclusive
    grouping: str = "day"  # "day" or interval minutes "15" | "30" | "60"
    queue: Queue | None = None
    channel: str = ""

    def range_utc(self) -> tuple[datetime, datetime]:
        tz = timezone.get_default_timezone()
        return (timezone.make_aware(datetime.combine(self.start, time.min), tz),
                timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), tz))

    def scope(self, rows):  # type: ignore[no-untyped-def]
        if self.queue is not None:
            rows = rows.filter(queue=self.queue)
        if self.channel:
            rows = rows.filter(channel=self.channel)
        return rows


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


class Metrics:
    """Ratios derived from one bucket's sums; None when the denominator is zero (shown as a dash)."""

    def __init__(self, sums: dict[str, Any], label: str = "", key: Any = None):
        self.sums = {name: int(sums.get(name) or 0) for name in MEASURES}
        self.label = label
        self.key = key

    def __getattr__(self, name: str) -> int:
        sums = self.__dict__.get("sums", {})
        if name in sums:
            return sums[name]
        raise AttributeError(name)

    @property
    def service_level(self) -> float | None:
        return _ratio(self.sums["answered_within_target"], self.sums["offered"])

    @property
    def abandon_rate(self) -> float | None:
        return _ratio(self.sums["abandoned"], self.sums["offered"])

    @property
    def asa_s(self) -> float | None:
        return _ratio(self.sums["wait_sum_s"], self.sums["handled"])

    @property
    def aht_s(self) -> float | None:
        return _ratio(self.sums["handle_sum_s"], self.sums["handled"])

    @property
    def first_response_s(self) -> float | None:
        return _ratio(self.sums["first_response_sum_s"], self.sums["first_response_count"])

    @property
    def resolution_s(self) -> float | None:
        return _ratio(self.sums["resolution_sum_s"], self.sums["conversations"])

    @property
    def containment(self) -> float | None:
        return _ratio(self.sums["bot_contained"], self.sums["bot_conversations"])

    @property
    def handoff_rate(self) -> float | None:
        return _ratio(self.sums["handed_off"], self.sums["bot_conversations"])

    @property
    def satisfaction(self) -> float | None:
        return _ratio(self.sums["rating_sum"], self.sums["rated"])

    @property
    def satisfied_rate(self) -> float | None:
        return _ratio(self.sums["satisfied"], self.sums["rated"])

    @property
    def repeat_rate(self) -> float | None:
        return _ratio(self.sums["repeat_contacts"], self.sums["conversations"])

    @property
    def first_contact_resolution(self) -> float | None:
        rate = self.repeat_rate
        return None if rate is None else 1 - rate


_SUMS = {name: Sum(name) for name in MEASURES}


def totals(report: ReportFilter) -> Metrics:
    rows = report.scope(DailyStat.objects.filter(day__gte=report.start, day__lte=report.end))
    return Metrics(rows.aggregate(**_SUMS))


def daily(report: ReportFilter) -> list[Metrics]:
    rows = report.scope(DailyStat.objects.filter(day__gte=report.start, day__lte=report.end))
    by_day = {row.pop("day"): row for row in rows.values("day").annotate(**_SUMS).order_by("day")}
    days = (report.end - report.start).days + 1
    result = []
    for offset in range(days):
        day = report.start + timedelta(days=offset)
        result.append(Metrics(by_day.get(day, {}), label=day.isoformat(), key=day))
    return result


def intervals(report: ReportFilter) -> list[Metrics]:
    """Local-time buckets of 15/30/60 minutes over the range, summed from the 15-minute UTC rows."""
    minutes = int(report.grouping)
    start, end = report.range_utc()
    tz = timezone.get_default_timezone()
    buckets: dict[datetime, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    rows = report.scope(IntervalStat.objects.filter(interval_start__gte=start, interval_start__lt=end))
    for row in rows.values("interval_start", *MEASURES):
        local = timezone.localtime(row.pop("interval_start"), tz)
        slot = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
        bucket = buckets[slot]
        for name, value in row.items():
            bucket[name] += value
    result = []
    moment = timezone.localtime(start, tz)
    while moment < end:
        result.append(Metrics(buckets.get(moment, {}), label=moment.strftime("%Y-%m-%d %H:%M"), key=moment))
        moment = timezone.localtime(moment + timedelta(minutes=minutes), tz)
    return result


def series(report: ReportFilter) -> list[Metrics]:
    return daily(report) if report.grouping == "day" else intervals(report)


def breakdown(report: ReportFilter) -> list[Metrics]:
    """One row per queue and channel over the whole range."""
    rows = report.scope(DailyStat.objects.filter(day__gte=report.start, day__lte=report.end))
    queues = {queue.pk: queue for queue in Queue.objects.all()}
    result = []
    for row in rows.values("queue_id", "channel").annotate(**_SUMS).order_by("queue_id", "channel"):
        queue = queues.get(row.pop("queue_id"))
        channel = row.pop("channel")
        result.append(Metrics(row, label=str(queue) if queue else "?", key=channel))
    return result


def top_unanswered(report: ReportFilter, limit: int = 10) -> list[dict[str, Any]]:
    """Questions the virtual agent most often could not answer (all queues: the bot is shared)."""
    rows = QuestionStat.objects.filter(day__gte=report.start, day__lte=report.end)
    top: Any = (rows.values("language", "question_key").annotate(count=Sum("count"), example=Max("example"))
           .filter(count__gt=0).order_by("-count", "question_key")[:limit])
    return list(top)


def history_bounds() -> tuple[date, date] | None:
    first = DailyStat.objects.order_by("day").values_list("day", flat=True).first()
    last = DailyStat.objects.order_by("-day").values_list("day", flat=True).first()
    return (first, last) if first and last else None
