"""One citizen, one timeline: normalised identities, linking, suggested merges and the merge itself.

Automatic linking happens only on an exact normalised identity (the same e-mail address or the same E.164
number) or a verified one; anything fuzzier is only *suggested* to an agent, who decides and is audited.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guichet.conversations.actions import (
    ActionError,
    get_or_create_contact_for_identity,
    publish_conversation,
)
from guichet.conversations.models import Contact, ContactIdentity, Conversation, Message
from guichet.core.models import AuditEvent

DEFAULT_PHONE_REGION = "CA"
_EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d ().-]{8,}\d")


# --- normalisation ------------------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    address = (value or "").strip().strip("<>").strip().lower()
    if len(address) > 254 or not _EMAIL_RE.match(address):
        raise ActionError("invalid_email", _("This is not a valid e-mail address."))
    return address


def normalise_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (+15145550123); numbers without a country code are read in `region` (Canada by default)."""
    try:
        number = phonenumbers.parse((value or "").strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ActionError("invalid_phone", _("This is not a valid phone number.")) from exc
    if not phonenumbers.is_possible_number(number):
        raise ActionError("invalid_phone", _("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_identity(kind: str, value: str) -> str:
    if kind == ContactIdentity.Kind.EMAIL:
        return normalise_email(value)
    if kind == ContactIdentity.Kind.PHONE:
        return normalise_phone(value)
    cleaned = (value or "").strip()
    if not cleaned:
        raise ActionError("invalid_identity", _("The identity is empty."))
    return cleaned[:320]


def follow_merges(contact: Contact) -> Contact:
    seen: set[int] = set()
    while contact.merged_into_id is not None and contact.pk not in seen:
        seen.add(contact.pk)
        contact = contact.merged_into  # type: ignore[assignment]
    return contact


# --- linking ------------------------------------------------------------------------------------------


def contact_for_identity(kind: str, value: str, *, verified: bool = False, display_name: str = "",
                         language: str = "en") -> Contact:
    """The contact owning this exact normalised identity, created if nobody does (automatic linking)."""
    normalised = normalise_identity(kind, value)
    contact = get_or_create_contact_for_identity(kind, normalised, verified=verified,
                                                 display_name=display_name[:200], language=language)
    if display_name and not contact.display_name:
        contact.display_name = display_name[:200]
        contact.save(update_fields=["display_name"])
    return contact


def link_identity(contact: Contact, kind: str, value: str, *, verified: bool = False) -> ContactIdentity:
    """Attach an identity to a contact. An identity owned by someone else is never moved silently:
    linking it needs a merge (which an agent confirms)."""
    normalised = normalise_identity(kind, value)
    contact = follow_merges(contact)
    with transaction.atomic():
        identity, created = ContactIdentity.objects.select_for_update().get_or_create(
            kind=kind, value=normalised, defaults={"contact": contact, "verified": verified})
        if not created and follow_merges(identity.contact).pk != contact.pk:
            raise ActionError("identity_taken",
                              _("This identity belongs to another contact; merge the contacts instead."), 409)
        if verified and not identity.verified:
            identity.verified = True
            identity.save(update_fields=["verified"])
        return identity


# --- suggested merges ---------------------------------------------------------------------------------


@dataclass
class MergeSuggestion:
    contact: Contact
    reasons: list[str] = field(default_factory=list)
    score: int = 0


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def _email_base(address: str) -> str:
    # jane.doe+benefits@example.ca and jane.doe@example.ca reach the same mailbox.
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _mentioned_identities(contact: Contact) -> set[tuple[str, str]]:
    """E-mail addresses and phone numbers the citizen typed in their own messages."""
    found: set[tuple[str, str]] = set()
    bodies = Message.objects.filter(conversation__contact=contact, author_kind=Message.Author.CONTACT) \
        .values_list("body", flat=True)[:500]
    for body in bodies:
        for match in _EMAIL_IN_TEXT.findall(body):
            try:
                found.add((ContactIdentity.Kind.EMAIL, normalise_email(match)))
            except ActionError:
                pass
        for match in _PHONE_IN_TEXT.findall(body):
            try:
                found.add((ContactIdentity.Kind.PHONE, normalise_phone(match)))
            except ActionError:
                pass
    return found


def _contacts_mentioning(identities: list[ContactIdentity], pool: QuerySet[Contact]) -> list[tuple[Contact, str]]:
    """Other contacts who typed one of these e-mail addresses or phone numbers in a message."""
    found = []
    for identity in identities:
        if identity.kind == ContactIdentity.Kind.EMAIL:
            spellings = [identity.value]
        elif identity.kind == ContactIdentity.Kind.PHONE:
            national = phonenumbers.national_significant_number(phonenumbers.parse(identity.value))
            spellings = [identity.value, national]
        else:
            continue
        query = Q()
        for spelling in spellings:
            query |= Q(conversations__messages__body__icontains=spelling)
        writers = pool.filter(query, conversations__messages__author_kind=Message.Author.CONTACT).distinct()
        found += [(writer, identity.value) for writer in writers[:20]]
    return found


def suggested_merges(contact: Contact, candidates: QuerySet[Contact] | None = None,
                     limit: int = 10) -> list[MergeSuggestion]:
    """Other contacts that are probably the same person, best first, each with the reasons why.

    Signals: an identity this citizen typed in a message belongs to the other contact (strong); the same
    mailbox under a plus-address (strong); the same name (weak: only counted together with another signal
    or a shared e-mail domain)."""
    contact = follow_merges(contact)
    pool = (candidates if candidates is not None else Contact.objects.all()) \
        .filter(merged_into__isnull=True).exclude(pk=contact.pk)
    suggestions: dict[int, MergeSuggestion] = {}

    def add(other: Contact, reason: str, score: int) -> None:
        entry = suggestions.setdefault(other.pk, MergeSuggestion(other))
        if reason not in entry.reasons:
            entry.reasons.append(reason)
            entry.score += score

    own = list(contact.identities.all())
    own_emails = [i.value for i in own if i.kind == ContactIdentity.Kind.EMAIL]
    for kind, value in _mentioned_identities(contact):
        for other in pool.filter(identities__kind=kind, identities__value=value).distinct():
            add(other, _("Wrote %(identity)s, which belongs to this contact.") % {"identity": value}, 3)
    for other, value in _contacts_mentioning(own, pool):
        add(other, _("Wrote %(identity)s, which belongs to this contact.") % {"identity": value}, 3)
    for address in own_emails:
        base = _email_base(address)
        local, _at, domain = base.partition("@")
        query = Q(identities__value__iexact=base) | Q(identities__value__istartswith=f"{local}+",
                                                      identities__value__iendswith=f"@{domain}")
        for other in pool.filter(query, identities__kind=ContactIdentity.Kind.EMAIL).distinct():
            add(other, _("Same mailbox: %(address)s.") % {"address": base}, 3)
    name = _fold(contact.display_name)
    if name:
        domains = {address.partition("@")[2] for address in own_emails}
        for other in pool.exclude(display_name="").filter(display_name__iexact=contact.display_name.strip()) \
                | pool.filter(pk__in=[pk for pk in suggestions]):
            if _fold(other.display_name) != name:
                continue
            add(other, _("Same name: %(name)s.") % {"name": other.display_name}, 1)
            other_domains = {i.value.partition("@")[2] for i in other.identities.all()
                             if i.kind == ContactIdentity.Kind.EMAIL}
            if domains & other_domains:
                add(other, _("Same name and e-mail domain."), 1)
    ranked = sorted((s for s in suggestions.values() if s.score >= 2), key=lambda s: (-s.score, s.contact.pk))
    return ranked[:limit]


# --- merging ------------------------------------------------------------------------------------------


def check_merge(survivor: Contact, absorbed: Contact) -> None:
    if survivor.pk == absorbed.pk:
        raise ActionError("merge_same_contact", _("A contact cannot be merged into itself."))
    if absorbed.merged_into_id is not None or survivor.merged_into_id is not None:
        raise ActionError("already_merged", _("One of these contacts was already merged."), 409)


def merge_contacts(actor, survivor: Contact, absorbed: Contact) -> Contact:  # type: ignore[no-untyped-def]
    """Move every conversation and identity of `absorbed` to `survivor`, keep `absorbed` as a pointer
    (merged_into) so old links still resolve, and write an audit event. Rows are locked in id order."""
    check_merge(survivor, absorbed)
    with transaction.atomic():
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(
            pk__in=[survivor.pk, absorbed.pk]).order_by("pk")}
        survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
        check_merge(survivor, absorbed)
        conversation_ids = list(absorbed.conversations.values_list("pk", flat=True))
        identities = [str(i) for i in absorbed.identities.all()]
        Conversation.objects.filter(pk__in=conversation_ids).update(contact=survivor)
        absorbed.identities.update(contact=survivor)
        Contact.objects.filter(merged_into=absorbed).update(merged_into=survivor)
        absorbed.merged_into = survivor
        absorbed.save(update_fields=["merged_into"])
        if not survivor.display_name and absorbed.display_name:
            survivor.display_name = absorbed.display_name
        survivor.accessibility = {**(absorbed.accessibility or {}), **(survivor.accessibility or {})}
        survivor.save(update_fields=["display_name", "accessibility"])
        AuditEvent.objects.create(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            action="contact.merged", target=f"contact:{survivor.pk}",
            details={"absorbed": absorbed.pk, "conversations": conversation_ids, "identities": identities})
        for conversation in Conversation.objects.select_related("queue", "inbox", "contact", "assignee") \
                .filter(pk__in=conversation_ids):
            publish_conversation(conversation)
        return survivor


# --- unified timeline ---------------------------------------------------------------------------------


def contact_timeline(contact: Contact, *, include_private: bool = True, limit: int = 500) -> list[Message]:
    """Every message of every conversation of this citizen, on every channel, oldest first."""
    contact = follow_merges(contact)
    messages = Message.objects.filter(conversation__contact=contact).select_related(
        "conversation", "conversation__inbox", "author_agent")
    if not include_private:
        messages = messages.filter(is_private=False)
    latest = list(messages.order_by("-created_at", "-id")[:limit])
    latest.reverse()
    return latest
