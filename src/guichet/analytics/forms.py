"""Report filters and the public satisfaction survey form; errors name the field in plain words."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.analytics.reports import ReportFilter
from guichet.conversations.models import ChannelKind
from guichet.routing.models import Queue

MAX_DAYS = 366
MAX_INTERVAL_DAYS = 31  # interval reports read 15-minute rows: keep a page to a month


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    grouping = forms.ChoiceField(label=_("Group by"), choices=[
        ("day", _("Day")), ("60", _("60-minute intervals")), ("30", _("30-minute intervals")),
        ("15", _("15-minute intervals"))], initial="day")
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.all(), required=False,
                                   empty_label=_("All queues"), to_field_name="slug")
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels")), *ChannelKind.choices])

    @classmethod
    def defaults(cls) -> dict[str, str]:
        today = timezone.localdate()
        return {"start": (today - timedelta(days=28)).isoformat(), "end": (today - timedelta(days=1)).isoformat(),
                "grouping": "day"}

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date must be on or after the start date."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
            elif data.get("grouping") != "day" and (end - start).days + 1 > MAX_INTERVAL_DAYS:
                self.add_error("grouping", _("Interval reports cover at most %(days)d days; group by day for a "
                                             "longer period.") % {"days": MAX_INTERVAL_DAYS})
        return data

    def report_filter(self) -> ReportFilter:
        data = self.cleaned_data
        return ReportFilter(start=data["start"], end=data["end"], grouping=data["grouping"],
                            queue=data.get("queue"), channel=data.get("channel") or "")


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the help you received?"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("5 – Very satisfied")), (4, _("4 – Satisfied")), (3, _("3 – Neutral")),
                 (2, _("2 – Dissatisfied")), (1, _("1 – Very dissatisfied"))],
        error_messages={"required": _("Choose a rating from 1 to 5."),
                        "invalid_choice": _("Choose a rating from 1 to 5.")})
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))
