"""Typed real-time events, published to channel-layer groups only after the transaction commits.

Every event is `{"id", "type", "ts", "data"}` with a `noun.verb` type from EVENT_TYPES. Consumers forward
events to browsers; the id lets a client drop a copy it has already seen (two tabs, a reconnect).
Publishing inside `transaction.on_commit` means no one ever sees a message that was rolled back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger("guichet.realtime")

EVENT_TYPES = frozenset(
    {
        "message.created",
        "message.updated",
        "conversation.created",
        "conversation.updated",
        "conversation.assigned",
        "conversation.transferred",
        "conversation.resolved",
        "conversation.typing",
        "queue.position_changed",
        "queue.updated",
        "agent.presence_changed",
        "announcement.published",
        "callback.offered",
    }
)

# Test hook: tests append here to capture what was published (see tests/conftest.py `captured_events`).
_listeners: list[Any] = []


def group_for_conversation(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def group_for_widget(conversation_id: int) -> str:
    """Citizen-facing copy of a conversation's events (never carries private notes)."""
    return f"widget.{conversation_id}"


def group_for_agent(agent_id: int) -> str:
    return f"agent.{agent_id}"


def group_for_team(team_id: int) -> str:
    return f"team.{team_id}"


SUPERVISORS_GROUP = "supervisors"


def make_event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {"id": uuid.uuid4().hex, "type": event_type, "ts": timezone.now().isoformat(), "data": data}


def publish(event_type: str, groups: Iterable[str], data: dict[str, Any]) -> dict[str, Any]:
    """Queue an event for `groups`; it is sent when the current transaction commits (at once outside one)."""
    event = make_event(event_type, data)
    targets = sorted(set(groups))
    transaction.on_commit(lambda: _send_now(event, targets))
    return event


def _send_now(event: dict[str, Any], groups: list[str]) -> None:
    for listener in list(_listeners):
        listener(event, groups)
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for group in groups:
        try:
            send(group, {"type": "guichet.event", "event": event})
        except Exception:  # noqa: BLE001 - a dead layer must not break the write that already committed
            logger.exception("event.publish_failed type=%s group=%s", event["type"], group)
