"""Every write the virtual agent makes: its messages, turns, hand-offs, hand-backs and follow-up tasks.

Conversation state changes go through `conversations.actions` verbs: enqueue, post, language of record
(`set_conversation_language`) and hand back to the bot (`return_to_bot`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.agents.models import AgentProfile
from guichet.bot.models import BotSession, BotTurn, FollowUpTask
from guichet.bot.nlp.pii import redact
from guichet.bot.nlp.text import tokens
from guichet.conversations import actions as conversation_actions
from guichet.conversations.actions import ActionError
from guichet.conversations.models import Conversation, Message
from guichet.core.models import AuditEvent
from guichet.knowledge.rendering import shorten

logger = logging.getLogger("guichet.bot")

TRANSCRIPT_MESSAGES = 40
MAX_BODY = 3900


def session_for(conversation: Conversation) -> BotSession:
    session, _created = BotSession.objects.get_or_create(conversation=conversation)
    return session


def save_session(session: BotSession, *fields: str) -> None:
    session.updated_at = timezone.now()
    session.save(update_fields=[*fields, "updated_at"] if fields else None)


def say(conversation: Conversation, text: str, *, metadata: dict[str, Any] | None = None,
        language: str | None = None) -> Message:
    """A message from the virtual agent to the citizen (delivered on the conversation's channel)."""
    return conversation_actions.post_message(
        conversation, shorten(text, MAX_BODY), author_kind=Message.Author.BOT,
        language=language or conversation.language, metadata=metadata or {},
    )


def button(label: str, action: str, value: str = "") -> dict[str, str]:
    return {"label": str(label), "action": action, "value": value}


def question_key(question: str) -> str:
    """Clustering key: the sorted distinct normalised words (so word order and inflections do not matter)."""
    return " ".join(sorted(set(tokens(question))))[:300]


def record_turn(conversation: Conversation, question: str, *, language: str, outcome: str,
                candidates: list[dict[str, Any]] | None = None, reason: str = "", article_id: str = "",
                channel: str = "") -> BotTurn:
    redacted = redact(question[:2000]).text
    return BotTurn.objects.create(
        conversation=conversation, question=redacted, question_key=question_key(redacted), language=language,
        candidates=candidates or [], outcome=outcome, reason=reason, article_id=article_id,
        channel=channel or conversation.inbox.channel,
    )


def set_language(conversation: Conversation, language: str) -> Conversation:
    """Change the language of record (the citizen clearly writes in another served language)."""
    if conversation.language == language:
        return conversation
    conversation = conversation_actions.set_conversation_language(conversation, language)
    logger.info("bot.language_changed ref=%s language=%s", conversation.reference, language)
    return conversation


def transcript(conversation: Conversation) -> list[dict[str, str]]:
    messages = (Message.objects.filter(conversation=conversation, is_private=False)
                .order_by("-seq")[:TRANSCRIPT_MESSAGES])
    return [{"author": message.author_kind, "text": message.body[:1000]} for message in reversed(messages)]


def handoff_context(conversation: Conversation, session: BotSession, *, reason: str, language: str,
                    candidates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the agent desk shows at the top of the conversation (keys agreed with the desk)."""
    if candidates is None:
        last = BotTurn.objects.filter(conversation=conversation).exclude(candidates=[]).first()
        candidates = last.candidates if last else []
    return {
        "reason": reason,
        "language": language,
        "transcript": transcript(conversation),
        # The calibrated probability is what an agent can read ("72 % likely"); raw scores mean nothing to people.
        "candidates": [{"article_id": c["article_id"], "title": c["title"],
                        "confidence": f"{round(100 * float(c.get('probability', 0.0)))} %"}
                       for c in candidates],
        "answers": dict(session.answers),
        "flow": session.flow_slug,
        "handed_off_at": timezone.now().isoformat(),
    }


def enqueue_with_context(conversation: Conversation, session: BotSession, context: dict[str, Any]) -> None:
    with transaction.atomic():
        session.pending, session.pending_context, session.failures = "", {}, 0
        session.flow_slug, session.flow_step, session.offered = "", 0, []
        save_session(session, "pending", "pending_context", "failures", "flow_slug", "flow_step", "offered")
        conversation_actions.enqueue_conversation(conversation, context=context)
    logger.info("bot.handed_off ref=%s reason=%s", conversation.reference, context.get("reason"))


def create_follow_up(conversation: Conversation, *, kind: str, phone: str = "", note: str = "") -> FollowUpTask:
    return FollowUpTask.objects.create(conversation=conversation, queue=conversation.queue, kind=kind,
                                       phone=phone, note=note[:4000], language=conversation.language)


def finish_follow_up(agent: AgentProfile, task_id: int) -> FollowUpTask:
    """An agent of the task's team marks a left message as dealt with. Replays change nothing."""
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update(of=("self",)).select_related("queue", "conversation").filter(
            pk=task_id).first()
        in_scope = task is not None and (agent.sees_all_queues
                                         or agent.teams.filter(pk=task.queue.team_id).exists())
        if not in_scope:
            raise ActionError("not_found", _("There is no such follow-up in your teams' queues."), 404)
        if task.status == FollowUpTask.Status.DONE:
            return task  # a double click or a replayed form
        task.status, task.done_at, task.done_by = FollowUpTask.Status.DONE, timezone.now(), agent
        task.save(update_fields=["status", "done_at", "done_by"])
        AuditEvent.objects.create(actor=agent.user, action="follow_up.done", target=task.conversation.reference,
                                  details={"follow_up": task.pk})
    logger.info("bot.follow_up_done ref=%s agent=%s", task.conversation.reference, agent.pk)
    return task


def hand_back_to_bot(agent: AgentProfile, conversation: Conversation) -> Conversation:
    """Hybrid mode: the agent who holds a conversation returns it to the virtual agent."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "queue", "inbox", "contact", "assignee").get(pk=conversation.pk)
        if conversation.status == Conversation.Status.RESOLVED:
            raise ActionError("conversation_resolved", _("This conversation is resolved."), 409)
        if conversation.status == Conversation.Status.BOT:
            raise ActionError("already_with_bot", _("The virtual agent already has this conversation."), 409)
        if conversation.assignee_id != agent.pk and not agent.sees_all_queues:
            raise ActionError("not_assignee", _("Only the agent handling this conversation can hand it back."),
                              403)
        if not conversation.inbox.bot_enabled:
            raise ActionError("bot_disabled", _("The virtual agent is turned off for this inbox."), 409)
        previous = conversation.assignee
        conversation = conversation_actions.return_to_bot(conversation)
        session = session_for(conversation)
        session.failures, session.pending, session.offered = 0, "", []
        session.flow_slug, session.flow_step = "", 0
        save_session(session, "failures", "pending", "offered", "flow_slug", "flow_step")
        with override(conversation.language):
            say(conversation, _("You are now back with the virtual agent. Ask another question at any time, "
                                "or ask for a person if you need one."))
        AuditEvent.objects.create(actor=agent.user, action="conversation.handed_back", target=conversation.reference,
                                  details={"from": previous.pk if previous else None})
    logger.info("bot.handed_back ref=%s agent=%s", conversation.reference, agent.pk)
    return conversation


def proposed_answer_of(conversation: Conversation) -> dict[str, Any] | None:
    """The answer the virtual agent proposed for an agent's approval, while it is still to be sent."""
    proposed = (conversation.handoff_context or {}).get("proposed_answer")
    return proposed if isinstance(proposed, dict) and not proposed.get("sent_at") else None


def send_proposed_answer(agent: AgentProfile, conversation: Conversation) -> Message:
    """Approval mode: the agent handling the conversation sends the article the virtual agent proposed.

    The citizen receives it from the agent, with its cited source; the proposal is marked sent (a second click
    or a stale page is refused, nothing is sent twice) and the bot turn is recorded as answered, approved.
    """
    from guichet.bot.dialogue import article_answer, live_article

    with transaction.atomic():
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related(
            "queue", "inbox", "contact", "assignee").get(pk=conversation.pk)
        if conversation.assignee_id != agent.pk:
            raise ActionError("not_assignee", _("Only the agent handling this conversation can send the answer."),
                              403)
        proposed = proposed_answer_of(conversation)
        if proposed is None:
            raise ActionError("no_proposed_answer", _("There is no proposed answer to send (already sent?)."), 409)
        article = live_article(str(proposed.get("article_id", "")))
        if article is None:
            raise ActionError("article_withdrawn", _("That article is no longer published: write the answer "
                                                     "yourself."), 409)
        text, answer_language, metadata = article_answer(conversation, article, str(proposed.get("language")
                                                                                      or conversation.language))
        message = conversation_actions.send_agent_reply(agent, conversation, text,
                                                        metadata={**metadata, "approved": True})
        context = dict(conversation.handoff_context)
        context["proposed_answer"] = {**proposed, "sent_at": timezone.now().isoformat(), "sent_by": agent.pk}
        Conversation.objects.filter(pk=conversation.pk).update(handoff_context=context)
        BotTurn.objects.filter(pk__in=BotTurn.objects.filter(
            conversation=conversation, reason="awaiting_approval", article_id=str(article.pk)).values("pk")[:1],
        ).update(outcome=BotTurn.Outcome.ANSWERED, reason="approved")
        AuditEvent.objects.create(actor=agent.user, action="bot.answer_approved", target=conversation.reference,
                                  details={"article": article.pk, "language": answer_language})
    logger.info("bot.answer_approved ref=%s agent=%s article=%s", conversation.reference, agent.pk, article.pk)
    return message
