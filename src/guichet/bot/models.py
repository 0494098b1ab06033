"""The virtual agent's memory: per-conversation dialogue state, every turn (learning loop), guided flows
defined in the admin, and follow-up tasks left for a queue outside business hours."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.conversations.models import Conversation
from guichet.routing.models import Queue


class BotSession(models.Model):
    """Dialogue state of one conversation: consecutive failures, the flow in progress, pending questions."""

    class Pending(models.TextChoices):
        NONE = "", _("Nothing")
        CLOSED_OFFER = "closed_offer", _("Choosing between a message and a callback")
        LEAVE_MESSAGE = "leave_message", _("Writing a message for the team")
        CALLBACK_PHONE = "callback_phone", _("Giving a phone number for a callback")

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="bot_session")
    failures = models.PositiveSmallIntegerField(default=0)
    flow_slug = models.CharField(max_length=100, blank=True)
    flow_step = models.PositiveSmallIntegerField(default=0)
    # Values collected by flows, by slot name; kept after the flow ends so a hand-off carries them.
    answers = models.JSONField(default=dict, blank=True)
    # What the flow's integration returned, plus the attempt count of the call in progress.
    flow_result = models.JSONField(default=dict, blank=True)
    # Article ids offered in the last clarifying question (a "bot.choose" button must name one of them).
    offered = models.JSONField(default=list, blank=True)
    pending = models.CharField(max_length=20, choices=Pending.choices, blank=True, default="")
    # Context prepared for a hand-off that waits on the citizen's choice (outside business hours).
    pending_context = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"bot session {self.conversation_id}"


class BotTurn(models.Model):
    """One question the virtual agent handled, with personal information redacted, for the learning loop."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        CLARIFIED = "clarified", _("Asked to clarify")
        HANDED_OFF = "handed_off", _("Handed off")
        ABANDONED = "abandoned", _("Abandoned")

    class Feedback(models.TextChoices):
        NONE = "", _("No feedback")
        HELPFUL = "yes", _("Helpful")
        NOT_HELPFUL = "no", _("Not helpful")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="bot_turns")
    question = models.TextField(_("question (redacted)"))
    # Normalised tokens of the question: the clustering key of the insights page.
    question_key = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=10)
    # [{"article_id", "title", "score", "probability"}] best first.
    candidates = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    article_id = models.CharField(max_length=40, blank=True)
    feedback = models.CharField(max_length=3, choices=Feedback.choices, blank=True, default="")
    channel = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["outcome", "created_at"], name="botturn_outcome_idx")]
        verbose_name = _("virtual agent turn")
        verbose_name_plural = _("virtual agent turns")

    def __str__(self) -> str:
        return f"{self.outcome}: {self.question[:40]}"


class Flow(models.Model):
    """A guided self-service dialogue; the definition is validated on save (see bot/flows.py)."""

    slug = models.SlugField(unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    definition = models.JSONField(_("definition"), help_text=_("Steps as documented in docs/virtual-agent.md."))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("guided flow")
        verbose_name_plural = _("guided flows")

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        from guichet.bot.flows import FlowDefinitionError, parse_definition

        try:
            parse_definition(self.slug, self.definition)
        except FlowDefinitionError as error:
            raise ValidationError({"definition": error.problems}) from error


class Integration(models.Model):
    """Where a flow's `call` step sends its signed request, configured in the admin (or by the demo loader).

    Settings (GUICHET_INTEGRATIONS) and the environment (GUICHET_INTEGRATION_<NAME>_URL) win over a row, so an
    operator's explicit configuration is never shadowed. A `url` starting with "/" is a path on this Guichet
    (joined to PUBLIC_BASE_URL): the built-in demo government API lives at /bot/demo-api/.
    """

    name = models.SlugField(_("name"), max_length=60, unique=True,
                            help_text=_("The name used by the flows' call steps, e.g. application_status."))
    url = models.CharField(_("URL"), max_length=500,
                           help_text=_("https://… or a path on this site starting with /"))
    secret = models.CharField(_("signing secret"), max_length=200, blank=True,
                              help_text=_("Shared secret for the HMAC signature; empty: the site's secret key."))
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.url.startswith(("https://", "http://")) or self.url.startswith("/")):
            raise ValidationError({"url": _("Enter an http(s) address or a path on this site starting with /.")})


class FollowUpTask(models.Model):
    """Work left for a queue when nobody was available: a message to answer or a callback to make."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message to answer")
        CALLBACK = "callback", _("Callback request")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="follow_up_tasks")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="follow_up_tasks")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    note = models.TextField(_("message"), blank=True)
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey("agents.AgentProfile", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")

    def __str__(self) -> str:
        return f"{self.kind} {self.conversation_id}"
