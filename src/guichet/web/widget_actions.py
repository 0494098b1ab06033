"""Widget buttons the citizen pages need that no other app provides (registered in WebConfig.ready)."""

from __future__ import annotations

from typing import Any

from guichet.conversations.models import Conversation

QUEUE_POSITION_ACTION = "queue.position"


def send_queue_position(conversation: Conversation, grant: Any, value: Any) -> None:
    """`ACTION_HANDLERS["queue.position"]`: publish this citizen's place in line to their widget now.

    Positions are pushed only when a line changes, and the first push for a new conversation happens before
    its socket joins the conversation's group; a widget that just connected asks, so it never waits blind.
    """
    if conversation.status != Conversation.Status.QUEUED:
        return
    from guichet.routing.wait import publish_position_of

    publish_position_of(conversation)
