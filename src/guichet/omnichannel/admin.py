"""Admin: channel records (read-mostly) and the phone menu of each voice inbox."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.omnichannel.models import (
    Attachment,
    CallSession,
    EmailThreadKey,
    SmsOptOut,
    VoiceLine,
)
from guichet.routing.models import Queue


def check_ivr_menu(entries: Any) -> list[dict[str, str]]:
    """A list of {digit, label_en, label_fr, queue}: digits 1-8 (0 = agent, 9 = callback), unique, known queues."""
    if not isinstance(entries, list):
        raise forms.ValidationError(_("The menu must be a list of entries."))
    seen, cleaned = set(), []
    known = set(Queue.objects.values_list("slug", flat=True))
    for entry in entries:
        if not isinstance(entry, dict):
            raise forms.ValidationError(_("Each menu entry must be an object."))
        digit = str(entry.get("digit", ""))
        if digit not in set("12345678") or digit in seen:
            raise forms.ValidationError(_("Each entry needs its own digit from 1 to 8 (%(digit)s).")
                                        % {"digit": digit or "?"})
        if not str(entry.get("label_en", "")).strip() or not str(entry.get("label_fr", "")).strip():
            raise forms.ValidationError(_("Each entry needs an English and a French label."))
        if entry.get("queue") not in known:
            raise forms.ValidationError(_("Unknown queue: %(queue)s.") % {"queue": entry.get("queue")})
        seen.add(digit)
        cleaned.append({"digit": digit, "label_en": str(entry["label_en"]).strip(),
                        "label_fr": str(entry["label_fr"]).strip(), "queue": entry["queue"]})
    return cleaned


class VoiceLineForm(forms.ModelForm):
    ivr_menu = forms.JSONField(
        label=gettext_lazy("Phone menu"), required=False,
        help_text=gettext_lazy('For example: [{"digit": "1", "label_en": "benefits", "label_fr": "les prestations", '
                               '"queue": "benefits"}]'))

    class Meta:
        model = VoiceLine
        fields = ["name_en", "name_fr", "languages", "bot_enabled", "bot_answers_need_approval", "default_queue"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ivr_menu"].initial = (self.instance.config or {}).get("ivr_menu", [])

    def clean_ivr_menu(self) -> list[dict[str, str]]:
        return check_ivr_menu(self.cleaned_data.get("ivr_menu") or [])

    def save(self, commit: bool = True):  # type: ignore[no-untyped-def]
        self.instance.config = {**(self.instance.config or {}), "ivr_menu": self.cleaned_data["ivr_menu"]}
        return super().save(commit)


@admin.register(VoiceLine)
class VoiceLineAdmin(admin.ModelAdmin):
    form = VoiceLineForm
    list_display = ["slug", "name_en", "bot_enabled"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(channel="voice")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # inboxes are created in the inbox admin; this page edits the phone menu


@admin.register(CallSession)
class CallSessionAdmin(admin.ModelAdmin):
    list_display = ["call_sid", "inbox", "conversation", "from_number", "state", "started_at", "ended_at"]
    list_filter = ["state", "inbox"]
    search_fields = ["call_sid", "from_number", "conversation__reference"]
    readonly_fields = ["call_sid", "inbox", "conversation", "ivr_path", "started_at", "queued_at", "connected_at",
                       "ended_at", "recording_url"]


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["phone", "inbox", "opted_out", "keyword", "changed_at"]
    list_filter = ["opted_out", "inbox"]
    search_fields = ["phone"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "message", "created_at"]
    readonly_fields = ["message", "filename", "content_type", "size", "sha256", "file"]


@admin.register(EmailThreadKey)
class EmailThreadKeyAdmin(admin.ModelAdmin):
    list_display = ["mail_id", "conversation", "created_at"]
    search_fields = ["mail_id", "conversation__reference"]
