"""Replies never start a new case: thread by Message-ID / In-Reply-To / References, then by reference number.

Message-IDs we send are unguessable, so a reply quoting one threads whoever sends it (a citizen may answer
from another address). Reference numbers are guessable, so the subject only threads mail from the same
citizen (same contact after merges).
"""

from __future__ import annotations

import re

from guichet.conversations.identity import follow_merges
from guichet.conversations.models import Contact, Conversation
from guichet.omnichannel.email.parsing import ParsedEmail
from guichet.omnichannel.models import EmailThreadKey

REFERENCE_IN_SUBJECT = re.compile(r"\bGC-\d{4}-\d{6}\b")


def conversation_for_message_ids(ids: list[str]) -> Conversation | None:
    if not ids:
        return None
    keys = {k.mail_id: k for k in EmailThreadKey.objects.select_related("conversation")
            .filter(mail_id__in=ids)}
    for message_id in ids:  # the most specific first: In-Reply-To, then References from newest
        if message_id in keys:
            return keys[message_id].conversation
    return None


def conversation_for_subject(subject: str, contact: Contact) -> Conversation | None:
    match = REFERENCE_IN_SUBJECT.search(subject or "")
    if match is None:
        return None
    conversation = Conversation.objects.select_related("contact").filter(reference=match.group(0)).first()
    if conversation is None or follow_merges(conversation.contact).pk != follow_merges(contact).pk:
        return None
    return conversation


def find_thread(parsed: ParsedEmail, contact: Contact) -> Conversation | None:
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    return conversation_for_message_ids(ids) or conversation_for_subject(parsed.subject, contact)


def remember(message_id: str, conversation: Conversation, message=None) -> None:  # type: ignore[no-untyped-def]
    EmailThreadKey.objects.get_or_create(mail_id=message_id[:500],
                                         defaults={"conversation": conversation, "message": message})


def thread_ids(conversation: Conversation, limit: int = 20) -> list[str]:
    """Message-IDs of the conversation, oldest first (for the References header)."""
    ids = list(EmailThreadKey.objects.filter(conversation=conversation).order_by("-created_at", "-id")
               .values_list("mail_id", flat=True)[:limit])
    ids.reverse()
    return ids
