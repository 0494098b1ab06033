"""Websocket consumers: thin translators between JSON frames and actions.

Widget protocol (citizen, `ws/widget/<inbox>/`), client -> server frames:
  {"type": "hello", "token": str|null, "language": "fr", "after_seq": int}
  {"type": "message.send", "client_id": str, "body": str}
  {"type": "typing", "typing": bool}
server -> client: {"type": "welcome", "token", "reference", "language", "status"}, {"type": "message.ack",
  "client_id", "seq"}, events {"type": "event", "event": {...}}, {"type": "error", "code", "message"}.

Agent protocol (`ws/agent/`): {"type": "presence.set", "presence"}, {"type": "subscribe", "reference"},
{"type": "unsubscribe", "reference"}, {"type": "typing", "reference", "typing"}; server pushes events.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.realtime import events

logger = logging.getLogger("guichet.realtime")

MAX_FRAME_BYTES = 16_000


class JsonFrameConsumer(AsyncWebsocketConsumer):
    """Parses frames, answers bad input with an error event, de-duplicates events by id."""

    language = "en"

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self.send_error("bad_frame", _("Frames must be JSON text of at most 16,000 bytes."))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_frame", _("This frame is not valid JSON."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("bad_frame", _("A frame must be an object with a type."))
            return
        handler = self.frame_handlers().get(frame["type"])
        if handler is None:
            await self.send_error("unknown_type", _("Unknown frame type."))
            return
        await handler(frame)

    def frame_handlers(self) -> dict[str, Any]:
        return {}

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Events need no database: skip Channels' per-message close_old_connections, which runs on the single
        # database thread and would make pushes to agents wait behind citizens' writes.
        if message.get("type") == "guichet.event":
            await self.guichet_event(message)
            return
        await super().dispatch(message)

    async def send_json(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        logger.info("ws.error consumer=%s code=%s", type(self).__name__, code)
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def guichet_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        seen: set[str] = self.__dict__.setdefault("_seen_event_ids", set())
        if event["id"] in seen:
            return
        seen.add(event["id"])
        if len(seen) > 5000:
            seen.clear()
        if await self.accept_event(event):
            await self.send_json({"type": "event", "event": event})

    async def accept_event(self, event: dict[str, Any]) -> bool:
        return True

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.__dict__.setdefault("_groups", set()).add(group)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.__dict__.setdefault("_groups", set()).discard(group)

    async def leave_all(self) -> None:
        for group in list(self.__dict__.get("_groups", set())):
            await self.leave(group)


def origin_allowed(scope: dict[str, Any], allowed: list[str]) -> bool:
    if "*" in allowed:
        return True
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1")
    return origin in allowed


def same_origin(scope: dict[str, Any]) -> bool:
    """The page that opened the socket was served by this host (whatever port or name the server runs under).

    Browsers always send Origin on websockets and scripts cannot forge it, so this is what stops another site
    from riding an agent's session cookie (cross-site websocket hijacking).
    """
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    return bool(origin and host) and urlsplit(origin).netloc == host


class WidgetConsumer(JsonFrameConsumer):
    async def connect(self) -> None:
        from guichet.realtime import widget_service

        self.inbox_slug = self.scope["url_route"]["kwargs"]["inbox"]
        self.inbox = await database_sync_to_async(widget_service.find_inbox)(self.inbox_slug)
        # Accept first, then close with an application code: a refusal before accepting reaches the browser as
        # a bare HTTP 403 and the widget could not tell "unknown inbox" from a network fault.
        await self.accept()
        if self.inbox is None:
            await self.close(code=4404)
            return
        allowed = self.inbox.allowed_origins or settings.GUICHET_WIDGET_ALLOWED_ORIGINS
        if not origin_allowed(self.scope, allowed):
            logger.warning("widget.origin_refused inbox=%s", self.inbox_slug)
            await self.close(code=4403)
            return
        self.grant = None
        self.conversation_id: int | None = None

    async def disconnect(self, code: int) -> None:
        await self.leave_all()

    def frame_handlers(self) -> dict[str, Any]:
        return {"hello": self.on_hello, "message.send": self.on_message, "typing": self.on_typing,
                "ping": self.on_ping, "action": self.on_action}

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def on_hello(self, frame: dict[str, Any]) -> None:
        from guichet.realtime import widget_service

        client = self.scope.get("client") or ("unknown", 0)
        try:
            result = await database_sync_to_async(widget_service.hello)(
                self.inbox, frame.get("token"), frame.get("language"), client[0])
        except widget_service.WidgetError as exc:
            await self.send_error(exc.code, exc.message)
            return
        self.grant = result.grant
        self.language = result.language
        if self.conversation_id is not None:
            await self.leave(events.group_for_widget(self.conversation_id))
        self.conversation_id = result.conversation_id
        if self.conversation_id is not None:
            await self.join(events.group_for_widget(self.conversation_id))
        await self.send_json({"type": "welcome", **result.welcome})
        after = frame.get("after_seq", 0)
        after_seq = after if isinstance(after, int) and after >= 0 else 0
        if self.conversation_id is not None:
            missed = await database_sync_to_async(widget_service.replay)(self.conversation_id, after_seq)
            for item in missed:
                await self.send_json({"type": "event", "event": item})

    async def on_message(self, frame: dict[str, Any]) -> None:
        from guichet.realtime import widget_service

        if self.grant is None:
            await self.send_error("not_ready", _("Say hello before sending messages."))
            return
        client_id = frame.get("client_id")
        if client_id is not None and (not isinstance(client_id, str) or len(client_id) > 64):
            await self.send_error("bad_client_id", _("The message id is not valid."))
            return
        try:
            # The first message opens the conversation: join its group before the message is stored so that
            # nothing published while handling it (status, place in line, the bot's answer) is missed.
            if self.conversation_id is None:
                opened = await database_sync_to_async(widget_service.open_conversation)(
                    self.inbox, self.grant, self.language, frame.get("body"))
                self.conversation_id = opened.conversation_id
                await self.join(events.group_for_widget(opened.conversation_id))
                await self.send_json({"type": "welcome", **opened.welcome})
            result = await database_sync_to_async(widget_service.send)(
                self.inbox, self.grant, self.language, frame.get("body"), client_id)
        except widget_service.WidgetError as exc:
            await self.send_error(exc.code, exc.message, client_id=client_id)
            return
        joined_late = result.conversation_id != self.conversation_id
        if joined_late:
            self.conversation_id = result.conversation_id
            await self.join(events.group_for_widget(result.conversation_id))
            await self.send_json({"type": "welcome", **result.welcome})
        await self.send_json({"type": "message.ack", "client_id": client_id, "seq": result.seq,
                              "duplicate": result.duplicate})
        if joined_late:
            # Replies published before this socket joined the new conversation's group (an inline virtual
            # agent answers within the send) would otherwise be lost until a reconnect.
            missed = await database_sync_to_async(widget_service.replay)(result.conversation_id, result.seq)
            for item in missed:
                await self.send_json({"type": "event", "event": item})

    async def on_typing(self, frame: dict[str, Any]) -> None:
        from guichet.realtime import widget_service

        if self.grant is not None and self.conversation_id is not None:
            await database_sync_to_async(widget_service.typing)(self.conversation_id, bool(frame.get("typing")))

    async def on_action(self, frame: dict[str, Any]) -> None:
        """Buttons (bot suggestions, feedback, callback offer, survey) handled by the widget service."""
        from guichet.realtime import widget_service

        if self.grant is None or self.conversation_id is None:
            await self.send_error("not_ready", _("Say hello before sending messages."))
            return
        try:
            with override(self.language):
                await database_sync_to_async(widget_service.action)(
                    self.conversation_id, self.grant, frame.get("name"), frame.get("value"))
        except widget_service.WidgetError as exc:
            await self.send_error(exc.code, exc.message)


class AgentConsumer(JsonFrameConsumer):
    async def connect(self) -> None:
        from guichet.realtime import agent_service

        user = self.scope.get("user")
        self.agent = await database_sync_to_async(agent_service.agent_for_user)(user)
        if self.agent is None:
            await self.close(code=4401)
            return
        if not (same_origin(self.scope) or origin_allowed(self.scope, agent_service.same_site_origins())):
            await self.close(code=4403)
            return
        await self.accept()
        for group in await database_sync_to_async(agent_service.base_groups)(self.agent):
            await self.join(group)
        await database_sync_to_async(agent_service.connected)(self.agent, self.channel_name)

    async def disconnect(self, code: int) -> None:
        from guichet.realtime import agent_service

        await self.leave_all()
        if getattr(self, "agent", None) is not None:
            await database_sync_to_async(agent_service.disconnected)(self.agent, self.channel_name)

    def frame_handlers(self) -> dict[str, Any]:
        return {"presence.set": self.on_presence, "subscribe": self.on_subscribe,
                "unsubscribe": self.on_unsubscribe, "typing": self.on_typing, "ping": self.on_ping}

    async def on_ping(self, frame: dict[str, Any]) -> None:
        from guichet.agents.actions import touch_connection

        # A ping proves this desk is alive; the presence sweep only clears connections that stopped pinging.
        await database_sync_to_async(touch_connection)(self.channel_name)
        await self.send_json({"type": "pong"})

    async def on_presence(self, frame: dict[str, Any]) -> None:
        from guichet.agents.actions import PresenceError, set_presence

        try:
            await database_sync_to_async(set_presence)(self.agent, str(frame.get("presence")))
        except PresenceError as exc:
            await self.send_error("bad_presence", str(exc))

    async def _conversation_id(self, reference: Any) -> int | None:
        from guichet.realtime import agent_service

        try:
            return await database_sync_to_async(agent_service.visible_conversation_id)(self.agent, reference)
        except (PermissionDenied, Http404) as exc:
            await self.send_error("forbidden", str(exc) or _("You cannot open this conversation."))
            return None

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        conversation_id = await self._conversation_id(frame.get("reference"))
        if conversation_id is not None:
            await self.join(events.group_for_conversation(conversation_id))
            await self.send_json({"type": "subscribed", "reference": frame.get("reference")})

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        conversation_id = await self._conversation_id(frame.get("reference"))
        if conversation_id is not None:
            await self.leave(events.group_for_conversation(conversation_id))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        from guichet.realtime import agent_service

        conversation_id = await self._conversation_id(frame.get("reference"))
        if conversation_id is not None:
            await database_sync_to_async(agent_service.typing)(self.agent, conversation_id,
                                                               bool(frame.get("typing")))
