"""Desk forms: validation of what agents type before it reaches conversations.actions."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guichet.agents.models import AgentProfile

# The presence states an agent chooses by hand; wrap-up is set by the system after a call.
SELECTABLE_PRESENCE = [
    (AgentProfile.Presence.AVAILABLE.value, AgentProfile.Presence.AVAILABLE.label),
    (AgentProfile.Presence.AWAY.value, AgentProfile.Presence.AWAY.label),
    (AgentProfile.Presence.OFFLINE.value, AgentProfile.Presence.OFFLINE.label),
]


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label=_("My status"), choices=SELECTABLE_PRESENCE)


class MessageForm(forms.Form):
    """Reply or note body; the length limit is the same one actions enforce, so errors match."""

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("The message is empty.")},
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        limit = getattr(settings, "GUICHET_MAX_MESSAGE_CHARS", 4000)
        self.fields["body"].widget.attrs["maxlength"] = str(limit)


class TransferForm(forms.Form):
    """`target` is "team:<slug>" or "agent:<id>"; the view resolves it through agents.access."""

    target = forms.CharField(label=_("Transfer to"), error_messages={
        "required": _("Choose a team or an agent to transfer to.")})
    note = forms.CharField(label=_("Note for the next person (internal)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def target_parts(self) -> tuple[str, str]:
        kind, _sep, value = self.cleaned_data["target"].partition(":")
        return kind, value
