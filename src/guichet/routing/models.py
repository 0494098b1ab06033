"""Queues: where waiting conversations line up for a team of agents."""

from __future__ import annotations

from django.db import models
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

    class Meta:
        ordering = ["slug"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en
