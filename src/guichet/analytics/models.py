"""Reporting aggregates, kept up to date incrementally so report pages never scan conversations.

`ConversationFact` holds what one resolved conversation contributes (counts and second sums); the stat tables
are sums of facts per (queue, channel, 15-minute interval) and per (queue, channel, local day). A fact that
changes (a late rating, a reopened conversation resolved again, a transfer to another queue) moves its old
contribution out and its new one in, so the tables always equal the sum of the facts.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.conversations.models import Conversation
from guichet.routing.models import Queue

# Every additive measure, in one place: facts, stats and the rollup all iterate over this list.
MEASURES = (
    "conversations",  # resolved conversations (all, including bot-only ones)
    "offered",  # reached an agent queue
    "handled",  # answered by an agent
    "abandoned",  # reached the queue, never answered
    "answered_within_target",
    "wait_sum_s",  # queue entry to agent assignment, handled contacts
    "handle_sum_s",  # assignment to resolution, handled contacts
    "first_response_count",
    "first_response_sum_s",  # contact start to the first agent reply
    "resolution_sum_s",  # contact start to resolution, all conversations
    "bot_conversations",  # the virtual agent took part
    "bot_contained",  # the virtual agent took part and no person was needed
    "handed_off",  # the virtual agent took part and handed off to the queue
    "rated",
    "rating_sum",
    "satisfied",  # rated 4 or 5
    "repeat_contacts",  # the same citizen had started another conversation in the 7 days before
)


class Measures(models.Model):
    conversations = models.PositiveIntegerField(default=0)
    offered = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    answered_within_target = models.PositiveIntegerField(default=0)
    wait_sum_s = models.BigIntegerField(default=0)
    handle_sum_s = models.BigIntegerField(default=0)
    first_response_count = models.PositiveIntegerField(default=0)
    first_response_sum_s = models.BigIntegerField(default=0)
    resolution_sum_s = models.BigIntegerField(default=0)
    bot_conversations = models.PositiveIntegerField(default=0)
    bot_contained = models.PositiveIntegerField(default=0)
    handed_off = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    repeat_contacts = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def measures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in MEASURES}


class ConversationFact(Measures):
    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="analytics_fact")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)
    # Arrival interval (UTC, floored to 15 minutes) and the arrival's local calendar day.
    interval_start = models.DateTimeField()
    day = models.DateField()
    # Questions the virtual agent could not answer: [[language, question_key, example], ...].
    unanswered = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["interval_start"], name="fact_interval_idx")]

    def __str__(self) -> str:
        return f"fact {self.conversation_id}"


class IntervalStat(Measures):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)
    interval_start = models.DateTimeField()  # UTC, 15-minute resolution; 30/60 minutes are sums

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "channel", "interval_start"],
                                               name="intervalstat_unique_bucket")]
        indexes = [models.Index(fields=["interval_start"], name="intervalstat_start_idx")]

    def __str__(self) -> str:
        return f"{self.queue_id}/{self.channel}@{self.interval_start:%Y-%m-%d %H:%M}"


class DailyStat(Measures):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10)
    day = models.DateField()  # local calendar day (settings.TIME_ZONE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "channel", "day"], name="dailystat_unique_bucket")]
        indexes = [models.Index(fields=["day"], name="dailystat_day_idx")]

    def __str__(self) -> str:
        return f"{self.queue_id}/{self.channel}@{self.day}"


class QuestionStat(models.Model):
    """How often the virtual agent could not answer a question (clustered by its normalised key) per day."""

    day = models.DateField()
    language = models.CharField(max_length=10)
    question_key = models.CharField(max_length=300)
    count = models.IntegerField(default=0)
    example = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "language", "question_key"],
                                               name="questionstat_unique")]
        indexes = [models.Index(fields=["day"], name="questionstat_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.language}: {self.question_key[:40]}"


class SurveyRequest(models.Model):
    """A satisfaction question sent to a citizen at resolution, on the channel they used."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="surveys")
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=10)
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")

    def __str__(self) -> str:
        return f"survey {self.conversation_id} ({self.channel})"
