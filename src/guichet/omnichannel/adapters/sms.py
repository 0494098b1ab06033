"""SMS through a Twilio-compatible provider: signed form webhooks in, REST API out (httpx)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from django.conf import settings
from django.http import HttpRequest

from guichet.conversations.actions import ActionError
from guichet.conversations.identity import normalise_phone
from guichet.conversations.models import ContactIdentity, Message
from guichet.omnichannel.adapters.base import (
    ChannelAdapter,
    InboundMessage,
    InboundRejected,
    SendResult,
    TemporaryFailure,
)
from guichet.omnichannel.segments import shorten, split_sms
from guichet.omnichannel.twilio_auth import account_sid, auth_token, validate_request

logger = logging.getLogger("guichet.omnichannel")
DEFAULT_API_BASE = "https://api.twilio.com"


MAX_MEDIA = 10


def api_base(inbox) -> str:  # type: ignore[no-untyped-def]
    return str((inbox.config or {}).get("api_base") or getattr(settings, "GUICHET_TWILIO_API_BASE",
                                                               DEFAULT_API_BASE)).rstrip("/")


def inbox_number(inbox) -> str:  # type: ignore[no-untyped-def]
    config = inbox.config or {}
    return str(config.get("phone_number") or config.get("number") or "")


def status_callback_url(inbox) -> str:  # type: ignore[no-untyped-def]
    return f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}/hooks/sms/{inbox.slug}/status/"


def citizen_phone(message: Message) -> str:
    conversation = message.conversation
    inbound = conversation.messages.filter(author_kind=Message.Author.CONTACT, channel__in=["sms", "voice"]) \
        .order_by("-seq").values_list("metadata", flat=True).first()
    number = ((inbound or {}).get("sms") or (inbound or {}).get("voice") or {}).get("from", "")
    return number or ContactIdentity.objects.filter(contact=conversation.contact,
                                                    kind=ContactIdentity.Kind.PHONE) \
        .order_by("-verified", "id").values_list("value", flat=True).first() or ""


class TwilioSmsAdapter(ChannelAdapter):
    channel = "sms"

    def parse_inbound(self, source: Any) -> InboundMessage:
        assert self.inbox is not None and isinstance(source, HttpRequest)
        params = validate_request(self.inbox, source)
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not sid or not params.get("From"):
            raise InboundRejected("MessageSid and From are required", 400)
        try:
            sender = normalise_phone(params["From"])
        except ActionError as exc:
            raise InboundRejected("the sender is not a phone number", 400) from exc
        expected = inbox_number(self.inbox)
        if expected and params.get("To") and not same_number(params["To"], expected):
            raise InboundRejected("this number is not served by this inbox", 404)
        # MMS: at most 10 files per message (Twilio's limit); links only, the files stay with the provider.
        indexes = [i for i in range(min(_int(params.get("NumMedia")), MAX_MEDIA)) if params.get(f"MediaUrl{i}")]
        media = [params[f"MediaUrl{i}"][:1000] for i in indexes]
        media_types = [params.get(f"MediaContentType{i}", "")[:100] for i in indexes]
        return InboundMessage(channel="sms", provider_id=sid, from_identity=sender, to_address=params.get("To", ""),
                              body=params.get("Body", ""), headers=params,
                              extra={"sms": {"from": sender, "to": params.get("To", ""), "media": media,
                                             "media_types": media_types}})

    def send(self, message: Message) -> SendResult:
        from guichet.omnichannel.models import SmsOptOut

        assert self.inbox is not None
        to = citizen_phone(message)
        if not to:
            return SendResult(None, "failed", "No phone number is known for this citizen.")
        kind = (message.metadata or {}).get("kind")
        if kind != "opt_out_confirmation" and SmsOptOut.objects.filter(inbox=self.inbox, phone=to,
                                                                        opted_out=True).exists():
            return SendResult(None, "failed", "The citizen opted out of text messages (STOP).")
        try:
            sids = send_parts(self.inbox, to, split_sms(sms_text(message)), progress_of=message)
        except ProviderRejected as exc:
            return SendResult(None, "failed", str(exc))
        return SendResult(provider_id=sids[0] if sids else None, status="sent")


def sms_text(message: Message) -> str:
    """What goes out by text: the virtual agent's answers are kept to a few segments with a link to the full
    answer; agents' words go out whole."""
    if message.author_kind != Message.Author.BOT:
        return message.body
    max_parts = int(getattr(settings, "GUICHET_SMS_BOT_MAX_PARTS", 3))
    return shorten(message.body, max_parts, str((message.metadata or {}).get("source_url", "")))


def send_parts(inbox, to: str, parts: list[str], progress_of: Message | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """POST each part to the provider; parts already accepted (recorded on the message) are not resent."""
    sid, token = account_sid(inbox), auth_token(inbox)
    sent: list[str] = list(((progress_of.metadata or {}) if progress_of else {}).get("sms_parts", []))
    url = f"{api_base(inbox)}/2010-04-01/Accounts/{sid}/Messages.json"
    sender = inbox_number(inbox)
    with httpx.Client(timeout=15, auth=(sid, token)) as client:
        for part in parts[len(sent):]:
            data = {"To": to, "From": sender, "Body": part, "StatusCallback": status_callback_url(inbox)}
            try:
                response = client.post(url, data=data)
            except httpx.HTTPError as exc:
                raise TemporaryFailure(f"provider unreachable: {exc!r}") from exc
            if response.status_code >= 500 or response.status_code == 429:
                raise TemporaryFailure(f"provider answered {response.status_code}")
            if response.status_code >= 400:
                raise ProviderRejected(_error_text(response))
            sent.append(str(response.json().get("sid", "")))
            if progress_of is not None:
                progress_of.metadata = {**(progress_of.metadata or {}), "sms_parts": sent}
                Message.objects.filter(pk=progress_of.pk).update(metadata=progress_of.metadata)
    return sent


class ProviderRejected(Exception):
    """A 4xx from the provider: the message can never go (bad number, unsubscribed)."""


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('code', response.status_code)}: {body.get('message', '')}".strip()
    except ValueError:
        return f"HTTP {response.status_code}"


def same_number(a: str, b: str) -> bool:
    try:
        return normalise_phone(a) == normalise_phone(b)
    except ActionError:
        return False


def _int(value: Any) -> int:
    try:
        return max(0, min(10, int(value)))
    except (TypeError, ValueError):
        return 0
