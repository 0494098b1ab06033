"""Queues: where waiting conversations line up for a team of agents."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guichet.agents.models import Team


def default_business_hours() -> dict[str, list[list[str]]]:
    # Monday..Friday 08:30-17:00 local time; keys are ISO weekday numbers 1..7.
    return {str(day): [["08:30", "17:00"]] for day in range(1, 6)}


class Queue(models.Model):
    slug = models.SlugField(unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="queues", verbose_name=_("team"))
    # Skill name -> minimum level an agent needs; preferred skills only rank agents.
    required_skills = models.JSONField(_("required skills"), default=dict, blank=True)
    preferred_skills = models.JSONField(_("preferred skills"), default=dict, blank=True)
    default_priority = models.PositiveSmallIntegerField(_("default priority"), default=5)
    # Overflow stages: [{"after_s": 300, "teams": ["team-slug"], "relax_skills": true}, ...]
    overflow = models.JSONField(_("overflow rules"), default=list, blank=True)
    sticky_window_s = models.PositiveIntegerField(_("sticky routing window (seconds)"), default=120)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Toronto")
    business_hours = models.JSONField(_("business hours"), default=default_business_hours, blank=True)
    always_open = models.BooleanField(_("open around the clock"), default=False)
    holidays = models.JSONField(_("holidays (YYYY-MM-DD)"), default=list, blank=True)
    # Above this estimated wait the citizen is offered a callback that keeps their place.
    callback_offer_after_s = models.PositiveIntegerField(_("offer a callback above (seconds)"), default=180)
    # Seconds an agent stays in wrap-up after resolving a conversation of this queue (0: straight back).
    wrap_up_s = models.PositiveIntegerField(_("wrap-up after each conversation (seconds)"), default=0)
    # Service level target: a conversation is "answered in time" when assigned within this many seconds.
    service_level_target_s = models.PositiveIntegerField(_("service level target (seconds)"), default=60)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en



class CallbackRequest(models.Model):
    """A citizen asked to be contacted instead of waiting: it keeps their original place in line.

    The conversation stays in the queue; while a callback is pending it is routed as a `callback` work item
    (phone), an `email` one, or on its own channel (chat), and it is assigned with the conversation.
    """

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone call")
        CHAT = "chat", _("Chat")
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an agent")
        ASSIGNED = "assigned", _("With an agent")
        DONE = "done", _("Done")
        FAILED = "failed", _("Could not reach the citizen")

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE,
                                     related_name="routing_callbacks")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="callbacks")
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # The conversation's place in line when the callback was asked for: the callback keeps it.
    queued_at = models.DateTimeField()
    assignee = models.ForeignKey("agents.AgentProfile", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="callbacks")
    created_at = models.DateTimeField(default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.CharField(_("outcome"), max_length=300, blank=True)

    class Meta:
        ordering = ["queued_at", "id"]
        indexes = [models.Index(fields=["status", "queue"], name="callback_status_idx")]
        constraints = [
            # At most one open callback per conversation: a repeated request finds the existing one.
            models.UniqueConstraint(fields=["conversation"], condition=models.Q(status__in=["pending", "assigned"]),
                                    name="callback_one_open_per_conversation"),
        ]
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.phone or self.email} ({self.status})"

    @property
    def routing_channel(self) -> str:
        if self.method == self.Method.PHONE:
            return "callback"
        if self.method == self.Method.EMAIL:
            return "email"
        return ""  # chat: the conversation's own channel


class AssignmentLog(models.Model):
    """One row per assignment made by routing: the previous agent for sticky routing, service level, audits.

    `waited_s` is how long the conversation had waited in line (from its place in line to the assignment).
    """

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE,
                                      related_name="assignment_logs")
    contact_id = models.BigIntegerField(db_index=True)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="assignment_logs")
    agent = models.ForeignKey("agents.AgentProfile", on_delete=models.CASCADE, related_name="assignment_logs")
    channel = models.CharField(max_length=10)
    queued_at = models.DateTimeField()
    assigned_at = models.DateTimeField(default=timezone.now)
    waited_s = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["queue", "assigned_at"], name="assignment_queue_time_idx")]

    def __str__(self) -> str:
        return f"{self.conversation_id} -> {self.agent_id} ({self.channel})"
