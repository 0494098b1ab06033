"""Every write to contacts, conversations and messages goes through these verbs.

`check_*` validate and raise `ActionError` (shown to the user as a 4xx / websocket error) before any
mutation; `do_*`-style verbs mutate inside a transaction and publish typed events on commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.agents.models import AgentProfile, Team
from guichet.conversations.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    ReferenceCounter,
)
from guichet.conversations.payloads import agent_message, conversation_summary, public_message
from guichet.core.models import AuditEvent
from guichet.realtime import events

logger = logging.getLogger("guichet.conversations")


class ActionError(Exception):
    """A request that cannot be carried out; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# --- validation ---------------------------------------------------------------------------------------


def check_message_body(body: Any) -> str:
    if not isinstance(body, str):
        raise ActionError("invalid_body", _("A message must be text."))
    text = body.replace("\x00", "").strip()
    if not text:
        raise ActionError("empty_message", _("The message is empty."))
    limit = settings.GUICHET_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ActionError(
            "message_too_long",
            _("The message is too long (%(count)d characters; the limit is %(limit)d).")
            % {"count": len(text), "limit": limit},
        )
    return text


def check_language(language: str | None, fallback: str = "en") -> str:
    code = (language or "").split("-")[0].lower()[:10]
    return code or fallback


# --- contacts -----------------------------------------------------------------------------------------


def new_web_session_id() -> str:
    return secrets.token_urlsafe(18)


def get_or_create_contact_for_identity(
    kind: str, value: str, *, verified: bool = False, display_name: str = "", language: str = "en"
) -> Contact:
    """Find the contact owning an identity, or create both; identities are unique per (kind, value)."""
    identity = ContactIdentity.objects.select_related("contact").filter(kind=kind, value=value).first()
    if identity is not None:
        return _follow_merges(identity.contact)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(display_name=display_name, preferred_language=language)
            ContactIdentity.objects.create(contact=contact, kind=kind, value=value, verified=verified)
            return contact
    except IntegrityError:  # another request created it first
        return _follow_merges(ContactIdentity.objects.get(kind=kind, value=value).contact)


def _follow_merges(contact: Contact) -> Contact:
    seen = set()
    while contact.merged_into_id is not None and contact.pk not in seen:
        seen.add(contact.pk)
        contact = contact.merged_into  # type: ignore[assignment]
    return contact


# --- conversations ------------------------------------------------------------------------------------


def next_reference(now=None) -> str:  # type: ignore[no-untyped-def]
    """Gapless per-year public numbers (GC-2026-000123); the counter row is locked for the increment."""
    year = (now or timezone.now()).year
    with transaction.atomic():
        ReferenceCounter.objects.get_or_create(year=year)
        counter = ReferenceCounter.objects.select_for_update().get(year=year)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        return f"GC-{year}-{counter.last_number:06d}"


def team_groups(conversation: Conversation) -> list[str]:
    groups = [events.group_for_team(conversation.queue.team_id), events.SUPERVISORS_GROUP]
    if conversation.assignee_id:
        groups.append(events.group_for_agent(conversation.assignee_id))
    return groups


def publish_conversation(conversation: Conversation, event_type: str = "conversation.updated",
                         extra_groups: Iterable[str] = ()) -> None:
    data = conversation_summary(conversation)
    events.publish(event_type, [*team_groups(conversation), *extra_groups,
                                events.group_for_conversation(conversation.pk)], data)
    events.publish("conversation.updated", [events.group_for_widget(conversation.pk)],
                   {"reference": conversation.reference, "status": conversation.status,
                    "language": conversation.language})


def start_conversation(contact: Contact, inbox: Inbox, *, language: str, subject: str = "",
                       priority: int | None = None) -> Conversation:
    with transaction.atomic():
        now = timezone.now()
        status = Conversation.Status.BOT if inbox.bot_enabled else Conversation.Status.QUEUED
        queue = inbox.default_queue
        conversation = Conversation.objects.create(
            reference=next_reference(now), contact=contact, inbox=inbox, status=status,
            language=check_language(language), queue=queue,
            priority=queue.default_priority if priority is None else priority,
            subject=subject[:300], created_at=now, updated_at=now,
            queued_at=now if status == Conversation.Status.QUEUED else None,
        )
        publish_conversation(conversation, "conversation.created")
        if status == Conversation.Status.QUEUED:
            _route_on_commit()
        logger.info("conversation.created ref=%s inbox=%s", conversation.reference, inbox.slug)
        return conversation


@dataclass
class Received:
    message: Message
    created: bool


def _allocate_seq(conversation_id: int) -> Conversation:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to the assignee.
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
        "queue", "inbox", "contact", "assignee").get(pk=conversation_id)
    conversation.last_seq += 1
    return conversation


def _store_message(conversation_id: int, **fields: Any) -> tuple[Conversation, Message]:
    conversation = _allocate_seq(conversation_id)
    now = timezone.now()
    message = Message.objects.create(conversation=conversation, seq=conversation.last_seq, created_at=now,
                                     **fields)
    conversation.updated_at = now
    conversation.save(update_fields=["last_seq", "updated_at"])
    return conversation, message


def _publish_message(conversation: Conversation, message: Message) -> None:
    groups = [events.group_for_conversation(conversation.pk), *team_groups(conversation)]
    events.publish("message.created", groups, agent_message(message))
    if not message.is_private:
        # Translation hook: the widget shows replies in the language the citizen writes in (may differ from
        # the language of record, e.g. Spanish on an English site).
        from guichet.translation.integration import citizen_language

        events.publish("message.created", [events.group_for_widget(conversation.pk)],
                       public_message(message, citizen_language(conversation)))


def receive_message(conversation: Conversation, body: Any, *, client_id: str | None = None,
                    provider_id: str | None = None, channel: str = "", language: str | None = None,
                    metadata: dict[str, Any] | None = None, notify_bot: bool = True) -> Received:
    """Store a citizen's message exactly once (by client or provider id) and wake whoever must act.

    `notify_bot=False` stores a turn the caller already answers itself (e.g. the voice IVR asks the bot directly).
    """
    text = check_message_body(body)
    channel = channel or conversation.inbox.channel
    existing = _find_duplicate(conversation, client_id, channel, provider_id)
    if existing is not None:
        return Received(existing, created=False)
    # Translation hook: machine translation for the agents, done before the transaction (a slow provider
    # never holds row locks); failures are handled after commit (re-route or desk notice), never dropped.
    from guichet.translation.integration import after_citizen_message, translate_citizen_message

    machine = translate_citizen_message(conversation, text, check_language(language, conversation.language))
    try:
        with transaction.atomic():
            conversation, message = _store_message(
                conversation.pk, author_kind=Message.Author.CONTACT, body=text,
                language=machine.language, client_id=client_id,
                provider_id=provider_id, channel=channel, metadata=metadata or {},
                translations=machine.translations,
            )
            if machine.translated or machine.failed:  # translation hook
                transaction.on_commit(lambda: after_citizen_message(conversation.pk, message.pk, machine))
            if conversation.status == Conversation.Status.RESOLVED:
                _reopen(conversation, by_citizen=True)
            elif conversation.status == Conversation.Status.PENDING:
                conversation.status = Conversation.Status.ASSIGNED if conversation.assignee_id else \
                    Conversation.Status.QUEUED
                conversation.save(update_fields=["status"])
                publish_conversation(conversation)
            _publish_message(conversation, message)
            if notify_bot and conversation.status == Conversation.Status.BOT:
                transaction.on_commit(lambda: _notify_bot(conversation.pk, message.pk))
    except IntegrityError:
        duplicate = _find_duplicate(conversation, client_id, channel, provider_id)
        if duplicate is None:
            raise
        return Received(duplicate, created=False)
    logger.info("message.received ref=%s seq=%s channel=%s", conversation.reference, message.seq, channel)
    return Received(message, created=True)


def _find_duplicate(conversation: Conversation, client_id: str | None, channel: str,
                    provider_id: str | None) -> Message | None:
    if client_id:
        found = Message.objects.filter(conversation=conversation, client_id=client_id).first()
        if found:
            return found
    if provider_id:
        return Message.objects.filter(channel=channel, provider_id=provider_id).first()
    return None


# Hook the bot app fills in (bot.apps.ready): called after commit with (conversation_id, message_id).
BOT_HOOKS: list[Any] = []


def _notify_bot(conversation_id: int, message_id: int) -> None:
    for hook in BOT_HOOKS:
        hook(conversation_id, message_id)


def post_message(conversation: Conversation, body: str, *, author_kind: str,
                 agent: AgentProfile | None = None, language: str | None = None,
                 metadata: dict[str, Any] | None = None, is_private: bool = False,
                 client_id: str | None = None, translations: dict[str, Any] | None = None) -> Message:
    """Store an outgoing message (bot, agent, system) and queue its delivery on the conversation's channel."""
    text = check_message_body(body)
    with transaction.atomic():
        conversation, message = _store_message(
            conversation.pk, author_kind=author_kind, author_agent=agent, body=text,
            language=check_language(language, conversation.language), metadata=metadata or {},
            is_private=is_private, client_id=client_id, channel=conversation.inbox.channel,
            translations=translations or {},
        )
        if not is_private and conversation.inbox.channel != "web":
            from guichet.core.jobs import enqueue_job

            message.delivery_status = Message.Delivery.QUEUED
            message.save(update_fields=["delivery_status"])
            enqueue_job("omnichannel.deliver", {"message_id": message.pk}, key=f"deliver:{message.pk}")
        _publish_message(conversation, message)
        return message


def send_agent_reply(agent: AgentProfile, conversation: Conversation, body: Any, *,
                     client_id: str | None = None, metadata: dict[str, Any] | None = None) -> Message:
    if conversation.status == Conversation.Status.RESOLVED:
        raise ActionError("conversation_resolved", _("Reopen the conversation before replying."), 409)
    if client_id:
        duplicate = Message.objects.filter(conversation=conversation, client_id=client_id).first()
        if duplicate:
            return duplicate
    # Translation hook: the reply is translated into the citizen's language before the transaction.
    from guichet.translation.integration import translate_agent_reply

    translations = translate_agent_reply(conversation, agent, check_message_body(body))
    with transaction.atomic():
        message = post_message(conversation, body, author_kind=Message.Author.AGENT, agent=agent,
                               language=conversation.language, client_id=client_id, translations=translations,
                               metadata=metadata)
        updates = []
        conversation.refresh_from_db()
        if conversation.first_response_at is None:
            conversation.first_response_at = message.created_at
            updates.append("first_response_at")
        if conversation.status in {Conversation.Status.QUEUED, Conversation.Status.BOT} or \
                conversation.assignee_id is None:
            # Replying to a waiting conversation takes it: the citizen now has a person.
            conversation.assignee = agent
            conversation.assigned_at = conversation.assigned_at or timezone.now()
            conversation.status = Conversation.Status.ASSIGNED
            updates += ["assignee", "assigned_at", "status"]
        if updates:
            conversation.save(update_fields=updates)
            publish_conversation(conversation)
        return message


def add_private_note(agent: AgentProfile, conversation: Conversation, body: Any) -> Message:
    return post_message(conversation, body, author_kind=Message.Author.AGENT, agent=agent,
                        is_private=True, language=agent.ui_language)


def post_system_notice(conversation: Conversation, text_for_language, *,  # type: ignore[no-untyped-def]
                       metadata: dict[str, Any] | None = None) -> Message:
    """A notice to the citizen in their language; `text_for_language()` is evaluated under that language."""
    with override(conversation.language):
        text = str(text_for_language())
    return post_message(conversation, text, author_kind=Message.Author.SYSTEM, metadata=metadata)


# --- lifecycle ----------------------------------------------------------------------------------------


def _route_on_commit() -> None:
    def route() -> None:
        from guichet.routing.actions import route_waiting

        route_waiting()

    transaction.on_commit(route)


def enqueue_conversation(conversation: Conversation, *, context: dict[str, Any] | None = None,
                         keep_place: bool = False) -> Conversation:
    """Put a conversation in its queue (after the bot hands off, or a transfer) and trigger routing."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        now = timezone.now()
        conversation.status = Conversation.Status.QUEUED
        conversation.assignee = None
        if not (keep_place and conversation.queued_at):
            conversation.queued_at = now
        if context:
            conversation.handoff_context = {**conversation.handoff_context, **context}
        conversation.updated_at = now
        conversation.save(update_fields=["status", "assignee", "queued_at", "handoff_context", "updated_at"])
        publish_conversation(conversation)
        _route_on_commit()
        return conversation


def assign_conversation(conversation: Conversation, agent: AgentProfile) -> Conversation:
    """Low-level assignment; callers hold the locks (routing.actions does) or act for the agent themselves."""
    now = timezone.now()
    conversation.assignee = agent
    conversation.status = Conversation.Status.ASSIGNED
    conversation.assigned_at = now
    conversation.updated_at = now
    conversation.save(update_fields=["assignee", "status", "assigned_at", "updated_at"])
    publish_conversation(conversation, "conversation.assigned")
    return conversation


def take_conversation(agent: AgentProfile, conversation: Conversation) -> Conversation:
    """An agent takes a waiting or bot conversation by hand (hybrid mode: take over from the bot)."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().select_related(
            "queue", "inbox", "contact").get(pk=conversation.pk)
        if conversation.status == Conversation.Status.RESOLVED:
            raise ActionError("conversation_resolved", _("This conversation is resolved."), 409)
        if conversation.assignee_id and conversation.assignee_id != agent.pk:
            raise ActionError("already_assigned", _("Another agent already has this conversation."), 409)
        if conversation.assignee_id == agent.pk and conversation.status == Conversation.Status.ASSIGNED:
            return conversation  # a replayed or stale "take": already theirs, nothing changes
        return assign_conversation(conversation, agent)


def transfer_conversation(actor: AgentProfile, conversation: Conversation, *, to_team: Team | None = None,
                          to_agent: AgentProfile | None = None, note: str = "") -> Conversation:
    """Warm transfer with a private note; the citizen is told what happens, in their language."""
    if (to_team is None) == (to_agent is None):
        raise ActionError("invalid_transfer", _("Choose either a team or an agent."))
    if to_agent is not None and to_agent.presence != AgentProfile.Presence.AVAILABLE:
        raise ActionError("agent_unavailable", _("%(name)s is not available.") % {"name": to_agent.display_name})
    if to_team is not None:
        if not to_team.queues.exists():
            raise ActionError("team_has_no_queue", _("This team has no queue to receive conversations."))
        if not to_team.members.exclude(presence=AgentProfile.Presence.OFFLINE).exists():
            raise ActionError("team_offline", _("Nobody in %(team)s is online.") % {"team": to_team.name})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().select_related(
            "queue", "inbox", "contact").get(pk=conversation.pk)
        if conversation.status == Conversation.Status.RESOLVED:
            raise ActionError("conversation_resolved", _("This conversation is resolved."), 409)
        if note.strip():
            add_private_note(actor, conversation, note)
        previous = conversation.assignee
        if to_agent is not None:
            assign_conversation(conversation, to_agent)
            target = to_agent.display_name
        else:
            assert to_team is not None
            conversation.queue = to_team.queues.order_by("slug").first()  # type: ignore[assignment]
            conversation.save(update_fields=["queue"])
            conversation = enqueue_conversation(conversation, keep_place=True)
            target = to_team.name
        post_system_notice(conversation, lambda: _("You are being transferred to a colleague who can help. "
                                                   "You do not need to repeat your request."))
        AuditEvent.objects.create(actor=actor.user, action="conversation.transferred",
                                  target=conversation.reference,
                                  details={"from": previous.pk if previous else None, "to": target})
        publish_conversation(conversation, "conversation.transferred",
                             [events.group_for_agent(to_agent.pk)] if to_agent else [])
        return conversation


def resolve_conversation(actor: AgentProfile | None, conversation: Conversation) -> Conversation:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "queue", "inbox", "contact", "assignee").get(pk=conversation.pk)
        if conversation.status == Conversation.Status.RESOLVED:
            return conversation
        now = timezone.now()
        conversation.status = Conversation.Status.RESOLVED
        conversation.resolved_at = now
        conversation.updated_at = now
        conversation.save(update_fields=["status", "resolved_at", "updated_at"])
        publish_conversation(conversation, "conversation.resolved")
        for hook in RESOLVE_HOOKS:
            hook(conversation)
        _route_on_commit()  # the agent has room again
        return conversation


# Hooks run inside the resolving transaction (e.g. analytics asks the satisfaction survey).
RESOLVE_HOOKS: list[Any] = []


def _reopen(conversation: Conversation, *, by_citizen: bool) -> None:
    conversation.status = Conversation.Status.ASSIGNED if conversation.assignee_id and not by_citizen \
        else Conversation.Status.QUEUED
    if conversation.status == Conversation.Status.QUEUED:
        conversation.assignee = None
        conversation.queued_at = timezone.now()
        _route_on_commit()
    conversation.resolved_at = None
    conversation.save(update_fields=["status", "assignee", "queued_at", "resolved_at"])
    publish_conversation(conversation)


def reopen_conversation(actor: AgentProfile, conversation: Conversation) -> Conversation:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().select_related(
            "queue", "inbox", "contact").get(pk=conversation.pk)
        if conversation.status != Conversation.Status.RESOLVED:
            raise ActionError("not_resolved", _("This conversation is still open."), 409)
        conversation.assignee = actor
        _reopen(conversation, by_citizen=False)
        return conversation


def return_to_bot(conversation: Conversation) -> Conversation:
    """Hybrid mode: the conversation goes back to the virtual agent (status bot, nobody assigned). Callers
    check who may do it; the previous assignee's desk is told so the conversation leaves their list."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "queue", "inbox", "contact", "assignee").get(pk=conversation.pk)
        if conversation.status == Conversation.Status.RESOLVED:
            raise ActionError("conversation_resolved", _("This conversation is resolved."), 409)
        if conversation.status == Conversation.Status.BOT:
            return conversation
        previous_id = conversation.assignee_id
        conversation.status = Conversation.Status.BOT
        conversation.assignee = None
        conversation.updated_at = timezone.now()
        conversation.save(update_fields=["status", "assignee", "updated_at"])
        publish_conversation(conversation, extra_groups=[events.group_for_agent(previous_id)] if previous_id else [])
        _route_on_commit()  # the agent has room again
        return conversation


def set_conversation_language(conversation: Conversation, language: str) -> Conversation:
    """Change the language of record (the citizen chose or clearly writes another language)."""
    code = check_language(language, conversation.language)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "queue", "inbox", "contact", "assignee").get(pk=conversation.pk)
        if conversation.language == code:
            return conversation
        conversation.language = code
        conversation.save(update_fields=["language"])
        Contact.objects.filter(pk=conversation.contact_id).update(preferred_language=code)
        publish_conversation(conversation)
        return conversation


def move_to_queue(conversation: Conversation, queue, *, priority: int | None = None) -> Conversation:  # type: ignore[no-untyped-def]
    """Route a conversation through another queue (an IVR menu choice, a bot topic); waiting keeps its place."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "queue", "inbox", "contact", "assignee").get(pk=conversation.pk)
        conversation.queue = queue
        fields = ["queue"]
        if priority is not None:
            conversation.priority = priority
            fields.append("priority")
        conversation.save(update_fields=fields)
        publish_conversation(conversation)
        if conversation.status == Conversation.Status.QUEUED:
            _route_on_commit()
        return conversation


def publish_typing(conversation: Conversation, *, who: str, name: str = "", typing: bool = True) -> None:
    groups = [events.group_for_conversation(conversation.pk)]
    if who == "agent":
        groups.append(events.group_for_widget(conversation.pk))
    events.publish("conversation.typing", groups,
                   {"reference": conversation.reference, "who": who, "name": name, "typing": typing})
