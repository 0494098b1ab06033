"""What a channel adapter is: turn a provider's inbound traffic into an `InboundMessage`, send a stored
`Message` out and say what happened. Nothing else (no routing, no storage: `omnichannel.actions` does that).

To add a provider, subclass `ChannelAdapter` and implement:

- `parse_inbound(source)`: `source` is whatever the provider hands us (a Django request for webhooks, raw
  RFC 5322 bytes for e-mail). Return a normalised `InboundMessage`; raise `InboundRejected` (with an HTTP
  status) for input that must not be stored: bad signature, missing fields, malformed payload.
- `send(message)`: deliver one stored outgoing `Message`. Return `SendResult(provider_id, status, error)` with
  status "sent", "delivered" or "failed"; raise `TemporaryFailure` for anything worth retrying (timeouts,
  5xx) — the background job retries with backoff.

Then point `settings.GUICHET_CHANNEL_ADAPTERS[channel]` at the class's dotted path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from guichet.conversations.models import Inbox, Message


@dataclass
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMessage:
    channel: str
    provider_id: str
    from_identity: str
    to_address: str = ""
    body: str = ""
    subject: str = ""
    language_hint: str = ""
    display_name: str = ""
    attachments: list[InboundAttachment] = field(default_factory=list)
    headers: dict[str, Any] = field(default_factory=dict)
    # Channel-specific extras that go into Message.metadata (quoted history, html, status callbacks...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SendResult:
    provider_id: str | None
    status: str  # "sent" | "delivered" | "failed"
    error: str = ""


class InboundRejected(Exception):
    """Inbound traffic that must not be stored; `status` is the HTTP answer for webhooks."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TemporaryFailure(Exception):
    """The provider could not take the message now (timeout, 5xx, rate limit): retry later."""


class ChannelAdapter(ABC):
    channel: str = ""

    def __init__(self, inbox: Inbox | None = None):
        self.inbox = inbox

    @abstractmethod
    def parse_inbound(self, source: Any) -> InboundMessage:
        """Normalise provider input; raise InboundRejected for anything that must not be stored."""

    @abstractmethod
    def send(self, message: Message) -> SendResult:
        """Deliver one outgoing message; raise TemporaryFailure to be retried."""
