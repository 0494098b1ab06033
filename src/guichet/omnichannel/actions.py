"""Every write the channels make: inbound e-mail and SMS, delivery of outgoing messages, provider status
callbacks, SMS opt-outs, attachments and "reply via another channel". Voice calls: omnichannel/voice/calls.py.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.agents.models import AgentProfile
from guichet.conversations import actions as conv
from guichet.conversations.actions import ActionError
from guichet.conversations.identity import contact_for_identity, follow_merges
from guichet.conversations.models import Contact, ContactIdentity, Conversation, Inbox, Message
from guichet.conversations.payloads import agent_message
from guichet.core import ratelimit
from guichet.core.jobs import PermanentFailure, RetryLater, enqueue_job, job_handler
from guichet.omnichannel.adapters.base import InboundMessage, InboundRejected, TemporaryFailure
from guichet.omnichannel.adapters.registry import get_adapter
from guichet.omnichannel.email.parsing import ParsedEmail, attachment_problem
from guichet.omnichannel.email.threading import conversation_for_message_ids, find_thread, remember
from guichet.omnichannel.models import Attachment, SmsOptOut
from guichet.realtime import events

logger = logging.getLogger("guichet.omnichannel")

MAX_DELIVERY_ATTEMPTS = 5
# A resolved conversation is reopened by a new text within this window; later, a new case starts.
REOPEN_WINDOW = timedelta(days=7)
OPT_OUT_WORDS = {"STOP": "en", "STOPALL": "en", "UNSUBSCRIBE": "en", "CANCEL": "en", "END": "en", "QUIT": "en",
                 "ARRET": "fr", "DESABONNER": "fr"}
OPT_IN_WORDS = {"START": "en", "UNSTOP": "en", "YES": "en", "DEBUT": "fr"}


@dataclass
class Ingested:
    conversation: Conversation | None
    message: Message | None
    created: bool
    reason: str = ""  # why nothing was stored, for logs and SMTP answers


# --- helpers ------------------------------------------------------------------------------------------


def guess_language(text: str, inbox: Inbox, fallback: str | None = None) -> str:
    languages = [code for code in (inbox.languages or []) if code] or ["en"]
    default = fallback if fallback in languages else languages[0]
    try:
        from guichet.bot.nlp.language import guess_language as detect
    except ImportError:  # the bot's detector is optional
        return default
    guess = detect(text or "", languages)
    return guess.language if guess.reliable else default


def open_conversation_for(contact: Contact, inbox: Inbox, *, language: str, subject: str = "") -> tuple[
        Conversation, bool]:
    """The citizen's current conversation in this inbox (open, or resolved recently), else a new one."""
    recent = (Conversation.objects.filter(contact=contact, inbox=inbox)
              .select_related("inbox", "queue", "contact").order_by("-created_at", "-id").first())
    if recent is not None and (recent.is_open or (recent.resolved_at and
                                                  recent.resolved_at > timezone.now() - REOPEN_WINDOW)):
        return recent, False
    return conv.start_conversation(contact, inbox, language=language, subject=subject[:300]), True


def store_attachment(message: Message, filename: str, content_type: str, content: bytes) -> Attachment | None:
    """Files live under MEDIA_ROOT with random names; dangerous or oversized files are refused."""
    problem = attachment_problem(filename, content_type, content)
    if problem:
        logger.warning("attachment.rejected message=%s name=%r reason=%s", message.pk, filename, problem)
        return None
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(message=message, filename=filename[:255], content_type=content_type[:100],
                            size=len(content), sha256=digest, token=secrets.token_hex(8))
    attachment.file.save(attachment.filename, ContentFile(content), save=True)
    return attachment


def wake_bot_later(received: conv.Received) -> None:
    """The virtual agent answers texts and e-mails from a background job, never inside the provider's webhook
    or the SMTP session: a cold model (about a minute after a start) would outlast Twilio's 15 s limit."""
    message = received.message
    if not received.created or message.conversation.status != Conversation.Status.BOT:
        return
    conversation_id, message_id = message.conversation_id, message.pk
    transaction.on_commit(lambda: enqueue_job(
        "bot.reply", {"conversation_id": conversation_id, "message_id": message_id},
        key=f"bot.reply:{message_id}", max_attempts=2))


# --- delivery -----------------------------------------------------------------------------------------


def _publish_updated(message: Message) -> None:
    conversation = message.conversation
    groups = [events.group_for_conversation(conversation.pk), *conv.team_groups(conversation)]
    events.publish("message.updated", groups, agent_message(message))


def set_delivery(message: Message, status: str, *, error: str = "", provider_id: str | None = None) -> None:
    """Record a delivery outcome; never step back (a late "sent" callback cannot undo "delivered")."""
    rank = {"": 0, "queued": 1, "sent": 2, "delivered": 3, "failed": 3}
    if rank.get(status, 0) < rank.get(message.delivery_status, 0):
        return
    fields = {"delivery_status": status, "delivery_error": error[:2000]}
    if provider_id and not message.provider_id:
        fields["provider_id"] = provider_id[:200]
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(**fields)
        for name, value in fields.items():
            setattr(message, name, value)
        _publish_updated(message)
    logger.info("message.delivery id=%s status=%s error=%s", message.pk, status, error)


def deliver_message(message_id: int) -> None:
    """Send one queued message through its channel's adapter; retried with backoff by the job runner."""
    message = Message.objects.select_related("conversation__inbox", "conversation__queue",
                                             "conversation__contact").filter(pk=message_id).first()
    if message is None:
        raise PermanentFailure(f"message {message_id} does not exist")
    if message.delivery_status != Message.Delivery.QUEUED:
        return  # already sent by an earlier run of this job
    attempts = int((message.metadata or {}).get("delivery_attempts", 0)) + 1
    message.metadata = {**(message.metadata or {}), "delivery_attempts": attempts}
    Message.objects.filter(pk=message.pk).update(metadata=message.metadata)
    adapter = get_adapter(message.conversation.inbox)
    try:
        result = adapter.send(message)
    except TemporaryFailure as exc:
        message.refresh_from_db(fields=["metadata"])
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            set_delivery(message, Message.Delivery.FAILED, error=str(exc))
            raise PermanentFailure(str(exc)) from exc
        Message.objects.filter(pk=message.pk).update(delivery_error=str(exc)[:2000])
        raise RetryLater(str(exc)) from exc
    message.refresh_from_db(fields=["metadata"])
    set_delivery(message, result.status, error=result.error, provider_id=result.provider_id)
    if result.status != "failed" and message.conversation.inbox.channel == "email" and result.provider_id:
        remember(result.provider_id, message.conversation, message)


@job_handler("omnichannel.deliver")
def _deliver_job(payload: dict[str, Any]) -> None:
    try:
        deliver_message(int(payload["message_id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentFailure(f"bad payload {payload!r}") from exc


PROVIDER_STATUS = {"queued": "queued", "accepted": "queued", "sending": "sent", "sent": "sent",
                   "delivered": "delivered", "undelivered": "failed", "failed": "failed"}


def record_provider_status(channel: str, provider_id: str, provider_status: str, error_code: str = "") -> bool:
    """A provider status callback (Twilio MessageStatus); False if no message carries that id."""
    status = PROVIDER_STATUS.get((provider_status or "").lower())
    message = Message.objects.select_related("conversation__inbox", "conversation__queue").filter(
        channel=channel, provider_id=provider_id).first()
    if message is None or status is None:
        return False
    error = _("The provider could not deliver it (error %(code)s).") % {"code": error_code or "?"} \
        if status == "failed" else ""
    set_delivery(message, status, error=error)
    return True


# --- e-mail -------------------------------------------------------------------------------------------


def email_inbox_for(recipients: list[str]) -> Inbox | None:
    wanted = {r.strip().strip("<>").lower() for r in recipients}
    for inbox in Inbox.objects.filter(channel="email").select_related("default_queue"):
        if str((inbox.config or {}).get("address", "")).lower() in wanted:
            return inbox
    return None


def sender_rate() -> tuple[int, int]:
    return tuple(getattr(settings, "GUICHET_EMAIL_SENDER_RATE", (20, 3600)))  # type: ignore[return-value]


def ingest_email(raw: bytes, recipients: list[str]) -> Ingested:
    """Store one inbound e-mail exactly once, threaded into its conversation; acknowledge new cases.

    Raises InboundRejected (with an SMTP-ish status: 550 unknown mailbox, 554 malformed, 451 rate) for mail
    that must not be stored; machine-generated mail is logged and dropped unless it threads into a case."""
    inbox = email_inbox_for(recipients)
    if inbox is None:
        raise InboundRejected("no inbox for these recipients", 550)
    inbound = get_adapter(inbox).parse_inbound(raw)
    parsed: ParsedEmail = inbound.extra["parsed"]
    duplicate = Message.objects.filter(channel="email", provider_id=parsed.message_id).first()
    if duplicate is not None:
        return Ingested(duplicate.conversation, duplicate, created=False, reason="duplicate")
    if parsed.auto_submitted:
        return _ingest_automatic_mail(parsed)
    limit, window = sender_rate()
    if not ratelimit.hit(f"email-sender:{parsed.from_address}", limit, window):
        logger.warning("email.rate_limited sender=%s", parsed.from_address)
        raise InboundRejected("too many messages from this sender; try again later", 451)
    try:
        contact = contact_for_identity(ContactIdentity.Kind.EMAIL, parsed.from_address,
                                       display_name=parsed.from_name)
    except ActionError as exc:
        raise InboundRejected(f"bad sender: {exc.message}", 550) from exc
    return _store_email(inbox, contact, parsed, inbound)


def _ingest_automatic_mail(parsed: ParsedEmail) -> Ingested:
    """Auto-replies and bounces never get an answer (no loops); one that threads is kept as a note."""
    conversation = conversation_for_message_ids([*parsed.in_reply_to, *reversed(parsed.references)])
    if conversation is None:
        logger.info("email.auto_dropped from=%s reason=%s", parsed.from_address, parsed.auto_submitted)
        return Ingested(None, None, created=False, reason=parsed.auto_submitted)
    body = _("Automatic e-mail received (%(reason)s) from %(sender)s: %(subject)s") % {
        "reason": parsed.auto_submitted, "sender": parsed.from_address, "subject": parsed.subject}
    note = conv.post_message(conversation, body, author_kind=Message.Author.SYSTEM, is_private=True,
                             metadata={"email": {"message_id": parsed.message_id, "auto": parsed.auto_submitted}})
    remember(parsed.message_id, conversation, note)
    return Ingested(conversation, note, created=True, reason=parsed.auto_submitted)


def _email_body(parsed: ParsedEmail) -> tuple[str, bool]:
    limit = settings.GUICHET_MAX_MESSAGE_CHARS
    text = parsed.text.replace("\x00", "").strip()
    if not text:
        with override(settings.LANGUAGE_CODE):
            text = parsed.subject or str(_("(no text; see the attachments)"))
    if len(text) > limit:
        return text[: limit - 1] + "…", True
    return text, False


def _store_email(inbox: Inbox, contact: Contact, parsed: ParsedEmail, inbound: InboundMessage) -> Ingested:
    body, truncated = _email_body(parsed)
    metadata = {"email": {"from": parsed.from_address, "reply_to": parsed.reply_to, "to": parsed.to_addresses,
                          "subject": parsed.subject,
                          "message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to,
                          "references": parsed.references[-10:], "quoted": parsed.quoted[:20000],
                          "html": parsed.html[:100000], "truncated": truncated,
                          "rejected_attachments": parsed.rejected_attachments}}
    with transaction.atomic():
        conversation = find_thread(parsed, contact)
        created_case = False
        if conversation is None:
            language = guess_language(f"{parsed.subject}\n{parsed.text}", inbox, parsed.language or None)
            conversation = conv.start_conversation(contact, inbox, language=language, subject=parsed.subject)
            created_case = True
        received = conv.receive_message(conversation, body, provider_id=parsed.message_id, channel="email",
                                        metadata=metadata, notify_bot=False)
        wake_bot_later(received)
        if not received.created:
            return Ingested(conversation, received.message, created=False, reason="duplicate")
        remember(parsed.message_id, conversation, received.message)
        for item in inbound.attachments:
            store_attachment(received.message, item.filename, item.content_type, item.content)
        if truncated:
            store_attachment(received.message, "message.txt", "text/plain", parsed.text.encode("utf-8"))
        if created_case:
            acknowledge(conversation)
    logger.info("email.received ref=%s from=%s new_case=%s", conversation.reference, parsed.from_address,
                created_case)
    return Ingested(conversation, received.message, created=True)


def acknowledge(conversation: Conversation) -> Message:
    """The automatic answer to a new case, carrying its reference number (sent with Auto-Submitted)."""
    return conv.post_system_notice(
        conversation,
        lambda: _("We have received your message. Your reference number is %(reference)s. An agent will "
                  "answer you by e-mail; keep this number in the subject of any reply.")
        % {"reference": conversation.reference},
        metadata={"kind": "acknowledgement"},
    )


# --- SMS ----------------------------------------------------------------------------------------------


def _keyword(body: str) -> str:
    folded = unicodedata.normalize("NFKD", (body or "").strip().upper())
    return "".join(c for c in folded if not unicodedata.combining(c)).strip(" .!")


def ingest_sms(inbox: Inbox, inbound: InboundMessage) -> Ingested:
    """Store one inbound text exactly once (by MessageSid); STOP/ARRÊT and START/DÉBUT are handled here."""
    keyword = _keyword(inbound.body)
    if keyword in OPT_OUT_WORDS or keyword in OPT_IN_WORDS:
        return _opt_keyword(inbox, inbound, keyword)
    if Message.objects.filter(channel="sms", provider_id=inbound.provider_id).exists():
        duplicate = Message.objects.select_related("conversation").get(channel="sms", provider_id=inbound.provider_id)
        return Ingested(duplicate.conversation, duplicate, created=False, reason="duplicate")
    limit, window = getattr(settings, "GUICHET_SMS_SENDER_RATE", (30, 300))
    if not ratelimit.hit(f"sms-sender:{inbox.pk}:{inbound.from_identity}", limit, window):
        logger.warning("sms.rate_limited inbox=%s from=%s", inbox.slug, inbound.from_identity)
        raise InboundRejected("too many messages from this number; try again later", 429)
    contact = contact_for_identity(ContactIdentity.Kind.PHONE, inbound.from_identity)
    survey_answer = _sms_survey_answer(inbox, contact, inbound)
    if survey_answer is not None:
        return survey_answer
    with transaction.atomic():
        language = guess_language(inbound.body, inbox, follow_merges(contact).preferred_language)
        conversation, _new = open_conversation_for(contact, inbox, language=language)
        body = inbound.body.strip() or (_("(picture or file without text)") if inbound.extra["sms"]["media"]
                                        else "")
        received = conv.receive_message(conversation, body, provider_id=inbound.provider_id, channel="sms",
                                        metadata={"sms": inbound.extra["sms"]}, notify_bot=False)
        wake_bot_later(received)
    return Ingested(conversation, received.message, created=received.created)


def _sms_survey_answer(inbox: Inbox, contact: Contact, inbound: InboundMessage) -> Ingested | None:
    """A lone 1-5 answering the satisfaction survey of the citizen's last, resolved, conversation: recorded as
    the rating and thanked for, never stored as a message nor reopening the case. None: an ordinary text."""
    from guichet.analytics.actions import record_sms_survey_reply
    from guichet.core.models import Job

    latest = (Conversation.objects.filter(contact=follow_merges(contact), inbox=inbox)
              .order_by("-created_at", "-id").first())
    if latest is None or latest.is_open:
        return None  # a digit in an open conversation answers the agent, not a survey
    thanks_key = f"sms-survey:{inbox.pk}:{inbound.provider_id}"
    if Job.objects.filter(idempotency_key=thanks_key).exists():  # the provider retried the same answer
        return Ingested(latest, None, created=False, reason="duplicate")
    with transaction.atomic():
        if not record_sms_survey_reply(latest, inbound.body):
            return None
        with override(latest.language):
            thanks = _("Thank you for your answer. It helps us improve our service.")
        enqueue_job("omnichannel.sms_direct", {"inbox": inbox.pk, "to": inbound.from_identity, "body": str(thanks)},
                    key=thanks_key)
    logger.info("sms.survey_answer ref=%s", latest.reference)
    return Ingested(latest, None, created=False, reason="survey")


def _opt_keyword(inbox: Inbox, inbound: InboundMessage, keyword: str) -> Ingested:
    opting_out = keyword in OPT_OUT_WORDS
    language = (OPT_OUT_WORDS | OPT_IN_WORDS)[keyword]
    contact = contact_for_identity(ContactIdentity.Kind.PHONE, inbound.from_identity)
    if keyword in {"STOP", "START"}:  # used in both languages: answer in the citizen's own language
        language = follow_merges(contact).preferred_language if follow_merges(contact).preferred_language in \
            (inbox.languages or ["en"]) else language
    with transaction.atomic():
        record, _created = SmsOptOut.objects.select_for_update().get_or_create(
            inbox=inbox, phone=inbound.from_identity, defaults={"opted_out": opting_out, "keyword": keyword})
        record.opted_out, record.keyword, record.changed_at = opting_out, keyword, timezone.now()
        record.save()
        with override(language):
            text = _("You will no longer receive text messages from us. Reply START to receive them again.") \
                if opting_out else _("You will receive our text messages again. Reply STOP to stop them.")
        enqueue_job("omnichannel.sms_direct", {"inbox": inbox.pk, "to": inbound.from_identity, "body": str(text)},
                    key=f"sms-keyword:{inbound.provider_id}")
        latest = Conversation.objects.filter(contact=follow_merges(contact), inbox=inbox).order_by("-id").first()
        if latest is not None:
            note = _("The citizen opted out of text messages (%(word)s).") if opting_out else \
                _("The citizen opted in to text messages again (%(word)s).")
            conv.post_message(latest, note % {"word": inbound.body.strip()[:20]}, author_kind=Message.Author.SYSTEM,
                              is_private=True, metadata={"sms_opt_out": opting_out})
    logger.info("sms.opt_keyword inbox=%s keyword=%s out=%s", inbox.slug, keyword, opting_out)
    return Ingested(latest, None, created=False, reason="opt_out" if opting_out else "opt_in")


@job_handler("omnichannel.sms_direct")
def _sms_direct_job(payload: dict[str, Any]) -> None:
    """A service text outside any conversation (opt-out confirmations)."""
    from guichet.omnichannel.adapters.sms import ProviderRejected, send_parts

    inbox = Inbox.objects.filter(pk=payload.get("inbox"), channel="sms").first()
    if inbox is None or not payload.get("to") or not payload.get("body"):
        raise PermanentFailure(f"bad payload {payload!r}")
    try:
        send_parts(inbox, payload["to"], [payload["body"]])
    except ProviderRejected as exc:
        raise PermanentFailure(str(exc)) from exc
    except TemporaryFailure as exc:
        raise RetryLater(str(exc)) from exc


def is_opted_out(inbox: Inbox, phone: str) -> bool:
    return SmsOptOut.objects.filter(inbox=inbox, phone=phone, opted_out=True).exists()


# --- reply via another channel ------------------------------------------------------------------------

WRITTEN_CHANNELS = ("email", "sms", "web")


@dataclass
class ReplyOption:
    inbox: Inbox
    conversation: Conversation | None
    last_used: Any = None

    @property
    def value(self) -> str:
        return self.inbox.slug


def reply_options(contact: Contact, agent: AgentProfile | None = None) -> list[ReplyOption]:
    """Where an agent can write to this citizen: each written inbox they used (latest first), and e-mail/SMS
    inboxes reachable through an identity they have (a new conversation is started there).

    With `agent`, an inbox where the citizen's latest conversation is one the agent may not see is left out
    entirely: neither its reference leaks nor a parallel case is started beside another team's."""
    from guichet.conversations.access import conversations_for_agent

    contact = follow_merges(contact)
    options: dict[int, ReplyOption] = {}
    hidden: set[int] = set()
    visible = set(conversations_for_agent(agent).filter(contact=contact).values_list("pk", flat=True)) \
        if agent is not None else None
    for conversation in Conversation.objects.filter(contact=contact, inbox__channel__in=WRITTEN_CHANNELS) \
            .select_related("inbox").order_by("-updated_at", "-id"):
        if conversation.inbox_id in options or conversation.inbox_id in hidden:
            continue
        if visible is not None and conversation.pk not in visible:
            hidden.add(conversation.inbox_id)
            continue
        options[conversation.inbox_id] = ReplyOption(conversation.inbox, conversation, conversation.updated_at)
    kinds = set(contact.identities.values_list("kind", flat=True))
    reachable = {"email": ContactIdentity.Kind.EMAIL, "sms": ContactIdentity.Kind.PHONE}
    for inbox in Inbox.objects.filter(channel__in=list(reachable)).order_by("slug"):
        if reachable[inbox.channel] in kinds and inbox.pk not in options and inbox.pk not in hidden:
            options[inbox.pk] = ReplyOption(inbox, None)
    return sorted(options.values(), key=lambda o: (o.last_used is None, -(o.last_used.timestamp()
                                                                            if o.last_used else 0)))


def reply_via(agent: AgentProfile, contact: Contact, inbox_slug: str, body: Any) -> Message:
    """Post an agent reply on the chosen channel: the citizen's conversation there, or a new one."""
    option = next((o for o in reply_options(contact, agent) if o.inbox.slug == inbox_slug), None)
    if option is None:
        raise ActionError("channel_unavailable", _("This citizen cannot be reached on that channel."))
    if option.inbox.channel == "sms" and is_opted_out(option.inbox, _phone_of(contact)):
        raise ActionError("opted_out", _("This citizen opted out of text messages."), 409)
    with transaction.atomic():
        conversation = option.conversation
        if conversation is None or (not conversation.is_open and option.inbox.channel == "web"):
            if option.inbox.channel == "web":
                raise ActionError("conversation_resolved", _("Reopen the conversation before replying."), 409)
            conversation = conv.start_conversation(follow_merges(contact), option.inbox,
                                                   language=follow_merges(contact).preferred_language)
        elif not conversation.is_open:
            conversation = conv.reopen_conversation(agent, conversation)
        return conv.send_agent_reply(agent, conversation, body)


def _phone_of(contact: Contact) -> str:
    return ContactIdentity.objects.filter(contact=follow_merges(contact), kind=ContactIdentity.Kind.PHONE) \
        .values_list("value", flat=True).first() or ""
