"""What one resolved conversation contributes to the reports, and keeping the stat tables equal to the facts.

Definitions (see docs/analytics.md):
- offered: the conversation entered an agent queue (`queued_at` set); abandoned: offered, never assigned.
- service level: answered within the channel's target / offered (abandoned contacts count as failures).
- wait (ASA): queue entry to assignment; handle time (AHT): assignment to resolution.
- first response: contact start to the first agent reply; resolution: contact start to resolution.
- bot: the virtual agent wrote in the conversation; contained = bot and never queued nor assigned.
- repeat contact: the same citizen started another conversation in the 7 days before this one.
Conversations are counted in the 15-minute interval (UTC) and the local day in which they started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from guichet.analytics.models import MEASURES, ConversationFact, DailyStat, IntervalStat, QuestionStat
from guichet.conversations.models import Conversation, Message

REPEAT_WINDOW = timedelta(days=7)
# Seconds within which an answer counts for the service level, per channel (overridable in settings).
DEFAULT_SERVICE_TARGETS_S = {"web": 60, "sms": 300, "email": 4 * 3600, "voice": 20}
UNANSWERED_OUTCOMES = ("handed_off", "abandoned")


def service_target_seconds(channel: str) -> int:
    targets = {**DEFAULT_SERVICE_TARGETS_S, **getattr(settings, "GUICHET_SERVICE_LEVEL_TARGETS", {})}
    return int(targets.get(channel, 60))


def interval_floor(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


@dataclass
class Fact:
    queue_id: int
    channel: str
    interval_start: datetime
    day: date
    measures: dict[str, int]
    unanswered: list[list[str]] = field(default_factory=list)


def measure(row: dict[str, Any], *, channel: str, bot_involved: bool, is_repeat: bool,
            unanswered: list[list[str]] | None = None) -> Fact:
    """The contribution of one resolved conversation, from its timestamps (a `values()` row or a model)."""
    values = dict.fromkeys(MEASURES, 0)
    values["conversations"] = 1
    offered = row["queued_at"] is not None
    handled = row["assigned_at"] is not None
    if offered:
        values["offered"] = 1
        if handled:
            wait = _seconds(row["assigned_at"], row["queued_at"]) or 0
            values["handled"] = 1
            values["wait_sum_s"] = wait
            values["answered_within_target"] = int(wait <= service_target_seconds(channel))
        else:
            values["abandoned"] = 1
    if handled:
        values["handle_sum_s"] = _seconds(row["resolved_at"], row["assigned_at"]) or 0
        if not offered:  # taken by hand straight from the bot: handled, answered at once
            values["handled"] = 1
    first_response = _seconds(row["first_response_at"], row["created_at"])
    if first_response is not None:
        values["first_response_count"] = 1
        values["first_response_sum_s"] = first_response
    values["resolution_sum_s"] = _seconds(row["resolved_at"], row["created_at"]) or 0
    if bot_involved:
        values["bot_conversations"] = 1
        values["handed_off"] = int(offered or handled)
        values["bot_contained"] = int(not (offered or handled))
    rating = row["satisfaction"]
    if rating:
        values["rated"] = 1
        values["rating_sum"] = rating
        values["satisfied"] = int(rating >= 4)
    values["repeat_contacts"] = int(is_repeat)
    return Fact(queue_id=row["queue_id"], channel=channel, interval_start=interval_floor(row["created_at"]),
                day=local_day(row["created_at"]), measures=values, unanswered=list(unanswered or []))


# --- one conversation at a time (lifecycle hooks) ------------------------------------------------------


def bot_involved(conversation_id: int) -> bool:
    return Message.objects.filter(conversation_id=conversation_id, author_kind=Message.Author.BOT).exists()


def is_repeat_contact(conversation: Conversation) -> bool:
    return Conversation.objects.filter(
        contact_id=conversation.contact_id, created_at__lt=conversation.created_at,
        created_at__gte=conversation.created_at - REPEAT_WINDOW).exclude(pk=conversation.pk).exists()


def unanswered_questions(conversation_ids: list[int]) -> dict[int, list[list[str]]]:
    """Questions the virtual agent handed off or lost, per conversation (empty when the bot app is absent)."""
    try:
        from guichet.bot.models import BotTurn
    except ImportError:  # the bot app is optional
        return {}
    found: dict[int, list[list[str]]] = {}
    turns = (BotTurn.objects.filter(conversation_id__in=conversation_ids, outcome__in=UNANSWERED_OUTCOMES)
             .values_list("conversation_id", "language", "question_key", "question"))
    for conversation_id, language, key, question in turns:
        found.setdefault(conversation_id, []).append([language or "", (key or question)[:300], question[:500]])
    return found


def compute_fact(conversation: Conversation) -> Fact:
    row = {name: getattr(conversation, name) for name in
           ("queue_id", "created_at", "queued_at", "assigned_at", "first_response_at", "resolved_at",
            "satisfaction")}
    return measure(row, channel=conversation.inbox.channel, bot_involved=bot_involved(conversation.pk),
                   is_repeat=is_repeat_contact(conversation),
                   unanswered=unanswered_questions([conversation.pk]).get(conversation.pk, []))


def record_conversation(conversation: Conversation) -> ConversationFact:
    """Store the resolved conversation's fact and move the stat tables by the difference with the old one."""
    fact = compute_fact(conversation)
    with transaction.atomic():
        stored = ConversationFact.objects.select_for_update().filter(conversation=conversation).first()
        if stored is not None:
            _apply(_as_fact(stored), sign=-1)
        else:
            stored = ConversationFact(conversation=conversation)
        for name, value in fact.measures.items():
            setattr(stored, name, value)
        stored.queue_id, stored.channel = fact.queue_id, fact.channel
        stored.interval_start, stored.day, stored.unanswered = fact.interval_start, fact.day, fact.unanswered
        stored.computed_at = timezone.now()
        stored.save()
        _apply(fact, sign=1)
        return stored


def _as_fact(stored: ConversationFact) -> Fact:
    return Fact(stored.queue_id, stored.channel, stored.interval_start, stored.day, stored.measures(),
                list(stored.unanswered or []))


def _apply(fact: Fact, *, sign: int) -> None:
    changes = {name: F(name) + sign * value for name, value in fact.measures.items() if value}
    if changes:
        for model, keys in ((IntervalStat, {"interval_start": fact.interval_start}), (DailyStat, {"day": fact.day})):
            row, _created = model.objects.get_or_create(queue_id=fact.queue_id, channel=fact.channel, **keys)
            model.objects.filter(pk=row.pk).update(**changes)
    for language, key, example in fact.unanswered:
        question, _created = QuestionStat.objects.get_or_create(day=fact.day, language=language, question_key=key,
                                                                defaults={"example": example})
        QuestionStat.objects.filter(pk=question.pk).update(count=F("count") + sign)
