"""Test factories: build rows the way the product does, with sensible defaults."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth.models import User

from guichet.agents.models import AgentProfile, Team
from guichet.conversations import actions
from guichet.conversations.models import Contact, ContactIdentity, Conversation, Inbox
from guichet.routing.models import Queue

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def make_team(slug: str | None = None) -> Team:
    slug = slug or unique("team")
    return Team.objects.create(slug=slug, name_en=f"Team {slug}", name_fr=f"Équipe {slug}")


def make_queue(team: Team | None = None, **fields: Any) -> Queue:
    team = team or make_team()
    slug = fields.pop("slug", None) or unique("queue")
    fields.setdefault("always_open", True)
    return Queue.objects.create(slug=slug, name_en=f"Queue {slug}", name_fr=f"File {slug}", team=team, **fields)


def make_inbox(queue: Queue | None = None, channel: str = "web", **fields: Any) -> Inbox:
    queue = queue or make_queue()
    slug = fields.pop("slug", None) or unique("inbox")
    fields.setdefault("bot_enabled", False)
    fields.setdefault("languages", ["en", "fr"])
    return Inbox.objects.create(slug=slug, name_en=f"Inbox {slug}", name_fr=f"Boîte {slug}",
                                channel=channel, default_queue=queue, **fields)


def make_agent(teams: list[Team] | None = None, *, role: str = "agent", presence: str = "offline",
               languages: list[str] | None = None, username: str | None = None,
               password: str = "correct-horse-battery-staple", **fields: Any) -> AgentProfile:
    username = username or unique("agent")
    user = User.objects.create_user(username=username, password=password, is_staff=role == "admin",
                                    is_superuser=role == "admin")
    agent = AgentProfile.objects.create(user=user, display_name=username.title(), role=role,
                                        presence=presence, languages=languages or ["en", "fr"], **fields)
    if teams:
        agent.teams.set(teams)
    return agent


def make_contact(email: str | None = None, **fields: Any) -> Contact:
    contact = Contact.objects.create(**fields)
    if email:
        ContactIdentity.objects.create(contact=contact, kind="email", value=email, verified=True)
    return contact


def make_conversation(inbox: Inbox | None = None, contact: Contact | None = None, *, language: str = "en",
                      first_message: str | None = None) -> Conversation:
    inbox = inbox or make_inbox()
    contact = contact or make_contact()
    conversation = actions.start_conversation(contact, inbox, language=language)
    if first_message:
        actions.receive_message(conversation, first_message)
    conversation.refresh_from_db()
    return conversation
