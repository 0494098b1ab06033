"""Buttons the virtual agent puts in the citizen widget (registered in realtime.widget_service.ACTION_HANDLERS).

Each handler gets (conversation, grant, value) for a conversation the citizen's token owns, validates the
value and raises WidgetError with a message for people when the button no longer applies.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guichet.bot import actions, dialogue
from guichet.bot.models import BotSession
from guichet.conversations.models import Conversation
from guichet.realtime.widget_service import WidgetError


def _require_bot(conversation: Conversation) -> BotSession:
    if conversation.status != Conversation.Status.BOT:
        raise WidgetError("not_with_bot", _("The virtual agent is no longer in this conversation."))
    return actions.session_for(conversation)


def _text(value: Any, allowed: set[str] | None = None) -> str:
    if not isinstance(value, str) or len(value) > 100 or (allowed is not None and value not in allowed):
        raise WidgetError("bad_value", _("This button is not available any more."))
    return value


def on_feedback(conversation: Conversation, grant: Any, value: Any) -> None:
    _require_bot(conversation)
    dialogue.feedback(conversation, _text(value, {"yes", "no"}))


def on_choose(conversation: Conversation, grant: Any, value: Any) -> None:
    session = _require_bot(conversation)
    choice = _text(value)
    if choice != "none" and choice not in session.offered:
        raise WidgetError("bad_value", _("This button is not available any more."))
    dialogue.choose(conversation, choice)


def on_handoff(conversation: Conversation, grant: Any, value: Any) -> None:
    session = _require_bot(conversation)
    actions.record_turn(conversation, _("(asked for a person)"), language=conversation.language,
                        outcome="handed_off", reason="requested_person")
    dialogue.hand_off(conversation, session, reason="requested_person", language=conversation.language)


def on_flow_start(conversation: Conversation, grant: Any, value: Any) -> None:
    from guichet.bot.flow_runtime import start_flow

    session = _require_bot(conversation)
    if not start_flow(conversation, session, _text(value)):
        raise WidgetError("unknown_flow", _("This service is not available at the moment."))


def on_flow_cancel(conversation: Conversation, grant: Any, value: Any) -> None:
    from guichet.bot.flow_runtime import cancel_flow

    session = _require_bot(conversation)
    if session.flow_slug:
        cancel_flow(conversation, session)


def _closed_offer(conversation: Conversation) -> BotSession:
    session = _require_bot(conversation)
    if session.pending not in {BotSession.Pending.CLOSED_OFFER, BotSession.Pending.LEAVE_MESSAGE,
                               BotSession.Pending.CALLBACK_PHONE}:
        raise WidgetError("bad_value", _("This button is not available any more."))
    return session


def on_leave_message(conversation: Conversation, grant: Any, value: Any) -> None:
    session = _closed_offer(conversation)
    session.pending = BotSession.Pending.LEAVE_MESSAGE
    actions.save_session(session, "pending")
    with dialogue.override(conversation.language):
        actions.say(conversation, _("Please write your message below. Include anything an agent will need to "
                                    "answer you."))


def on_callback(conversation: Conversation, grant: Any, value: Any) -> None:
    session = _closed_offer(conversation)
    session.pending = BotSession.Pending.CALLBACK_PHONE
    actions.save_session(session, "pending")
    with dialogue.override(conversation.language):
        actions.say(conversation, _("What phone number should we call? Please include the area code."))


def on_wait(conversation: Conversation, grant: Any, value: Any) -> None:
    session = _closed_offer(conversation)
    with transaction.atomic():
        with dialogue.override(conversation.language):
            actions.say(conversation, _("You are in the queue. An agent will answer as soon as we open."))
        actions.enqueue_with_context(conversation, session, session.pending_context)


HANDLERS = {
    "bot.feedback": on_feedback,
    "bot.choose": on_choose,
    "bot.handoff": on_handoff,
    "bot.leave_message": on_leave_message,
    "bot.callback": on_callback,
    "bot.wait": on_wait,
    "flow.start": on_flow_start,
    "flow.cancel": on_flow_cancel,
}
