"""Formatting of report figures: percentages, durations and dashes for "nothing to measure"."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    if value is None:
        return "–"
    return _("%(value)s%%") % {"value": number_format(100 * value, 1)}


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    if seconds < 3600:
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": seconds // 60, "seconds": seconds % 60}
    return _("%(hours)d h %(minutes)02d min") % {"hours": seconds // 3600, "minutes": seconds % 3600 // 60}


@register.filter
def decimal1(value: float | None) -> str:
    return "–" if value is None else number_format(value, 1)
