"""Running a guided flow inside a conversation: prompts, validation, the integration job, the answer."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.bot import actions
from guichet.bot.flows import (
    FlowDefinition,
    IntegrationFailure,
    call_integration,
    fill_template,
    get_flow,
    text_in,
    validate_value,
)
from guichet.bot.models import BotSession
from guichet.conversations.models import Conversation
from guichet.core.jobs import RetryLater, enqueue_job, job_handler

logger = logging.getLogger("guichet.bot")

INVALID_INPUTS_BEFORE_HANDOFF = 3


def _flow_buttons() -> list[dict[str, str]]:
    return [actions.button(_("Cancel"), "flow.cancel", "yes"),
            actions.button(_("Talk to a person"), "bot.handoff", "person")]


def start_flow(conversation: Conversation, session: BotSession, slug: str) -> bool:
    definition = get_flow(slug)
    if definition is None:
        logger.warning("bot.flow_missing slug=%s", slug)
        return False
    session.flow_slug, session.flow_step, session.failures = slug, 0, 0
    session.flow_result, session.offered = {}, []
    actions.save_session(session, "flow_slug", "flow_step", "failures", "flow_result", "offered")
    advance(conversation, session, definition)
    return True


def cancel_flow(conversation: Conversation, session: BotSession) -> None:
    session.flow_slug, session.flow_step, session.failures = "", 0, 0
    actions.save_session(session, "flow_slug", "flow_step", "failures")
    with override(conversation.language):
        actions.say(conversation, _("All right, I stopped. What else can I help you with?"))


def _current_step(session: BotSession, definition: FlowDefinition) -> dict | None:
    return definition.steps[session.flow_step] if session.flow_step < len(definition.steps) else None


def advance(conversation: Conversation, session: BotSession, definition: FlowDefinition) -> None:
    """Run steps from the current one until the flow needs the citizen (ask) or a job (call), or ends."""
    language = conversation.language
    while True:
        step = _current_step(session, definition)
        if step is None:
            return _end_flow(session)
        kind = step["type"]
        if kind == "ask":
            with override(language):
                actions.say(conversation, text_in(step["prompt"], language),
                            metadata={"kind": "flow.ask", "buttons": _flow_buttons()})
            return None
        if kind == "call":
            session.flow_result = {"attempts": 0}
            actions.save_session(session, "flow_result")
            enqueue_job("bot.flow_call", {"conversation_id": conversation.pk, "flow": definition.slug,
                                          "step": session.flow_step},
                        key=f"flow:{conversation.pk}:{definition.slug}:{session.flow_step}:{session.updated_at.timestamp()}",
                        max_attempts=int(step.get("retries", 1)) + 2)
            with override(language):
                actions.say(conversation, _("One moment, I am checking…"), metadata={"kind": "flow.wait"})
            return None
        if kind == "answer":
            try:
                text = fill_template(text_in(step["template"], language), session.answers,
                                     session.flow_result.get("data", {}))
            except IntegrationFailure as failure:
                return fail_flow(conversation, session, failure.reason)
            actions.say(conversation, text, metadata={"kind": "flow.answer"})
        elif kind == "handoff":
            from guichet.bot.dialogue import hand_off

            if step.get("message"):
                actions.say(conversation, text_in(step["message"], language))
            reason = step.get("reason", "flow_handoff")
            _end_flow(session, keep_slug=True)
            return hand_off(conversation, session, reason=reason, language=language)
        session.flow_step += 1
        actions.save_session(session, "flow_step")


def _end_flow(session: BotSession, keep_slug: bool = False) -> None:
    if not keep_slug:
        session.flow_slug = ""
    session.flow_step, session.failures = 0, 0
    actions.save_session(session, "flow_slug", "flow_step", "failures")


def continue_flow(conversation: Conversation, session: BotSession, text: str) -> None:
    definition = get_flow(session.flow_slug)
    step = _current_step(session, definition) if definition else None
    if definition is None or step is None:
        _end_flow(session)
        return None
    if step["type"] == "call":
        with override(conversation.language):
            actions.say(conversation, _("I am still checking; I will answer in a moment."))
        return None
    value = validate_value(step.get("validate"), text)
    if value is None:
        session.failures += 1
        actions.save_session(session, "failures")
        if session.failures >= INVALID_INPUTS_BEFORE_HANDOFF:
            from guichet.bot.dialogue import hand_off

            session.answers = {**session.answers, f"{step['slot']}_as_typed": text[:500]}
            actions.save_session(session, "answers")
            return hand_off(conversation, session, reason="flow_invalid_input", language=conversation.language)
        error = step.get("error") or {}
        with override(conversation.language):
            message = text_in(error, conversation.language) if error else _("Sorry, that answer does not fit.")
            actions.say(conversation, message + "\n\n" + text_in(step["prompt"], conversation.language),
                        metadata={"kind": "flow.ask", "buttons": _flow_buttons()})
        return None
    session.answers = {**session.answers, step["slot"]: value}
    session.flow_step += 1
    session.failures = 0
    actions.save_session(session, "answers", "flow_step", "failures")
    return advance(conversation, session, definition)


def fail_flow(conversation: Conversation, session: BotSession, reason: str) -> None:
    """Apologise and give the case to a person with everything the citizen typed."""
    from guichet.bot.dialogue import hand_off

    logger.warning("bot.flow_failed ref=%s flow=%s reason=%s", conversation.reference, session.flow_slug, reason)
    with override(conversation.language):
        actions.say(conversation, _("Sorry, I could not check this right now. An agent will continue with "
                                    "the information you already gave."))
    session.flow_result = {**session.flow_result, "error": reason}
    actions.save_session(session, "flow_result")
    _end_flow(session, keep_slug=True)
    hand_off(conversation, session, reason="integration_failed", language=conversation.language)


@job_handler("bot.flow_call")
def run_flow_call(payload: dict) -> None:
    conversation = Conversation.objects.select_related("inbox", "queue").get(pk=payload["conversation_id"])
    session = actions.session_for(conversation)
    definition = get_flow(payload["flow"])
    stale = (conversation.status != Conversation.Status.BOT or definition is None
             or session.flow_slug != payload["flow"] or session.flow_step != payload["step"])
    if stale:
        return  # the citizen cancelled, was handed off, or this job already ran
    step = definition.steps[payload["step"]]
    data = {name: session.answers.get(name) for name in step.get("send", [])}
    attempts = int(session.flow_result.get("attempts", 0)) + 1
    session.flow_result = {**session.flow_result, "attempts": attempts}
    actions.save_session(session, "flow_result")
    try:
        result = call_integration(step["integration"], {"flow": definition.slug, "reference": conversation.reference,
                                                        "language": conversation.language, "data": data},
                                  float(step.get("timeout_s", 5)))
    except IntegrationFailure as failure:
        if failure.transient and attempts <= int(step.get("retries", 1)):
            raise RetryLater(failure.reason) from failure
        return fail_flow(conversation, session, failure.reason)
    session.flow_result = {"attempts": attempts, "data": result}
    session.flow_step += 1
    actions.save_session(session, "flow_result", "flow_step")
    advance(conversation, session, definition)
