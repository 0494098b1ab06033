"""Bulk rebuild of facts and stat tables from a date onwards (backfill, demo history, repairs).

The lifecycle hooks keep the tables current one conversation at a time; this recomputes every resolved
conversation that started on or after `since` and then rebuilds the affected buckets as sums of facts, so
running it twice gives the same tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from guichet.analytics.facts import REPEAT_WINDOW, Fact, interval_floor, measure, unanswered_questions
from guichet.analytics.models import MEASURES, ConversationFact, DailyStat, IntervalStat, QuestionStat
from guichet.conversations.models import Conversation, Message

BATCH = 2000
_FIELDS = ("id", "contact_id", "queue_id", "inbox__channel", "created_at", "queued_at", "assigned_at",
           "first_response_at", "resolved_at", "satisfaction")


@dataclass
class RollupReport:
    since: date
    conversations: int
    interval_rows: int
    daily_rows: int


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def rollup(since: date) -> RollupReport:
    start = local_midnight(since)
    with transaction.atomic():
        count = _rebuild_facts(start)
        interval_rows, daily_rows = _rebuild_stats(since, start)
    return RollupReport(since, count, interval_rows, daily_rows)


def _rebuild_facts(start: datetime) -> int:
    rows = list(Conversation.objects.filter(created_at__gte=start, status=Conversation.Status.RESOLVED)
                .values(*_FIELDS).order_by("created_at", "id"))
    ids = [row["id"] for row in rows]
    with_bot: set[int] = set()
    for chunk in _chunks(ids):
        with_bot.update(Message.objects.filter(conversation_id__in=chunk, author_kind=Message.Author.BOT)
                        .values_list("conversation_id", flat=True).distinct())
    repeats = _repeat_ids(start)
    unanswered: dict[int, list[list[str]]] = {}
    for chunk in _chunks(ids):
        unanswered.update(unanswered_questions(chunk))
    ConversationFact.objects.filter(interval_start__gte=interval_floor(start)).delete()
    ConversationFact.objects.filter(conversation_id__in=ids).delete()  # started earlier in UTC terms
    facts = []
    for row in rows:
        fact = measure(row, channel=row["inbox__channel"], bot_involved=row["id"] in with_bot,
                       is_repeat=row["id"] in repeats, unanswered=unanswered.get(row["id"], []))
        facts.append(_fact_row(row["id"], fact))
    ConversationFact.objects.bulk_create(facts, batch_size=BATCH)
    return len(facts)


def _fact_row(conversation_id: int, fact: Fact) -> ConversationFact:
    return ConversationFact(conversation_id=conversation_id, queue_id=fact.queue_id, channel=fact.channel,
                            interval_start=fact.interval_start, day=fact.day, unanswered=fact.unanswered,
                            **fact.measures)


def _repeat_ids(start: datetime) -> set[int]:
    """Conversations started within 7 days after another conversation of the same citizen."""
    starts = (Conversation.objects.filter(created_at__gte=start - REPEAT_WINDOW)
              .values_list("contact_id", "created_at", "id").order_by("contact_id", "created_at", "id"))
    repeats: set[int] = set()
    previous_contact: int | None = None
    previous_start: datetime | None = None
    for contact_id, created_at, conversation_id in starts:
        if contact_id == previous_contact and previous_start is not None and created_at >= start \
                and created_at - previous_start < REPEAT_WINDOW:
            repeats.add(conversation_id)
        previous_contact, previous_start = contact_id, created_at
    return repeats


def _rebuild_stats(since: date, start: datetime) -> tuple[int, int]:
    floor = interval_floor(start)
    sums = {name: Sum(name) for name in MEASURES}
    IntervalStat.objects.filter(interval_start__gte=floor).delete()
    intervals = [IntervalStat(**row) for row in ConversationFact.objects.filter(interval_start__gte=floor)
                 .values("queue_id", "channel", "interval_start").annotate(**sums).order_by()]
    IntervalStat.objects.bulk_create(intervals, batch_size=BATCH)
    DailyStat.objects.filter(day__gte=since).delete()
    days = [DailyStat(**row) for row in ConversationFact.objects.filter(day__gte=since)
            .values("queue_id", "channel", "day").annotate(**sums).order_by()]
    DailyStat.objects.bulk_create(days, batch_size=BATCH)
    _rebuild_questions(since)
    return len(intervals), len(days)


def _rebuild_questions(since: date) -> None:
    counts: dict[tuple[date, str, str], list] = defaultdict(lambda: [0, ""])
    for day, unanswered in ConversationFact.objects.filter(day__gte=since) \
            .values_list("day", "unanswered"):
        for language, key, example in unanswered:
            entry = counts[(day, language, key)]
            entry[0] += 1
            entry[1] = entry[1] or example
    QuestionStat.objects.filter(day__gte=since).delete()
    QuestionStat.objects.bulk_create(
        [QuestionStat(day=day, language=language, question_key=key, count=count, example=example)
         for (day, language, key), (count, example) in counts.items()], batch_size=BATCH)


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    # SQLite limits the number of query parameters; 900 stays under every version's limit.
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def earliest_day() -> date | None:
    first = Conversation.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localtime(first).date() if first else None


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)
