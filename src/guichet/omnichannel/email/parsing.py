"""Read one raw RFC 5322 message into plain values, defensively: mail is written by anyone."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import PurePath

from django.conf import settings

from guichet.omnichannel.email.quoting import split_quoted
from guichet.omnichannel.email.sanitise import html_to_text, sanitise_html

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Files that run code when opened: never stored, whatever type the sender claims.
DANGEROUS_EXTENSIONS = {
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".cpl", ".jar", ".js", ".jse",
    ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".hta", ".lnk", ".reg", ".sh", ".app", ".apk", ".iso",
    ".docm", ".xlsm", ".pptm",
}
DANGEROUS_TYPES = {
    "application/x-msdownload", "application/x-dosexec", "application/x-msdos-program", "application/x-sh",
    "application/java-archive", "application/x-executable", "application/vnd.microsoft.portable-executable",
    "application/hta", "text/javascript", "application/javascript",
}
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,490}>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class MalformedEmail(ValueError):
    pass


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str
    from_address: str
    from_name: str
    to_addresses: list[str]
    subject: str
    text: str
    quoted: str = ""
    html: str = ""
    reply_to: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    language: str = ""
    auto_submitted: str = ""  # why this looks machine-generated ("" for a person)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    rejected_attachments: list[dict[str, str]] = field(default_factory=list)


def one_line(value: str, limit: int = 300) -> str:
    """Header values never carry line breaks or control characters (header injection)."""
    return _CONTROL.sub(" ", value or "").strip()[:limit]


def message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def attachment_limit() -> int:
    return int(getattr(settings, "GUICHET_MAX_ATTACHMENT_BYTES", MAX_ATTACHMENT_BYTES))


def attachment_problem(filename: str, content_type: str, content: bytes) -> str:
    """Why an attachment must not be stored, or "" if it may be."""
    if len(content) > attachment_limit():
        return "too_large"
    suffixes = {s.lower() for s in PurePath(filename or "").suffixes}
    if suffixes & DANGEROUS_EXTENSIONS or content_type.lower() in DANGEROUS_TYPES:
        return "executable"
    if content[:2] == b"MZ" or content[:4] == b"\x7fELF" or content[:2] == b"#!":
        return "executable"  # a program renamed to look harmless
    return ""


def auto_submitted_reason(message: EmailMessage, sender: str) -> str:
    """Loop protection (RFC 3834): auto-replies, bounces and bulk mail never get an automatic answer."""
    auto = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto != "no":
        return "auto-submitted"
    if str(message.get("Precedence", "") or "").strip().lower() in {"bulk", "junk", "list", "auto_reply"}:
        return "precedence"
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("List-Id"):
        return "auto-reply"
    local = sender.partition("@")[0]
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}:
        return "daemon"
    if message.get_content_type() == "multipart/report":
        return "bounce"
    return ""


def _decode_part(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)


def _body(message: EmailMessage) -> tuple[str, str]:
    """(plain text, sanitised html). The plain part is preferred; html only is rendered to text."""
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    safe_html = sanitise_html(_decode_part(rich)) if rich is not None else ""
    if plain is not None:
        return _decode_part(plain).strip(), safe_html
    if rich is not None:
        return html_to_text(safe_html), safe_html
    if not message.is_multipart() and message.get_content_maintype() == "text":
        return _decode_part(message).strip(), ""
    return "", safe_html


def _attachments(message: EmailMessage) -> tuple[list[ParsedAttachment], list[dict[str, str]]]:
    kept, rejected = [], []
    for part in message.iter_attachments() if message.is_multipart() else []:
        filename = one_line(part.get_filename() or "attachment", 200)
        content_type = part.get_content_type()
        try:
            content = part.get_payload(decode=True) or b""
        except (ValueError, AssertionError):
            rejected.append({"filename": filename, "reason": "unreadable"})
            continue
        problem = attachment_problem(filename, content_type, content)
        if problem:
            rejected.append({"filename": filename, "reason": problem})
        else:
            kept.append(ParsedAttachment(filename, content_type, content))
    return kept, rejected


def parse_email(raw: bytes) -> ParsedEmail:
    if not raw or not isinstance(raw, bytes | bytearray):
        raise MalformedEmail("empty message")
    try:
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
        sender_name, sender = parseaddr(str(message.get("From", "") or ""))
    except Exception as exc:  # noqa: BLE001 - the stdlib raises many types on hostile headers
        raise MalformedEmail(f"unreadable headers: {exc}") from exc
    sender = one_line(sender, 254).lower()
    if "@" not in sender:
        raise MalformedEmail("no sender address")
    try:
        text, safe_html = _body(message)
        attachments, rejected = _attachments(message)
        recipients = [one_line(a, 254).lower() for _n, a in
                      getaddresses([str(v) for v in message.get_all("To", []) + message.get_all("Cc", [])])]
    except Exception as exc:  # noqa: BLE001
        raise MalformedEmail(f"unreadable body: {exc}") from exc
    fresh, quoted = split_quoted(text)
    reply_to = one_line(parseaddr(str(message.get("Reply-To", "") or ""))[1], 254).lower()
    ids = message_ids(message.get("Message-ID"))
    return ParsedEmail(
        message_id=ids[0] if ids else f"<sha256-{hashlib.sha256(bytes(raw)).hexdigest()}@guichet.invalid>",
        from_address=sender,
        from_name=one_line(sender_name, 200),
        to_addresses=[r for r in recipients if "@" in r],
        subject=one_line(str(message.get("Subject", "") or "")),
        text=fresh,
        quoted=quoted,
        html=safe_html,
        reply_to=reply_to if "@" in reply_to else "",
        in_reply_to=message_ids(message.get("In-Reply-To")),
        references=message_ids(message.get("References"))[-50:],
        language=one_line(str(message.get("Content-Language", "") or ""), 10).split(",")[0].strip().lower(),
        auto_submitted=auto_submitted_reason(message, sender),
        attachments=attachments,
        rejected_attachments=rejected,
    )
