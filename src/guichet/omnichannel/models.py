"""Channel plumbing the conversation model does not need to know about: email thread keys, attachments,
SMS opt-outs and phone calls. Callback requests belong to routing (routing.CallbackRequest)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.conversations.models import Conversation, Inbox, Message


class EmailThreadKey(models.Model):
    """An RFC 5322 Message-ID seen (inbound) or sent (outbound) in a conversation: replies thread by it."""

    mail_id = models.CharField(max_length=500, unique=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="email_keys")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.mail_id


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random; the citizen's file name is kept in `filename` only (never trusted as a path).
    return f"attachments/{timezone.now():%Y/%m}/{instance.sha256[:16]}-{instance.token}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    token = models.CharField(max_length=32)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class SmsOptOut(models.Model):
    """A number that texted STOP/ARRÊT to an inbox: nothing more is sent until START/DÉBUT."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="sms_opt_outs")
    phone = models.CharField(max_length=32)
    opted_out = models.BooleanField(default=True)
    keyword = models.CharField(max_length=20, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "phone"], name="sms_opt_out_unique")]
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return f"{self.phone} ({'out' if self.opted_out else 'in'})"


class CallSession(models.Model):
    """One phone call, keyed by the provider's CallSid; its IVR state lives here between webhooks."""

    class State(models.TextChoices):
        LANGUAGE = "language", _("Choosing a language")
        MENU = "menu", _("In the menu")
        BOT = "bot", _("With the virtual agent")
        WAITING = "waiting", _("Waiting for an agent")
        CONNECTED = "connected", _("Talking to an agent")
        CALLBACK = "callback", _("Callback requested")
        ENDED = "ended", _("Ended")

    call_sid = models.CharField(max_length=64, unique=True)
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="calls")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="calls")
    from_number = models.CharField(max_length=32)
    state = models.CharField(max_length=12, choices=State.choices, default=State.LANGUAGE)
    language = models.CharField(max_length=10, default="en")
    # Every step the caller took: [{"step": "language", "input": "2", "at": "..."}, ...]
    ivr_path = models.JSONField(default=list, blank=True)
    bot_turns = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")

    def __str__(self) -> str:
        return self.call_sid


class VoiceLine(Inbox):
    """The phone inboxes, seen from the admin page that edits their menu (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("phone menu")
        verbose_name_plural = _("phone menus")
