"""Supervisor forms and the queue admin form (validation before any write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.routing.actions import ConfigurationError, check_queue_configuration
from guichet.routing.models import CallbackRequest, Queue


def parse_pairs(text: str, *, what: str) -> dict[str, int]:
    """ "benefits: 3, passports: 2" -> {"benefits": 3, "passports": 2}; ValidationError with a clear message."""
    pairs: dict[str, int] = {}
    for chunk in (text or "").replace(";", ",").split(","):
        if not chunk.strip():
            continue
        name, sep, number = chunk.partition(":")
        if not sep or not name.strip() or not number.strip().lstrip("-").isdigit():
            raise forms.ValidationError(
                _("Write each %(what)s as name: number, separated by commas (for example chat: 3, email: 5).")
                % {"what": what})
        pairs[name.strip()] = int(number.strip())
    return pairs


def format_pairs(values: dict[str, Any] | None) -> str:
    return ", ".join(f"{name}: {value}" for name, value in sorted((values or {}).items()))


class TeamsForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(queryset=None, required=False,  # type: ignore[arg-type]
                                           widget=forms.CheckboxSelectMultiple,
                                           label=gettext_lazy("Teams"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from guichet.agents.models import Team

        self.fields["teams"].queryset = Team.objects.order_by("slug")


class SkillsForm(forms.Form):
    skills = forms.CharField(label=gettext_lazy("Skills (name: level 1-5)"), required=False, max_length=500)

    def clean_skills(self) -> dict[str, int]:
        return parse_pairs(self.cleaned_data["skills"], what=_("skill"))


class CapacityForm(forms.Form):
    capacity = forms.CharField(label=gettext_lazy("Capacity (channel: how many at once)"), max_length=200)

    def clean_capacity(self) -> dict[str, int]:
        return parse_pairs(self.cleaned_data["capacity"], what=_("capacity"))


class CallbackOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(CallbackRequest.Status.DONE, gettext_lazy("Done")),
                                         (CallbackRequest.Status.FAILED, gettext_lazy("Could not reach"))])
    note = forms.CharField(required=False, max_length=300, label=gettext_lazy("Note"))


class QueueAdminForm(forms.ModelForm):
    """Refuses a queue nobody could ever serve (see routing.actions.check_queue_configuration)."""

    class Meta:
        model = Queue
        fields = ["slug", "name_en", "name_fr", "team", "required_skills", "preferred_skills", "default_priority",
                  "overflow", "sticky_window_s", "timezone", "business_hours", "always_open", "holidays",
                  "callback_offer_after_s", "wrap_up_s", "service_level_target_s"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = self.instance
        for name, value in cleaned.items():
            setattr(candidate, name, value)
        try:
            check_queue_configuration(candidate)
        except ConfigurationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return cleaned
