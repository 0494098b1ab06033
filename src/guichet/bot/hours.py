"""Is a queue staffed now, and if not, when does it open? (over routing.engine's BusinessHours)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from guichet.routing.engine import BusinessHours, is_open
from guichet.routing.models import Queue

LOOKAHEAD_DAYS = 21


def business_hours(queue: Queue) -> BusinessHours:
    return BusinessHours.from_config(queue.timezone, queue.business_hours or {}, queue.holidays or [],
                                     queue.always_open)


def queue_is_open(queue: Queue, when: datetime) -> bool:
    return is_open(business_hours(queue), when)


def next_opening(queue: Queue, when: datetime) -> datetime | None:
    """The first instant after `when` at which the queue is open (None if closed for three weeks)."""
    hours = business_hours(queue)
    if is_open(hours, when):
        return when
    zone = ZoneInfo(hours.timezone)
    local = when.astimezone(zone)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        starts = sorted(opens for opens, _closes in hours.weekly.get(day.isoweekday(), ()))
        for opens in starts:
            moment = datetime.combine(day, opens, tzinfo=zone)
            if moment > when and is_open(hours, moment):
                return moment
    return None
