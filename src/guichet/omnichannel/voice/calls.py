"""Writes for phone calls: the call record, its IVR path, the queue, callbacks, and timeline entries.

Each call shows in the conversation timeline as internal system entries (metadata["call"]) so an agent
sees the whole story: when it started, the path through the menu, the bot's turns, the wait, talk time,
the end and the recording link. They are internal (is_private): a caller has no screen to show them on.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.conversations import actions as conv
from guichet.conversations.identity import contact_for_identity
from guichet.conversations.models import Contact, ContactIdentity, Conversation, Inbox, Message
from guichet.omnichannel.models import CallSession
from guichet.routing.callbacks import request_callback as routing_request_callback
from guichet.routing.models import Queue

logger = logging.getLogger("guichet.omnichannel.voice")


def note(session: CallSession, event: str, text_for_language, **data: Any) -> Message:  # type: ignore[no-untyped-def]
    """An internal timeline entry, written in the deployment's language; `event` is stable for the desk."""
    with override(settings.LANGUAGE_CODE):
        text = str(text_for_language())
    return conv.post_message(session.conversation, text, author_kind=Message.Author.SYSTEM, is_private=True,
                             metadata={"call": {"event": event, "call_sid": session.call_sid, **data}})


def _contact_for_caller(caller: str) -> Contact:
    if caller:
        return contact_for_identity(ContactIdentity.Kind.PHONE, caller)
    return Contact.objects.create()  # a withheld number: a contact of its own, mergeable later


def start_call(inbox: Inbox, call_sid: str, caller: str) -> CallSession:
    """Idempotent by CallSid: a provider retry of the first webhook finds the same call."""
    existing = CallSession.objects.select_related("conversation", "inbox").filter(call_sid=call_sid).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        contact = _contact_for_caller(caller)
        language = (inbox.languages or ["en"])[0]
        conversation = conv.start_conversation(contact, inbox, language=language)
        session = CallSession.objects.create(call_sid=call_sid, inbox=inbox, conversation=conversation,
                                             from_number=caller, language=language)
        note(session, "started", lambda: _("Call started from %(number)s.") % {
            "number": caller or _("a withheld number")}, number=caller)
    logger.info("call.started sid=%s ref=%s", call_sid, conversation.reference)
    return session


def record_step(session: CallSession, step: str, value: str) -> None:
    session.ivr_path = [*session.ivr_path, {"step": step, "input": value[:200],
                                            "at": timezone.now().isoformat()}][-50:]
    session.save(update_fields=["ivr_path"])


def choose_language(session: CallSession, language: str) -> None:
    with transaction.atomic():
        session.language = language
        session.state = CallSession.State.MENU
        session.save(update_fields=["language", "state"])
        session.conversation = conv.set_conversation_language(session.conversation, language)
        record_step(session, "language", language)


def choose_menu_entry(session: CallSession, entry: dict[str, Any], label: str) -> None:
    with transaction.atomic():
        record_step(session, "menu", str(entry.get("digit", "")))
        queue = Queue.objects.filter(slug=entry.get("queue")).first()
        if queue is not None and queue.pk != session.conversation.queue_id:
            session.conversation = conv.move_to_queue(session.conversation, queue)
        note(session, "menu", lambda: _("Caller chose “%(label)s” in the menu.") % {"label": label},
             digit=entry.get("digit"), queue=entry.get("queue"))


def caller_said(session: CallSession, text: str, confidence: str = "") -> tuple[Message, bool]:
    """The caller's words (speech or keys), answered inline by the IVR through `answer_text`.

    Stored with `notify_bot=False`: the IVR asks the virtual agent itself and reads the answer aloud, so the
    written dialogue (BOT_HOOKS) must not answer a second time in text no phone can carry. A provider retry
    of the same webhook (same call, same words) stores nothing new: returns (message, created)."""
    client_id = f"voice-{hashlib.sha256(f'{session.call_sid}|{text}'.encode()).hexdigest()[:40]}"
    with transaction.atomic():
        received = conv.receive_message(
            session.conversation, text, client_id=client_id, channel="voice", language=session.language,
            metadata={"voice": {"from": session.from_number, "call_sid": session.call_sid,
                                "confidence": confidence}, "spoken": True},
            notify_bot=False)
        if received.created:
            session.bot_turns += 1
            session.state = CallSession.State.BOT
            session.save(update_fields=["bot_turns", "state"])
    return received.message, received.created


def bot_spoke(session: CallSession, answer: str, turn: str = "") -> Message:
    metadata = {"spoken": True, "call_sid": session.call_sid, **({"turn": turn} if turn else {})}
    return conv.post_message(session.conversation, answer, author_kind=Message.Author.BOT, language=session.language,
                             metadata=metadata)


def enqueue_call(session: CallSession) -> None:
    with transaction.atomic():
        conversation = Conversation.objects.get(pk=session.conversation_id)
        if conversation.status in {Conversation.Status.BOT, Conversation.Status.RESOLVED}:
            conv.enqueue_conversation(conversation, context={"channel": "voice", "ivr_path": session.ivr_path})
        session.state = CallSession.State.WAITING
        session.queued_at = session.queued_at or timezone.now()
        session.save(update_fields=["state", "queued_at"])
        note(session, "queued", lambda: _("Caller is waiting for an agent."))


def request_callback(session: CallSession) -> None:
    """The caller hangs up and keeps their place: routing's callback request (one callback concept in the
    product) keeps the conversation queued with its queued_at and routes it to an agent as callback work."""
    with transaction.atomic():
        conversation = Conversation.objects.get(pk=session.conversation_id)
        try:
            routing_request_callback(conversation, {"method": "phone", "phone": session.from_number})
        except conv.ActionError as exc:  # e.g. an agent took it a moment ago: they see the note and call
            logger.info("call.callback_not_queued sid=%s reason=%s", session.call_sid, exc.code)
        else:
            _spoken_by_the_ivr(conversation.pk, after_seq=conversation.last_seq)
        _mark_callback(session)


def _spoken_by_the_ivr(conversation_id: int, after_seq: int) -> None:
    """Routing's written confirmation ("we will call you at…") cannot travel on a phone line; the IVR says the
    same words before hanging up, so it counts as spoken (delivered) instead of failing delivery."""
    for message in Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq, is_private=False,
                                          author_kind=Message.Author.SYSTEM):
        message.metadata = {**(message.metadata or {}), "spoken": True}
        message.save(update_fields=["metadata"])


def agent_will_call_back(session: CallSession) -> None:
    """Assigned to an agent who has no phone address: they call the citizen back from the desk."""
    with transaction.atomic():
        _mark_callback(session)


def _mark_callback(session: CallSession) -> None:
    session.state = CallSession.State.CALLBACK
    session.save(update_fields=["state"])
    note(session, "callback", lambda: _("Caller asked to be called back at %(number)s; their place in line "
                                        "is kept.") % {"number": session.from_number}, number=session.from_number)


def connect(session: CallSession, address: str) -> None:
    if session.state == CallSession.State.CONNECTED:
        return
    session.state = CallSession.State.CONNECTED
    session.connected_at = timezone.now()
    session.save(update_fields=["state", "connected_at"])
    waited = int((session.connected_at - (session.queued_at or session.started_at)).total_seconds())
    assignee = session.conversation.assignee
    note(session, "connected", lambda: _("Connected to %(agent)s after %(seconds)d s in the queue.") % {
        "agent": assignee.display_name if assignee else address, "seconds": waited}, wait_s=waited)


def dial_finished(session: CallSession, dial_status: str, duration: str) -> bool:
    """True when the agent talked with the caller; otherwise the call goes back in line, keeping its place."""
    seconds = int(duration) if str(duration).isdigit() else 0
    if dial_status == "completed":
        note(session, "talk", lambda: _("Talk time: %(seconds)d s.") % {"seconds": seconds}, talk_s=seconds)
        return True
    with transaction.atomic():
        note(session, "dial_failed", lambda: _("The agent's phone did not answer (%(status)s).") % {
            "status": dial_status or "?"}, status=dial_status)
        session.state = CallSession.State.WAITING
        session.save(update_fields=["state"])
        conv.enqueue_conversation(session.conversation, keep_place=True)
    return False


def end_call(session: CallSession, call_status: str, duration: str = "", recording_url: str = "") -> None:
    if session.ended_at is not None:
        return
    with transaction.atomic():
        previous_state = session.state
        session.ended_at = timezone.now()
        session.state = CallSession.State.ENDED
        if recording_url and not session.recording_url:
            session.recording_url = recording_url[:500]
        session.save(update_fields=["ended_at", "state", "recording_url"])
        seconds = int(duration) if str(duration).isdigit() else \
            int((session.ended_at - session.started_at).total_seconds())
        note(session, "ended", lambda: _("Call ended (%(status)s) after %(seconds)d s.") % {
            "status": call_status or "completed", "seconds": seconds}, status=call_status, duration_s=seconds)
        conversation = Conversation.objects.get(pk=session.conversation_id)
        if previous_state in {CallSession.State.WAITING, CallSession.State.LANGUAGE, CallSession.State.MENU,
                              CallSession.State.BOT} and conversation.status != Conversation.Status.ASSIGNED:
            # Nobody is on the line any more: do not route a silent call to an agent (callbacks stay queued).
            note(session, "abandoned", lambda: _("The caller hung up before reaching an agent."))
            conv.resolve_conversation(None, conversation)
    logger.info("call.ended sid=%s status=%s", session.call_sid, call_status)


def add_recording(session: CallSession, url: str) -> None:
    if not url.startswith(("https://", "http://")) or session.recording_url == url:
        return
    session.recording_url = url[:500]
    session.save(update_fields=["recording_url"])
    note(session, "recording", lambda: _("Call recording: %(url)s") % {"url": url}, url=url)
