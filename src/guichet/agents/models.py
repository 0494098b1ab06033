"""Teams and the people who answer citizens: agents, supervisors and administrators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def default_capacity() -> dict[str, int]:
    # Usual contact-centre loads: several chats or text threads, a few emails, one call at a time.
    return {"chat": 3, "sms": 3, "email": 5, "voice": 1, "callback": 1}


class Team(models.Model):
    slug = models.SlugField(unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en


class AgentProfile(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        SUPERVISOR = "supervisor", _("Supervisor")
        ADMIN = "admin", _("Administrator")

    class Presence(models.TextChoices):
        AVAILABLE = "available", _("Available")
        AWAY = "away", _("Away")
        WRAP_UP = "wrap_up", _("In wrap-up")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(_("display name"), max_length=120)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="members", blank=True, verbose_name=_("teams"))
    # Language codes the agent can serve in, e.g. ["en", "fr"].
    languages = models.JSONField(_("languages"), default=list)
    # Skill name -> level 1..5, e.g. {"benefits": 4, "passports": 2}.
    skills = models.JSONField(_("skills"), default=dict, blank=True)
    # Channel kind -> how many at once, e.g. {"chat": 3, "voice": 1}.
    capacity = models.JSONField(_("capacity"), default=default_capacity)
    ui_language = models.CharField(_("interface language"), max_length=10, default="en")
    presence = models.CharField(max_length=20, choices=Presence.choices, default=Presence.OFFLINE)
    presence_changed_at = models.DateTimeField(default=timezone.now)
    # When the agent last became free of work: the longest idle agent is offered work first (fair share).
    idle_since = models.DateTimeField(default=timezone.now)
    # Where a voice call is connected when routing assigns one (E.164 number or SIP URI).
    voice_address = models.CharField(_("phone or SIP address"), max_length=200, blank=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def sees_all_queues(self) -> bool:
        return self.role in {self.Role.SUPERVISOR, self.Role.ADMIN}


class AgentConnection(models.Model):
    """One open agent websocket; presence drops to away when the last one closes."""

    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.agent_id}:{self.channel_name}"
