"""E-mail: inbound raw RFC 5322 bytes (from the SMTP receiver), outbound by SMTP to a relay / MTA."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid
from typing import Any

from django.conf import settings

from guichet.conversations.models import Message
from guichet.omnichannel.adapters.base import (
    ChannelAdapter,
    InboundAttachment,
    InboundMessage,
    InboundRejected,
    SendResult,
    TemporaryFailure,
)
from guichet.omnichannel.email.outbound import compose, inbox_address
from guichet.omnichannel.email.parsing import MalformedEmail, parse_email


class SmtpEmailAdapter(ChannelAdapter):
    channel = "email"

    def parse_inbound(self, source: Any) -> InboundMessage:
        try:
            parsed = parse_email(source)
        except MalformedEmail as exc:
            raise InboundRejected(f"malformed e-mail: {exc}", 400) from exc
        return InboundMessage(
            channel="email", provider_id=parsed.message_id, from_identity=parsed.from_address,
            to_address=self.inbox and inbox_address_of(self.inbox) or "", body=parsed.text,
            subject=parsed.subject, language_hint=parsed.language, display_name=parsed.from_name,
            attachments=[InboundAttachment(a.filename, a.content_type, a.content) for a in parsed.attachments],
            headers={"message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to,
                     "references": parsed.references, "auto_submitted": parsed.auto_submitted},
            extra={"parsed": parsed},
        )

    def send(self, message: Message) -> SendResult:
        message_id = self._stable_message_id(message)
        try:
            mail = compose(message)
        except ValueError as exc:
            return SendResult(provider_id=None, status="failed", error=str(exc))
        host = getattr(settings, "GUICHET_SMTP_HOST", "localhost")
        port = int(getattr(settings, "GUICHET_SMTP_PORT", 1025))
        try:
            with smtplib.SMTP(host, port, timeout=15) as smtp:
                smtp.send_message(mail)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            code = _smtp_code(exc)
            if code and 400 <= code < 500:
                raise TemporaryFailure(f"SMTP {code}") from exc
            return SendResult(provider_id=message_id, status="failed", error=f"SMTP refused: {code or exc}")
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"SMTP relay unavailable: {exc!r}") from exc
        return SendResult(provider_id=message_id, status="sent")

    @staticmethod
    def _stable_message_id(message: Message) -> str:
        """One Message-ID per stored message, kept across retries so the thread never forks."""
        message_id = (message.metadata or {}).get("email_message_id")
        if not message_id:
            domain = inbox_address(message.conversation).partition("@")[2] or "guichet.invalid"
            message_id = make_msgid(idstring=f"m{message.pk}", domain=domain)
            message.metadata = {**(message.metadata or {}), "email_message_id": message_id}
            Message.objects.filter(pk=message.pk).update(metadata=message.metadata)
        return message_id


def inbox_address_of(inbox) -> str:  # type: ignore[no-untyped-def]
    return str((inbox.config or {}).get("address", "")).lower()


def _smtp_code(exc: Exception) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else 0
    return int(getattr(exc, "smtp_code", 0) or 0)
