"""Bilingual demo data for `make run`, the browser tests and the benchmarks.

Idempotent: every row is looked up by its natural key and created only when missing, so re-running keeps
whatever an operator changed. Demo passwords are random, generated once per user and written to
`<GUICHET_VAR_DIR>/demo-logins.txt` (mode 600); an existing user's password is never reset.
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from guichet.agents.models import AgentProfile, Team
from guichet.conversations.models import Inbox
from guichet.routing.models import Queue

LOGINS_FILE_NAME = "demo-logins.txt"

TEAMS = [
    {"slug": "general", "name_en": "General enquiries", "name_fr": "Renseignements généraux"},
    {"slug": "benefits", "name_en": "Benefits", "name_fr": "Prestations"},
]

# The demo must answer at any hour (people try it in the evening): demo queues are open around the clock.
QUEUES = [
    {"slug": "general", "name_en": "General enquiries", "name_fr": "Renseignements généraux",
     "team": "general", "required_skills": {}, "always_open": True},
    {"slug": "benefits", "name_en": "Benefits", "name_fr": "Prestations",
     "team": "benefits", "required_skills": {"benefits": 2}, "always_open": True},
]

INBOXES = [
    {"slug": "demo-web", "name_en": "Demo website", "name_fr": "Site de démonstration", "channel": "web",
     "queue": "general", "bot_enabled": True, "languages": ["en", "fr"], "config": {}},
    {"slug": "benefits-web", "name_en": "Benefits website", "name_fr": "Site des prestations",
     "channel": "web", "queue": "benefits", "bot_enabled": False, "languages": ["en", "fr"], "config": {}},
    {"slug": "demo-email", "name_en": "Demo email", "name_fr": "Courriel de démonstration", "channel": "email",
     "queue": "general", "bot_enabled": False, "languages": ["en", "fr"],
     "config": {"address": "help@demo.guichet.local"}},
    {"slug": "demo-sms", "name_en": "Demo SMS", "name_fr": "Texto de démonstration", "channel": "sms",
     "queue": "general", "bot_enabled": True, "languages": ["en", "fr"], "config": {"number": "+15145550100"}},
    {"slug": "demo-voice", "name_en": "Demo phone line", "name_fr": "Ligne téléphonique de démonstration",
     "channel": "voice", "queue": "general", "bot_enabled": True, "languages": ["en", "fr"],
     "config": {"number": "+15145550199"}},
]

# role key (as used by tests and the README) -> user and profile
PEOPLE = [
    {"key": "agent_en", "display_name": "Alex Morgan", "role": "agent", "languages": ["en"],
     "teams": ["general"], "skills": {}, "ui_language": "en"},
    {"key": "agent_fr", "display_name": "Camille Tremblay", "role": "agent", "languages": ["fr"],
     "teams": ["general"], "skills": {}, "ui_language": "fr"},
    {"key": "agent_bi", "display_name": "Sam Gagnon", "role": "agent", "languages": ["en", "fr"],
     "teams": ["general", "benefits"], "skills": {"benefits": 3}, "ui_language": "en"},
    {"key": "supervisor", "display_name": "Jordan Lee", "role": "supervisor", "languages": ["en", "fr"],
     "teams": ["general", "benefits"], "skills": {}, "ui_language": "en"},
    {"key": "admin", "display_name": "Dominique Roy", "role": "admin", "languages": ["en", "fr"],
     "teams": ["general", "benefits"], "skills": {}, "ui_language": "en"},
]

# Other apps add their demo content by providing these functions; a missing module is simply skipped.
OPTIONAL_HOOKS = [
    ("guichet.knowledge.demo", "load_demo_knowledge"),
    ("guichet.analytics.demo", "load_demo_history"),
    ("guichet.bot.demo", "load_demo_flows"),
    ("guichet.omnichannel.demo", "configure_demo_channels"),
]


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    logins: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    hooks_run: list[str] = field(default_factory=list)
    hooks_missing: list[str] = field(default_factory=list)


def logins_path() -> Path:
    return Path(settings.VAR_DIR) / LOGINS_FILE_NAME


def read_logins(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """role -> (username, password) from the logins file; missing file means no known passwords."""
    path = path or logins_path()
    if not path.exists():
        return {}
    logins: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        role, username, password = line.split()
        logins[role] = (username, password)
    return logins


def write_logins(logins: dict[str, tuple[str, str]], path: Path | None = None) -> None:
    path = path or logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Guichet demo logins, for local use only: role username password"]
    lines += [f"{role} {username} {password}" for role, (username, password) in sorted(logins.items())]
    # Create with 600 from the start: the passwords must never be world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def generate_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, passes the 12-character validator


def _ensure_teams(report: SeedReport) -> dict[str, Team]:
    teams = {}
    for spec in TEAMS:
        team, created = Team.objects.get_or_create(
            slug=spec["slug"], defaults={"name_en": spec["name_en"], "name_fr": spec["name_fr"]})
        if created:
            report.created.append(f"team {team.slug}")
        teams[team.slug] = team
    return teams


def _ensure_queues(report: SeedReport, teams: dict[str, Team]) -> dict[str, Queue]:
    queues = {}
    for spec in QUEUES:
        defaults = {key: value for key, value in spec.items() if key not in {"slug", "team"}}
        queue, created = Queue.objects.get_or_create(slug=spec["slug"],
                                                     defaults={**defaults, "team": teams[spec["team"]]})
        if created:
            report.created.append(f"queue {queue.slug}")
        queues[queue.slug] = queue
    return queues


def _ensure_inboxes(report: SeedReport, queues: dict[str, Queue]) -> None:
    for spec in INBOXES:
        defaults = {key: value for key, value in spec.items() if key not in {"slug", "queue"}}
        inbox, created = Inbox.objects.get_or_create(
            slug=spec["slug"], defaults={**defaults, "default_queue": queues[spec["queue"]]})
        if created:
            report.created.append(f"inbox {inbox.slug}")


def _ensure_person(report: SeedReport, spec: dict[str, Any], teams: dict[str, Team],
                   known: dict[str, tuple[str, str]]) -> None:
    username = spec["key"]
    is_admin = spec["role"] == "admin"
    user = User.objects.filter(username=username).first()
    if user is None:
        password = generate_password()
        user = User.objects.create_user(username=username, password=password, is_staff=is_admin,
                                        is_superuser=is_admin)
        known[spec["key"]] = (username, password)
        report.created.append(f"user {username}")
    if not hasattr(user, "agent"):
        profile = AgentProfile.objects.create(
            user=user, display_name=spec["display_name"], role=spec["role"], languages=spec["languages"],
            skills=spec["skills"], ui_language=spec["ui_language"])
        profile.teams.set([teams[slug] for slug in spec["teams"]])
        report.created.append(f"agent profile {username}")
    # A user created earlier whose password was not recorded keeps it: we report it as unknown.
    report.logins[spec["key"]] = known.get(spec["key"], (username, None))


def optional_hook(module_name: str, function_name: str) -> Callable[[], Any] | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only the hook module (or its app) being absent means "not provided"; anything else it imports
        # being missing is a real error.
        if exc.name is None or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise
        return None
    return getattr(module, function_name)


def seed_demo() -> SeedReport:
    report = SeedReport()
    known = read_logins()
    with transaction.atomic():
        teams = _ensure_teams(report)
        queues = _ensure_queues(report, teams)
        _ensure_inboxes(report, queues)
        for spec in PEOPLE:
            _ensure_person(report, spec, teams, known)
    write_logins(known)
    for module_name, function_name in OPTIONAL_HOOKS:
        hook = optional_hook(module_name, function_name)
        if hook is None:
            report.hooks_missing.append(f"{module_name}.{function_name}")
            continue
        hook()
        report.hooks_run.append(f"{module_name}.{function_name}")
    return report
