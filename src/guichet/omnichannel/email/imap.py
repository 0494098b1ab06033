"""Fetch an e-mail inbox's mail from an IMAP mailbox (when mail cannot be relayed to our SMTP receiver,
e.g. a hosted Exchange/Microsoft 365 or Gmail mailbox). Standard library `imaplib` only.

Inbox config: `"imap": {"host": "imap.example.ca", "port": 993, "ssl": true, "user": "help@example.ca",
"password_env": "GUICHET_IMAP_PASSWORD", "folder": "INBOX"}` (the password stays in the environment).

Each poll reads the UNSEEN messages without marking them (BODY.PEEK), hands each to `actions.ingest_email`
(idempotent by Message-ID) and marks it \\Seen once it is stored, a duplicate or refused for good (unreadable,
machine mail dropped). A message refused for now (sender over the rate limit) stays unseen for the next poll; a
connection failure changes nothing. One bad message never stops the others.
"""

from __future__ import annotations

import imaplib
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from guichet.conversations.models import Inbox
from guichet.omnichannel.adapters.base import InboundRejected

logger = logging.getLogger("guichet.omnichannel.imap")

TRY_LATER = {451}
MAX_PER_POLL = 200  # a huge backlog is read over several polls


@dataclass
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True


@dataclass
class PollResult:
    stored: int = 0
    skipped: int = 0  # already stored (a redelivery), or machine mail that is not kept
    refused: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def imap_account(inbox: Inbox) -> ImapAccount | None:
    config: dict[str, Any] = (inbox.config or {}).get("imap") or {}
    if not config.get("host") or not config.get("user"):
        return None
    use_ssl = bool(config.get("ssl", True))
    return ImapAccount(host=str(config["host"]), port=int(config.get("port") or (993 if use_ssl else 143)),
                       user=str(config["user"]), password=os.environ.get(str(config.get("password_env", "")), ""),
                       folder=str(config.get("folder") or "INBOX"), ssl=use_ssl)


def imap_inboxes() -> list[Inbox]:
    return [inbox for inbox in Inbox.objects.filter(channel="email").order_by("slug") if imap_account(inbox)]


def poll_inbox(inbox: Inbox) -> PollResult:
    """Read the inbox's unseen mail once; never raises for a mail-server problem (logged, next poll retries)."""
    account = imap_account(inbox)
    result = PollResult()
    if account is None:
        result.errors.append("no IMAP account configured")
        return result
    try:
        connection = _connect(account)
    except (imaplib.IMAP4.error, OSError) as exc:
        logger.warning("imap.connect_failed inbox=%s error=%s", inbox.slug, exc)
        result.errors.append(f"cannot connect or sign in: {exc}")
        return result
    try:
        typ, data = connection.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split()[:MAX_PER_POLL] if typ == "OK" and data and data[0] else []
        for uid in uids:
            _ingest_one(connection, inbox, uid, result)
    except (imaplib.IMAP4.error, OSError) as exc:
        logger.warning("imap.poll_failed inbox=%s error=%s", inbox.slug, exc)
        result.errors.append(str(exc))
    finally:
        _logout(connection)
    logger.info("imap.polled inbox=%s stored=%s skipped=%s refused=%s deferred=%s", inbox.slug,
                result.stored, result.skipped, result.refused, result.deferred)
    return result


def _connect(account: ImapAccount) -> imaplib.IMAP4:
    factory = imaplib.IMAP4_SSL if account.ssl else imaplib.IMAP4
    connection = factory(account.host, account.port, timeout=30)
    connection.login(account.user, account.password)
    typ, _data = connection.select(account.folder)
    if typ != "OK":
        _logout(connection)
        raise imaplib.IMAP4.error(f"cannot open folder {account.folder}")
    return connection


def _ingest_one(connection: imaplib.IMAP4, inbox: Inbox, uid: bytes, result: PollResult) -> None:
    from guichet.omnichannel.actions import ingest_email

    typ, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = next((part[1] for part in data or [] if isinstance(part, tuple) and len(part) == 2), None)
    if typ != "OK" or not isinstance(raw, bytes):
        result.errors.append(f"cannot read message {uid.decode()}")
        return
    try:
        ingested = ingest_email(raw, [str((inbox.config or {}).get("address", ""))])
    except InboundRejected as exc:
        if exc.status in TRY_LATER:
            result.deferred += 1
            return
        logger.warning("imap.refused inbox=%s uid=%s reason=%s", inbox.slug, uid, exc.reason)
        result.refused += 1
    else:
        if ingested.created:
            result.stored += 1
        else:
            result.skipped += 1
    connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")


def _logout(connection: imaplib.IMAP4) -> None:
    try:
        connection.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
