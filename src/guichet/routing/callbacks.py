"""Callbacks: a waiting citizen leaves the line without losing their place.

Widget action "callback.request" with value {"phone": "+1 613 555 0123"} (or {"method": "phone", "phone": ...}),
{"method": "chat"} or {"method": "email", "email": "..."}. The conversation stays queued at its original
place; while the callback is pending it is routed as a `callback` item (an agent with call capacity and no
other work), an `email` item, or on its own channel for "chat" (the citizen may leave and come back).
When its turn comes it is assigned with the conversation; the agent finds the number to call in a private
note and on the callbacks page, and marks the callback done or failed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.agents.models import AgentProfile
from guichet.conversations import actions as conversation_actions
from guichet.conversations.actions import ActionError
from guichet.conversations.models import Conversation, Message
from guichet.core.models import AuditEvent
from guichet.routing.models import CallbackRequest

logger = logging.getLogger("guichet.routing")

PHONE_REGION = "CA"


def check_phone(raw: Any) -> str:
    """E.164 form of a Canadian (or international, with +) number; ActionError with a clear message."""
    if not isinstance(raw, str) or not raw.strip():
        raise ActionError("invalid_phone", _("Enter the phone number we should call, with the area code."))
    try:
        number = phonenumbers.parse(raw.strip()[:40], PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ActionError("invalid_phone", _("This is not a phone number we can call. Enter it with the area "
                                             "code, for example 613 555 0123.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ActionError("invalid_phone", _("This is not a phone number we can call. Enter it with the area "
                                             "code, for example 613 555 0123."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_email(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ActionError("invalid_email", _("Enter the email address where we should answer you."))
    address = raw.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ActionError("invalid_email", _("This email address is not valid.")) from exc
    return address.lower()


def check_callback_value(value: Any) -> dict[str, str]:
    """{"method", "phone", "email"} from what the widget sent."""
    if not isinstance(value, dict):
        raise ActionError("invalid_callback", _("Choose how we should contact you."))
    method = value.get("method") or ("phone" if "phone" in value else None)
    if method == CallbackRequest.Method.PHONE:
        return {"method": method, "phone": check_phone(value.get("phone")), "email": ""}
    if method == CallbackRequest.Method.EMAIL:
        return {"method": method, "phone": "", "email": check_email(value.get("email"))}
    if method == CallbackRequest.Method.CHAT:
        return {"method": method, "phone": "", "email": ""}
    raise ActionError("invalid_callback", _("Choose how we should contact you: phone, chat or email."))


def open_callback(conversation: Conversation) -> CallbackRequest | None:
    return CallbackRequest.objects.filter(conversation=conversation,
                                          status__in=[CallbackRequest.Status.PENDING,
                                                      CallbackRequest.Status.ASSIGNED]).first()


def request_callback(conversation: Conversation, value: Any, *, notify: bool = True) -> CallbackRequest:
    """Register a callback for a waiting conversation; it keeps the conversation's place (idempotent).

    `notify=False`: the caller tells the citizen itself (the virtual agent, outside business hours)."""
    details = check_callback_value(value)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related("queue", "inbox").get(
            pk=conversation.pk)
        if conversation.status != Conversation.Status.QUEUED:
            raise ActionError("not_waiting", _("You are no longer waiting in line, so a callback is not needed."),
                              409)
        existing = open_callback(conversation)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                callback = CallbackRequest.objects.create(
                    conversation=conversation, queue=conversation.queue, language=conversation.language,
                    queued_at=conversation.queued_at or conversation.created_at, **details)
        except IntegrityError:  # a concurrent identical request won
            return open_callback(conversation)  # type: ignore[return-value]
        if notify:
            conversation_actions.post_system_notice(conversation, lambda: _notice_for(details))
        logger.info("callback.requested ref=%s method=%s", conversation.reference, details["method"])
        from guichet.routing.actions import route_on_commit

        route_on_commit()  # the item's channel changed: another agent may take it now
        return callback


def _notice_for(details: dict[str, str]) -> str:
    if details["method"] == CallbackRequest.Method.PHONE:
        return _("We will call you at %(phone)s when it is your turn. You keep your place in line.") % {
            "phone": details["phone"]}
    if details["method"] == CallbackRequest.Method.EMAIL:
        return _("We will answer you by email at %(email)s when it is your turn. You keep your place in line.") % {
            "email": details["email"]}
    return _("You keep your place in line. You can leave this page: the answer will be here when you come back.")


def callback_assigned(callback: CallbackRequest, conversation: Conversation, agent: AgentProfile,
                      now: datetime) -> None:
    """Routing gave the conversation to `agent`: the callback is now theirs (inside routing's transaction)."""
    callback.status = CallbackRequest.Status.ASSIGNED
    callback.assignee = agent
    callback.assigned_at = now
    callback.save(update_fields=["status", "assignee", "assigned_at"])
    with override(agent.ui_language or "en"):  # the task is for the agent: in their interface language
        task = _task_text(callback)
    conversation_actions.post_message(conversation, task, author_kind=Message.Author.SYSTEM,
                                      is_private=True, language=agent.ui_language,
                                      metadata={"callback": callback.pk, "method": callback.method,
                                                "phone": callback.phone, "email": callback.email})


def _task_text(callback: CallbackRequest) -> str:
    if callback.method == CallbackRequest.Method.PHONE:
        return _("Callback requested: call the citizen at %(phone)s.") % {"phone": callback.phone}
    if callback.method == CallbackRequest.Method.EMAIL:
        return _("Callback requested: answer the citizen by email at %(email)s.") % {"email": callback.email}
    return _("The citizen asked to be answered here in the chat; they may have left the page.")


def finish_callback(agent: AgentProfile, callback_id: int, outcome: str, note: str = "") -> CallbackRequest:
    """The agent reports the callback done or failed. Replays and stale reports change nothing."""
    if outcome not in {CallbackRequest.Status.DONE, CallbackRequest.Status.FAILED}:
        raise ActionError("invalid_outcome", _("Choose done or failed."))
    with transaction.atomic():
        callback = CallbackRequest.objects.select_for_update().filter(pk=callback_id).first()
        if callback is None or (callback.assignee_id != agent.pk and not agent.sees_all_queues):
            raise ActionError("not_found", _("There is no such callback in your list."), 404)
        if callback.status != CallbackRequest.Status.ASSIGNED:
            return callback  # already finished (a double click, a replayed form): nothing more to do
        callback.status = outcome
        callback.finished_at = timezone.now()
        callback.outcome_note = note.strip()[:300]
        callback.save(update_fields=["status", "finished_at", "outcome_note"])
        AuditEvent.objects.create(actor=agent.user, action=f"callback.{outcome}",
                                  target=callback.conversation.reference, details={"callback": callback.pk})
        from guichet.routing.actions import route_on_commit

        route_on_commit()  # the call slot is free again
        return callback


def widget_callback_request(conversation: Conversation, grant: Any, value: Any) -> None:
    """ACTION_HANDLERS["callback.request"]: errors become the widget's error frame."""
    from guichet.realtime.widget_service import WidgetError

    try:
        request_callback(conversation, value)
    except ActionError as exc:
        raise WidgetError(exc.code, exc.message) from exc
