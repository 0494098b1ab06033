"""Citizens, the entry points they use, their conversations and every message in them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guichet.agents.models import AgentProfile
from guichet.routing.models import Queue


class ChannelKind(models.TextChoices):
    WEB = "web", _("Web chat")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Phone")


# Routing capacity is counted per channel kind; web chats count as "chat".
ROUTING_CHANNEL = {"web": "chat", "email": "email", "sms": "sms", "voice": "voice"}


class Contact(models.Model):
    """One citizen, whatever channel they use; merged contacts point at the one that absorbed them."""

    display_name = models.CharField(_("name"), max_length=200, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, default="en")
    # e.g. {"large_text": true, "high_contrast": true, "text_instead_of_phone": true}
    accessibility = models.JSONField(_("accessibility preferences"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_contacts"
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


class ContactIdentity(models.Model):
    class Kind(models.TextChoices):
        WEB_SESSION = "web", _("Web session")
        EMAIL = "email", _("Email address")
        PHONE = "phone", _("Phone number")
        LOGIN = "login", _("Verified login")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Normalised: lower-case email, E.164 phone, opaque session id, "issuer|subject" for logins.
    value = models.CharField(max_length=320)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")]
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Inbox(models.Model):
    """One entry point: a widget on a site, an email address, an SMS number or a phone line."""

    slug = models.SlugField(unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    # Provider settings (addresses, phone numbers, credentials by environment-variable name, IVR menu...).
    config = models.JSONField(_("provider configuration"), default=dict, blank=True)
    languages = models.JSONField(_("languages"), default=list)
    default_queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="inboxes")
    bot_enabled = models.BooleanField(_("virtual agent answers first"), default=True)
    # Hybrid mode for services where no answer may go out unchecked: the virtual agent finds the article and
    # an agent sends it (or writes something better); the citizen is told a person is checking.
    bot_answers_need_approval = models.BooleanField(_("an agent approves the virtual agent's answers"),
                                                    default=False)
    # Origins allowed to embed this inbox's widget; empty means the deployment-wide setting.
    allowed_origins = models.JSONField(_("allowed widget origins"), default=list, blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en


class ReferenceCounter(models.Model):
    """Gapless yearly counter behind public reference numbers such as GC-2026-000123."""

    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot", _("With the virtual agent")
        QUEUED = "queued", _("Waiting for an agent")
        ASSIGNED = "assigned", _("With an agent")
        PENDING = "pending", _("Waiting for the citizen")
        RESOLVED = "resolved", _("Resolved")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    language = models.CharField(_("language of record"), max_length=10, default="en")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="conversations")
    priority = models.PositiveSmallIntegerField(_("priority"), default=5)
    assignee = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Waiting order: when it (re-)entered the queue; a requeue after an agent vanished keeps the old place.
    queued_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    # What the virtual agent learned before handing off: transcript summary, candidates, collected answers.
    handoff_context = models.JSONField(default=dict, blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "queue", "priority", "queued_at"], name="conv_waiting_idx"),
            models.Index(fields=["assignee", "status"], name="conv_assignee_idx"),
            models.Index(fields=["contact", "created_at"], name="conv_contact_idx"),
        ]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def routing_channel(self) -> str:
        return ROUTING_CHANNEL.get(self.inbox.channel, "chat")


class Message(models.Model):
    class Author(models.TextChoices):
        CONTACT = "contact", _("Citizen")
        BOT = "bot", _("Virtual agent")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    class Delivery(models.TextChoices):
        NOT_APPLICABLE = "", _("Not applicable")
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Gapless order inside the conversation; clients replay "everything after seq N".
    seq = models.PositiveIntegerField()
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author_agent = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField()
    language = models.CharField(max_length=10, blank=True)
    # Machine translations keyed by language code: {"fr": {"text": "...", "provider": "libretranslate"}}.
    translations = models.JSONField(default=dict, blank=True)
    is_private = models.BooleanField(_("internal note"), default=False)
    # Idempotency keys: the widget's own id for a message, and the provider's id for inbound/outbound traffic.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    provider_id = models.CharField(max_length=200, null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    delivery_status = models.CharField(max_length=10, choices=Delivery.choices, blank=True, default="")
    delivery_error = models.TextField(blank=True)
    # Structured extras: bot candidates and buttons, email headers, call events, attachments.
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_unique_client_id",
            ),
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=Q(provider_id__isnull=False),
                name="message_unique_provider_id",
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"
