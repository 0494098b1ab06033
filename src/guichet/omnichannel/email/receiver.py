"""A small SMTP server (aiosmtpd) that hands each accepted message to `actions.ingest_email`.

Run it behind your MTA (Postfix, Exim...) which does TLS, spam and virus filtering, and relays mail for the
inbox addresses to this port; see docs/channels.md. Unknown recipients are refused at RCPT time (550), so
the MTA bounces them instead of us accepting and losing them.
"""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from guichet.omnichannel.adapters.base import InboundRejected

logger = logging.getLogger("guichet.omnichannel.smtp")

# Larger than the 10 MB attachment limit: base64 adds a third, and several files may come together.
DATA_SIZE_LIMIT = 25 * 1024 * 1024
SMTP_REPLIES = {
    550: "550 5.1.1 No such mailbox here",
    554: "554 5.6.0 Message could not be read",
    451: "451 4.7.1 Too many messages from this sender, try again later",
    400: "554 5.6.0 Message rejected",
}


def _known_recipient(address: str) -> bool:
    from guichet.omnichannel.actions import email_inbox_for

    close_old_connections()
    try:
        return email_inbox_for([address]) is not None
    finally:
        connections.close_all()  # this thread's own connections: nothing stays open between SMTP sessions


def _ingest(raw: bytes, recipients: list[str]) -> str:
    from guichet.omnichannel.actions import ingest_email

    close_old_connections()
    try:
        result = ingest_email(raw, recipients)
    except InboundRejected as exc:
        logger.warning("smtp.rejected status=%s reason=%s", exc.status, exc.reason)
        return SMTP_REPLIES.get(exc.status, SMTP_REPLIES[400])
    except Exception:  # noqa: BLE001 - tell the MTA to retry later rather than lose the message
        logger.exception("smtp.ingest_failed")
        return "451 4.3.0 Temporary failure, try again later"
    finally:
        connections.close_all()
    logger.info("smtp.accepted ref=%s created=%s", getattr(result.conversation, "reference", "-"), result.created)
    return "250 2.0.0 Message accepted"


class GuichetHandler:
    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if "\r" in address or "\n" in address or not await sync_to_async(_known_recipient)(address):
            return SMTP_REPLIES[550]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        return await sync_to_async(_ingest)(raw, list(envelope.rcpt_tos))


def make_controller(host: str, port: int) -> Controller:
    return Controller(GuichetHandler(), hostname=host, port=port, data_size_limit=DATA_SIZE_LIMIT,
                      ready_timeout=10)
