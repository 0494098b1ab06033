"""Planner forms: every bad value is caught here with a message naming the field, in the planner's language.
Django ties each input to its help text and error (`aria-describedby` to `id_<name>_helptext` / `_error`).

Percentages are typed as percentages (80 for 80%) and converted to fractions for the maths.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.conversations.models import ChannelKind
from guichet.routing.models import Queue

MODEL_CHOICES = [("erlang-c", _("Erlang C (nobody abandons)")), ("erlang-a", _("Erlang A (with abandonment)"))]
INTERVAL_CHOICES = [(15, _("15 minutes")), (30, _("30 minutes")), (60, _("60 minutes"))]


class TargetFields(forms.Form):
    """Service target and staffing assumptions shared by the calculator and the what-if form."""

    aht_seconds = forms.FloatField(label=_("Average handle time (seconds)"), min_value=0.001,
                                   error_messages={"min_value": _("The average handle time must be greater than zero.")})
    target_seconds = forms.FloatField(label=_("Answer within (seconds)"), min_value=0, initial=20,
                                      error_messages={"min_value": _("The answer time cannot be negative.")})
    service_level = forms.FloatField(
        label=_("Service level target (%)"), initial=80, min_value=0.001, max_value=99.999,
        error_messages={"min_value": _("The service level must be between 0 and 100%%, not included."),
                        "max_value": _("The service level must be between 0 and 100%%, not included.")})
    model = forms.ChoiceField(label=_("Model"), choices=MODEL_CHOICES, initial="erlang-a")
    patience_seconds = forms.FloatField(
        label=_("Average patience before abandoning (seconds)"), required=False, min_value=0.001,
        error_messages={"min_value": _("The average patience must be greater than zero.")},
        help_text=_("Needed by Erlang A: how long citizens wait on average before giving up."))
    shrinkage = forms.FloatField(
        label=_("Shrinkage (%)"), initial=30, min_value=0, max_value=99.9,
        help_text=_("Time paid but not available: breaks, training, absence."),
        error_messages={"min_value": _("Shrinkage must be from 0 to less than 100%%."),
                        "max_value": _("Shrinkage must be from 0 to less than 100%%.")})
    concurrency = forms.IntegerField(
        label=_("Contacts one agent handles at once"), initial=1, min_value=1, max_value=10,
        error_messages={"min_value": _("An agent handles at least one contact at a time."),
                        "max_value": _("At most 10 contacts at once.")})

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("model") == "erlang-a" and not data.get("patience_seconds") and \
                "patience_seconds" not in self.errors:
            self.add_error("patience_seconds", _("Erlang A needs the average patience, in seconds."))
        return data


class StaffingForm(TargetFields):
    calls_per_interval = forms.FloatField(label=_("Contacts per interval"), min_value=0.001,
                                          error_messages={"min_value": _("Contacts per interval must be greater than zero.")})
    interval_minutes = forms.TypedChoiceField(label=_("Interval"), choices=INTERVAL_CHOICES, coerce=int,
                                              initial=30)
    field_order = ["calls_per_interval", "interval_minutes", "aht_seconds", "target_seconds", "service_level",
                   "model", "patience_seconds", "shrinkage", "concurrency"]


class HistoryFields(forms.Form):
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.all(), to_field_name="slug",
                                   empty_label=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=ChannelKind.choices, initial="web")
    interval_minutes = forms.TypedChoiceField(label=_("Interval"), choices=INTERVAL_CHOICES, coerce=int,
                                              initial=30)


class ForecastForm(HistoryFields):
    days = forms.IntegerField(label=_("Days to forecast"), initial=7, min_value=1, max_value=28,
                              error_messages={"min_value": _("Forecast at least one day."),
                                              "max_value": _("Forecast at most 28 days.")})


def next_monday() -> str:
    today = timezone.localdate()
    return (today + timedelta(days=7 - today.weekday())).isoformat()


class ScenarioForm(HistoryFields, TargetFields):
    day = forms.DateField(label=_("Day to plan"), widget=forms.DateInput(attrs={"type": "date"}))
    volume_multiplier = forms.FloatField(
        label=_("Volume multiplier"), initial=1, min_value=0, max_value=100,
        help_text=_("For example 10 for ten times the usual volume."),
        error_messages={"min_value": _("The volume multiplier cannot be negative."),
                        "max_value": _("The volume multiplier can be at most 100.")})
    from_date = forms.DateField(label=_("Starting on (optional)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    bot_containment = forms.FloatField(
        label=_("Extra bot containment (%)"), initial=0, min_value=0, max_value=99,
        help_text=_("Share of the remaining contacts the virtual agent would resolve alone."),
        error_messages={"min_value": _("Bot containment must be from 0 to 99%%."),
                        "max_value": _("Bot containment must be from 0 to 99%%.")})
    staffing = forms.ChoiceField(label=_("Simulate with"), initial="scenario", choices=[
        ("scenario", _("the agents the what-if needs")), ("baseline", _("the agents planned without the what-if"))])
    aht_seconds = forms.FloatField(label=_("Average handle time (seconds)"), min_value=0.001, required=False,
                                   error_messages={"min_value": _("The average handle time must be greater than zero.")},
                                   help_text=_("Leave empty to use the average from the history."))
    field_order = ["queue", "channel", "interval_minutes", "day", "volume_multiplier", "from_date",
                   "bot_containment", "aht_seconds", "target_seconds", "service_level", "model", "patience_seconds",
                   "shrinkage", "concurrency", "staffing"]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        day = data.get("day")
        if day is not None and not timezone.localdate() <= day <= timezone.localdate() + timedelta(days=28):
            self.add_error("day", _("Choose a day from today to 28 days ahead."))
        return data
