"""Compose an outgoing e-mail for a stored message: threading headers, reference in the subject, language."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.conversations.models import ContactIdentity, Conversation, Message
from guichet.omnichannel.email.parsing import one_line
from guichet.omnichannel.email.threading import REFERENCE_IN_SUBJECT, thread_ids


def inbox_address(conversation: Conversation) -> str:
    return one_line(str((conversation.inbox.config or {}).get("address", "")), 254).lower()


def citizen_address(conversation: Conversation) -> str:
    """Answer where the citizen's last e-mail asked (Reply-To, else From), else their e-mail identity."""
    inbound = conversation.messages.filter(author_kind=Message.Author.CONTACT, channel="email") \
        .order_by("-seq").values_list("metadata", flat=True).first()
    headers = (inbound or {}).get("email") or {}
    address = headers.get("reply_to") or headers.get("from", "")
    if not address:
        address = ContactIdentity.objects.filter(contact=conversation.contact, kind=ContactIdentity.Kind.EMAIL) \
            .order_by("-verified", "id").values_list("value", flat=True).first() or ""
    return one_line(address, 254)


def reply_subject(conversation: Conversation) -> str:
    with override(conversation.language):
        base = one_line(conversation.subject) or _("Your request")
    while base.lower().startswith(("re:", "tr:", "fw:", "fwd:")):
        base = base.split(":", 1)[1].strip()
    if REFERENCE_IN_SUBJECT.search(base) is None:
        base = f"{base} [{conversation.reference}]"
    return f"Re: {base}"


def footer(conversation: Conversation) -> str:
    with override(conversation.language):
        return _("Reference: %(reference)s. Reply to this e-mail to continue the conversation; keep the "
                 "reference in the subject.") % {"reference": conversation.reference}


def compose(message: Message) -> EmailMessage:
    conversation = message.conversation
    sender = inbox_address(conversation)
    recipient = citizen_address(conversation)
    if not sender or not recipient or "\n" in sender + recipient or "\r" in sender + recipient:
        raise ValueError("missing or invalid sender/recipient address")
    mail = EmailMessage()
    mail["From"] = formataddr((one_line(conversation.inbox.name_en if conversation.language == "en"
                                        else conversation.inbox.name_fr), sender))
    mail["To"] = recipient
    mail["Subject"] = reply_subject(conversation)
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = (message.metadata or {}).get("email_message_id") or \
        make_msgid(idstring=f"m{message.pk}", domain=sender.partition("@")[2] or "guichet.invalid")
    earlier = thread_ids(conversation)
    if earlier:
        mail["In-Reply-To"] = earlier[-1]
        mail["References"] = " ".join(earlier)
    mail["X-Guichet-Reference"] = conversation.reference
    if message.author_kind in {Message.Author.SYSTEM, Message.Author.BOT}:
        mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer this
    mail.set_content(f"{message.body}\n\n-- \n{footer(conversation)}\n")
    mail["Content-Language"] = conversation.language  # after set_content, which clears Content-* headers
    return mail
