"""What each audience may see of a message or a conversation (citizens never see private notes)."""

from __future__ import annotations

from typing import Any

from guichet.conversations.models import Conversation, Message

# Metadata keys a citizen's widget may receive (bot buttons, cited sources, survey prompts).
PUBLIC_METADATA_KEYS = ("buttons", "source_url", "source_title", "survey", "notice", "kind")


def author_label(message: Message) -> str:
    if message.author_kind == Message.Author.AGENT and message.author_agent is not None:
        return message.author_agent.display_name
    return ""


def public_message(message: Message, citizen_language: str | None = None) -> dict[str, Any]:
    body = message.body
    translated = False
    if citizen_language and message.author_kind != Message.Author.CONTACT:
        translation = (message.translations or {}).get(citizen_language)
        if translation and translation.get("text"):
            body, translated = translation["text"], True
    return {
        "seq": message.seq,
        "author_kind": message.author_kind,
        "author_name": author_label(message),
        "body": body,
        "original_body": message.body if translated else None,
        "machine_translated": translated,
        "language": message.language,
        # The language the body is written in: the citizen's when machine-translated (screen readers pick
        # their voice from it), the original's otherwise.
        "body_language": citizen_language if translated else message.language,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "metadata": {k: v for k, v in (message.metadata or {}).items() if k in PUBLIC_METADATA_KEYS},
    }


def agent_message(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "conversation": message.conversation.reference,
        "seq": message.seq,
        "author_kind": message.author_kind,
        "author_name": author_label(message),
        "body": message.body,
        "language": message.language,
        "translations": message.translations,
        "is_private": message.is_private,
        "channel": message.channel,
        "delivery_status": message.delivery_status,
        "delivery_error": message.delivery_error,
        "created_at": message.created_at.isoformat(),
        "metadata": message.metadata,
    }


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    return {
        "reference": conversation.reference,
        "status": conversation.status,
        "language": conversation.language,
        "queue": conversation.queue.slug,
        "team": conversation.queue.team_id,
        "priority": conversation.priority,
        "channel": conversation.inbox.channel,
        "assignee": conversation.assignee_id,
        "assignee_name": conversation.assignee.display_name if conversation.assignee else "",
        "contact": conversation.contact.display_name or "",
        "updated_at": conversation.updated_at.isoformat(),
    }
