"""Synchronous side of the citizen widget: every write goes through conversations.actions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.conversations import actions
from guichet.conversations.access import contact_conversations_for_citizen
from guichet.conversations.models import ContactIdentity, Conversation, Inbox, Message
from guichet.conversations.payloads import public_message
from guichet.core import ratelimit
from guichet.realtime.events import make_event
from guichet.realtime.tokens import CitizenGrant, InvalidToken, issue_citizen_token, read_citizen_token

logger = logging.getLogger("guichet.widget")


class WidgetError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# Action handlers other apps register: name -> callable(conversation, grant, value). Bot buttons, feedback,
# callback offers and surveys plug in here without the consumer knowing them.
ACTION_HANDLERS: dict[str, Any] = {}


@dataclass
class Hello:
    grant: CitizenGrant
    language: str
    conversation_id: int | None
    welcome: dict[str, Any]


@dataclass
class Sent:
    conversation_id: int
    seq: int
    duplicate: bool
    welcome: dict[str, Any]


def find_inbox(slug: str) -> Inbox | None:
    return Inbox.objects.select_related("default_queue").filter(slug=slug, channel="web").first()


def supported_language(inbox: Inbox, requested: Any) -> str:
    languages = inbox.languages or ["en", "fr"]
    code = (requested or "").split("-")[0].lower() if isinstance(requested, str) else ""
    return code if code in languages or code in settings.GUICHET_CITIZEN_LANGUAGES else languages[0]


def current_conversation(grant: CitizenGrant) -> Conversation | None:
    """The citizen's latest conversation in this inbox (resolved ones reopen when the citizen writes)."""
    return (contact_conversations_for_citizen(grant.contact_id, grant.inbox_slug)
            .select_related("inbox", "queue").order_by("-created_at", "-id").first())


def welcome_payload(token: str, language: str, conversation: Conversation | None) -> dict[str, Any]:
    return {
        "token": token,
        "language": conversation.language if conversation else language,
        "reference": conversation.reference if conversation else None,
        "status": conversation.status if conversation else None,
        "last_seq": conversation.last_seq if conversation else 0,
    }


def hello(inbox: Inbox, token: Any, language: Any, remote_addr: str) -> Hello:
    lang = supported_language(inbox, language)
    if token:
        try:
            grant = read_citizen_token(token, inbox.slug)
        except InvalidToken as exc:
            logger.warning("widget.bad_token inbox=%s reason=%s", inbox.slug, exc)
            raise WidgetError("invalid_token", _("Your chat session is no longer valid. Start a new one.")) \
                from exc
        conversation = current_conversation(grant)
        return Hello(grant, conversation.language if conversation else lang,
                     conversation.pk if conversation else None, welcome_payload(token, lang, conversation))
    limit, window = settings.GUICHET_RATE_LIMIT_SESSIONS
    if not ratelimit.hit(f"session:{remote_addr}", limit, window):
        raise WidgetError("rate_limited", _("Too many new chats from your network. Please wait a few minutes."))
    session_id = actions.new_web_session_id()
    contact = actions.get_or_create_contact_for_identity(ContactIdentity.Kind.WEB_SESSION, session_id,
                                                         language=lang)
    new_token = issue_citizen_token(contact.pk, inbox.slug, session_id)
    return Hello(CitizenGrant(contact.pk, inbox.slug, session_id), lang, None,
                 welcome_payload(new_token, lang, None))


def _checked_body(language: str, body: Any) -> str:
    try:
        with override(language):
            return actions.check_message_body(body)
    except actions.ActionError as exc:
        raise WidgetError(exc.code, exc.message) from exc


def open_conversation(inbox: Inbox, grant: CitizenGrant, language: str, body: Any) -> Sent:
    """The citizen's current conversation, started now if they have none (only for a valid first message)."""
    _checked_body(language, body)
    conversation = current_conversation(grant)
    if conversation is None:
        from guichet.conversations.models import Contact

        contact = Contact.objects.get(pk=grant.contact_id)
        conversation = actions.start_conversation(contact, inbox, language=language)
    token = issue_citizen_token(grant.contact_id, grant.inbox_slug, grant.session_id)
    return Sent(conversation.pk, conversation.last_seq, False, welcome_payload(token, language, conversation))


def written_language(text: str, fallback: str) -> str:
    """The language the citizen actually wrote in (among the configured ones), or `fallback` when unsure."""
    from guichet.bot.nlp.language import detect_language

    return detect_language(text, fallback, settings.GUICHET_CITIZEN_LANGUAGES)


def send(inbox: Inbox, grant: CitizenGrant, language: str, body: Any, client_id: str | None) -> Sent:
    limit, window = settings.GUICHET_RATE_LIMIT_MESSAGES
    if not ratelimit.hit(f"messages:{grant.session_id}", limit, window):
        raise WidgetError("rate_limited", _("You are sending messages too quickly. Please wait a moment."))
    text = _checked_body(language, body)
    conversation = current_conversation(grant)
    if conversation is None:
        from guichet.conversations.models import Contact

        contact = Contact.objects.get(pk=grant.contact_id)
        conversation = actions.start_conversation(contact, inbox, language=language)
    try:
        with override(conversation.language):
            received = actions.receive_message(conversation, text, client_id=client_id, channel="web",
                                               language=written_language(text, conversation.language))
    except actions.ActionError as exc:
        raise WidgetError(exc.code, exc.message) from exc
    token = issue_citizen_token(grant.contact_id, grant.inbox_slug, grant.session_id)
    return Sent(conversation.pk, received.message.seq, not received.created,
                welcome_payload(token, language, Conversation.objects.get(pk=conversation.pk)))


def replay(conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
    """Public messages after `after_seq`, in order, as the same events live delivery sends."""
    conversation = Conversation.objects.get(pk=conversation_id)
    missed = (Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq, is_private=False)
              .select_related("author_agent").order_by("seq"))
    from guichet.translation.integration import citizen_language  # replies in the language the citizen writes

    language = citizen_language(conversation)
    return [make_event("message.created", public_message(m, language)) for m in missed]


def typing(conversation_id: int, is_typing: bool) -> None:
    conversation = Conversation.objects.select_related("queue").get(pk=conversation_id)
    actions.publish_typing(conversation, who="contact", typing=is_typing)


def action(conversation_id: int, grant: CitizenGrant, name: Any, value: Any) -> None:
    handler = ACTION_HANDLERS.get(name) if isinstance(name, str) else None
    if handler is None:
        raise WidgetError("unknown_action", _("This button is not available any more."))
    conversation = (contact_conversations_for_citizen(grant.contact_id, grant.inbox_slug)
                    .select_related("inbox", "queue").filter(pk=conversation_id).first())
    if conversation is None:
        raise WidgetError("forbidden", _("This conversation is not yours."))
    handler(conversation, grant, value)
