"""Web chat needs no provider: messages reach the widget over its websocket as `message.created` events."""

from __future__ import annotations

from typing import Any

from guichet.conversations.models import Message
from guichet.omnichannel.adapters.base import ChannelAdapter, InboundMessage, InboundRejected, SendResult


class WebChatAdapter(ChannelAdapter):
    channel = "web"

    def parse_inbound(self, source: Any) -> InboundMessage:
        if not isinstance(source, dict) or not source.get("body") or not source.get("session"):
            raise InboundRejected("a web chat frame needs a session and a body")
        return InboundMessage(channel="web", provider_id=str(source.get("client_id") or ""),
                              from_identity=str(source["session"]), body=str(source["body"]),
                              language_hint=str(source.get("language") or ""))

    def send(self, message: Message) -> SendResult:
        # Already pushed live by realtime events on commit; nothing leaves the building.
        return SendResult(provider_id=None, status="delivered")
