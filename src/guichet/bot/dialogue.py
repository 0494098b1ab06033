"""The virtual agent's side of a conversation: understand, then answer, clarify or hand off.

Runs after the citizen's message is committed (BOT_HOOKS), inline or in a "bot.reply" job. Every reply is
in the conversation's language; every turn is recorded (redacted) for the learning loop.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guichet.bot import actions
from guichet.bot.hours import next_opening, queue_is_open
from guichet.bot.models import BotSession, BotTurn, FollowUpTask
from guichet.bot.nlp.language import guess_language
from guichet.bot.nlp.retrieval import Candidate, Thresholds, decide
from guichet.bot.nlp.text import fold
from guichet.conversations.actions import ActionError
from guichet.conversations.models import Conversation, Message
from guichet.knowledge.index import get_live_index
from guichet.knowledge.models import Article
from guichet.knowledge.rendering import render_plain

logger = logging.getLogger("guichet.bot")

MAX_QUERY_CHARS = 1000
FAILURES_BEFORE_HANDOFF = 2
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Anywhere in a message: an explicit request for a person.
_PERSON_PHRASES = re.compile(
    r"\b(talk|speak|chat)\s+(to|with)\s+(a|an|someone|somebody|a real|an actual|a live|the)?\s*"
    r"(person|human|agent|representative|someone|somebody|operator|officer)?"
    r"|\b(real|live|actual)\s+(person|human|agent)\b"
    r"|\bparler\s+(a|avec)\s+(quelqu'un|une personne|un humain|un agent|un conseiller|une conseillere"
    r"|un representant|une vraie personne|un etre humain)"
    r"|\b(une|vraie)\s+personne\b|\bun\s+(humain|etre humain)\b"
)
# Alone or nearly (short messages): a single word asking for a person.
_PERSON_WORDS = re.compile(
    r"\b(agent|agents|human|humain|person|personne|representative|representant|conseiller|conseillere"
    r"|operator|operateur|operatrice|someone|quelqu'un)\b"
)


# Whole-message greetings and thanks: answered politely, never searched (a greeting is not a question).
_GREETING = re.compile(r"^(hello|hi|hey|good (morning|afternoon|evening)|bonjour|bonsoir|salut|allo|coucou)"
                       r"( there| everyone| tout le monde)?[\s!.,]*$")
_THANKS = re.compile(r"^(thanks?|thank you( very much| so much)?|merci( beaucoup| bien)?|ok(ay)?|d'accord|parfait)"
                     r"[\s!.,]*$")


_FRENCH_SMALL_TALK = re.compile(r"^(bonjour|bonsoir|salut|allo|coucou|merci|d'accord|parfait)")


def small_talk(text: str) -> str | None:
    folded = fold(text).strip()
    if _GREETING.match(folded):
        return "greeting"
    if _THANKS.match(folded):
        return "thanks"
    return None


def wants_person(text: str) -> bool:
    folded = fold(text)
    if _PERSON_PHRASES.search(folded):
        return True
    return len(folded.split()) <= 6 and bool(_PERSON_WORDS.search(folded))


def has_words(text: str) -> bool:
    """Emoji-only, digits-only or punctuation-only messages cannot be searched."""
    return len(_LETTERS.findall(text)) >= 2


def served_languages(conversation: Conversation) -> list[str]:
    citizen = list(getattr(settings, "GUICHET_CITIZEN_LANGUAGES", ["en", "fr"]))
    inbox = [code for code in (conversation.inbox.languages or citizen) if code in citizen]
    return inbox or citizen


def thresholds() -> Thresholds:
    return Thresholds(**getattr(settings, "GUICHET_BOT_THRESHOLDS", {}))


def choose_language(conversation: Conversation, text: str) -> Conversation:
    """Switch the language of record only on a long, confidently detected message."""
    guess = guess_language(text, served_languages(conversation))
    if guess.reliable and guess.language != conversation.language:
        conversation = actions.set_language(conversation, guess.language)
    return conversation


def candidate_rows(candidates: list[Candidate] | tuple[Candidate, ...], language: str) -> list[dict[str, Any]]:
    titles = {str(a.pk): a.title_in(language)
              for a in Article.objects.filter(pk__in=[c.article_id for c in candidates if c.article_id.isdigit()])}
    return [{"article_id": c.article_id, "title": titles.get(c.article_id, c.matched_text),
             "score": round(c.score, 3), "probability": round(c.probability, 3)} for c in candidates]


# --- entry points --------------------------------------------------------------------------------------


def on_citizen_message(conversation_id: int, message_id: int) -> None:
    """BOT_HOOKS entry: answer inline (embedded mode, tests) or in a background job (at scale)."""
    if getattr(settings, "GUICHET_BOT_INLINE", True):
        safe_reply(conversation_id, message_id)
    else:
        from guichet.core.jobs import enqueue_job

        enqueue_job("bot.reply", {"conversation_id": conversation_id, "message_id": message_id},
                    key=f"bot.reply:{message_id}", max_attempts=2)


def safe_reply(conversation_id: int, message_id: int) -> None:
    """A bug or a model failure must never leave a citizen talking to nobody: hand off instead."""
    try:
        reply(conversation_id, message_id)
    except Exception:  # noqa: BLE001 - logged; the citizen gets a person
        logger.exception("bot.reply_failed conversation=%s message=%s", conversation_id, message_id)
        conversation = Conversation.objects.select_related("inbox", "queue").get(pk=conversation_id)
        if conversation.status == Conversation.Status.BOT:
            hand_off(conversation, actions.session_for(conversation), reason="bot_error",
                     language=conversation.language)


def reply(conversation_id: int, message_id: int) -> None:
    conversation = Conversation.objects.select_related("inbox", "queue").get(pk=conversation_id)
    if conversation.status != Conversation.Status.BOT:
        return
    message = Message.objects.get(pk=message_id, conversation=conversation)
    if message.author_kind != Message.Author.CONTACT:
        return
    session = actions.session_for(conversation)
    text = message.body
    if session.pending:
        return handle_pending(conversation, session, text)
    if wants_person(text):
        actions.record_turn(conversation, text, language=conversation.language,
                            outcome=BotTurn.Outcome.HANDED_OFF, reason="requested_person")
        return hand_off(conversation, session, reason="requested_person", language=conversation.language)
    if session.flow_slug:
        from guichet.bot.flow_runtime import continue_flow

        return continue_flow(conversation, session, text)
    if not has_words(text):
        return count_failure(conversation, session, text, reason="no_words")
    kind = small_talk(text)
    if kind is not None:
        # Too short for the detector, but "Bonjour" alone says which language the citizen wants.
        spoken = "fr" if _FRENCH_SMALL_TALK.match(fold(text).strip()) else "en"
        if spoken in served_languages(conversation):
            conversation = actions.set_language(conversation, spoken)
        return reply_small_talk(conversation, kind)
    conversation = choose_language(conversation, text)
    language = conversation.language
    candidates = get_live_index().search(text[:MAX_QUERY_CHARS], language, k=3)
    decision = decide(candidates, thresholds())
    rows = candidate_rows(decision.candidates or candidates, language)
    if decision.kind == "answer":
        best = decision.candidates[0]
        turn = actions.record_turn(conversation, text, language=language, outcome=BotTurn.Outcome.ANSWERED,
                                   candidates=rows, reason=decision.reason, article_id=best.article_id)
        return deliver_answer(conversation, session, best.article_id, language, turn, rows)
    if decision.kind == "clarify":
        actions.record_turn(conversation, text, language=language, outcome=BotTurn.Outcome.CLARIFIED,
                            candidates=rows, reason=decision.reason)
        return clarify(conversation, session, rows, language)
    actions.record_turn(conversation, text, language=language, outcome=BotTurn.Outcome.HANDED_OFF,
                        candidates=rows, reason=decision.reason)
    return hand_off(conversation, session, reason=decision.reason, language=language, candidates=rows)


def reply_small_talk(conversation: Conversation, kind: str) -> None:
    with override(conversation.language):
        text = (_("Hello! I am the virtual agent. What is your question?") if kind == "greeting"
                else _("You are welcome. Ask another question at any time."))
        actions.say(conversation, text, metadata={"kind": f"bot.{kind}"})


# --- answer / clarify / fail ---------------------------------------------------------------------------


def live_article(article_id: str) -> Article | None:
    article = Article.objects.filter(pk=int(article_id) if article_id.isdigit() else 0).first()
    return article if article is not None and article.is_live() else None


def article_answer(conversation: Conversation, article: Article, language: str) -> tuple[str, str, dict[str, Any]]:
    """(text, language of the answer, message metadata) of an article answering in `language`, with its source."""
    answer_language = language if article.has_version(language) else article.languages[0]
    version = article.version(answer_language) or {}
    with override(language):
        parts = []
        if answer_language != language:
            parts.append(_("This answer is only available in English.") if answer_language == "en"
                         else _("This answer is only available in French."))
        parts.append(render_plain(version.get("answer") or version.get("title", "")))
        if version.get("source_url") and conversation.inbox.channel != "web":
            # The web widget shows the cited source as a link from metadata; other channels need it in the text.
            parts.append(_("Source: %(url)s") % {"url": version["source_url"]})
    metadata = {"kind": "bot.answer", "article_id": str(article.pk), "source_url": version.get("source_url", ""),
                "source_title": version.get("title", ""), "notice": answer_language != language}
    return "\n\n".join(parts), answer_language, metadata


def deliver_answer(conversation: Conversation, session: BotSession, article_id: str, language: str,
                   turn: BotTurn | None, rows: list[dict[str, Any]] | None = None) -> None:
    """Answer with the article, or, where the inbox wants an agent to approve the bot's answers, propose it."""
    if conversation.inbox.bot_answers_need_approval:
        return propose_answer(conversation, session, article_id, language, turn, rows)
    return answer_with_article(conversation, session, article_id, language, turn)


def propose_answer(conversation: Conversation, session: BotSession, article_id: str, language: str,
                   turn: BotTurn | None, rows: list[dict[str, Any]] | None) -> None:
    """Hybrid mode: hand the conversation to an agent with the article the bot would have answered with; the
    agent sends it in one click (bot.actions.send_proposed_answer) or writes something better."""
    article = live_article(article_id)
    if article is None:
        return hand_off(conversation, session, reason="article_withdrawn", language=language)
    if turn is not None:
        turn.outcome, turn.reason = BotTurn.Outcome.HANDED_OFF, "awaiting_approval"
        turn.save(update_fields=["outcome", "reason"])
    proposed = {"article_id": str(article.pk), "title": article.title_in(language), "language": language}
    return hand_off(conversation, session, reason="awaiting_approval", language=language, candidates=rows,
                    proposed=proposed)


def answer_with_article(conversation: Conversation, session: BotSession, article_id: str, language: str,
                        turn: BotTurn | None) -> None:
    article = live_article(article_id)
    if article is None:
        return hand_off(conversation, session, reason="article_withdrawn", language=language)
    session.failures, session.offered = 0, []
    actions.save_session(session, "failures", "offered")
    text, answer_language, metadata = article_answer(conversation, article, language)
    with override(language):
        actions.say(conversation, text, language=answer_language, metadata=metadata)
        flow_slug = next((tag.split(":", 1)[1] for tag in article.tags if tag.startswith("flow:")), "")
        if flow_slug:
            from guichet.bot.flow_runtime import start_flow

            if start_flow(conversation, session, flow_slug):
                return None
        actions.say(conversation, _("Did this answer your question?"), metadata={
            "kind": "bot.feedback",
            "buttons": [actions.button(_("Yes"), "bot.feedback", "yes"),
                        actions.button(_("No"), "bot.feedback", "no")],
        })
    return None


def clarify(conversation: Conversation, session: BotSession, rows: list[dict[str, Any]], language: str) -> None:
    session.offered = [row["article_id"] for row in rows]
    actions.save_session(session, "offered")
    with override(language):
        text = (_("I found a few answers that might help. Which one matches your question?") if len(rows) > 1
                else _("Is this what you are asking about?"))
        buttons = [actions.button(row["title"], "bot.choose", row["article_id"]) for row in rows]
        buttons.append(actions.button(_("None of these"), "bot.choose", "none"))
        buttons.append(actions.button(_("Talk to a person"), "bot.handoff", "person"))
        actions.say(conversation, text, metadata={"kind": "bot.clarify", "buttons": buttons})


def count_failure(conversation: Conversation, session: BotSession, text: str, *, reason: str) -> None:
    """Ask once more; the second failure in a row goes to a person."""
    session.failures += 1
    actions.save_session(session, "failures")
    if text:
        actions.record_turn(conversation, text, language=conversation.language,
                            outcome=BotTurn.Outcome.CLARIFIED if session.failures < FAILURES_BEFORE_HANDOFF
                            else BotTurn.Outcome.HANDED_OFF, reason=reason)
    if session.failures >= FAILURES_BEFORE_HANDOFF:
        return hand_off(conversation, session, reason="repeated_failure", language=conversation.language)
    with override(conversation.language):
        actions.say(conversation, _("Sorry, I did not understand. Could you describe your question in a few "
                                    "words?"), metadata={
            "kind": "bot.rephrase", "buttons": [actions.button(_("Talk to a person"), "bot.handoff", "person")]})
    return None


# --- hand-off, including outside business hours ----------------------------------------------------------


def hand_off(conversation: Conversation, session: BotSession, *, reason: str, language: str,
             candidates: list[dict[str, Any]] | None = None, proposed: dict[str, Any] | None = None) -> None:
    context = actions.handoff_context(conversation, session, reason=reason, language=language,
                                      candidates=candidates)
    if proposed:
        context["proposed_answer"] = proposed
    now = timezone.now()
    if not queue_is_open(conversation.queue, now):
        return offer_while_closed(conversation, session, context)
    with override(language):
        text = (_("I found an answer. An agent is checking it before it is sent to you; you do not need to "
                  "repeat yourself.") if proposed else
                _("I am passing your conversation to an agent. You do not need to repeat yourself: they will see "
                  "what you already wrote."))
        actions.say(conversation, text, metadata={"kind": "bot.handoff"})
    actions.enqueue_with_context(conversation, session, context)
    return None


def opening_text(conversation: Conversation) -> str:
    opening = next_opening(conversation.queue, timezone.now())
    if opening is None:
        return _("Our agents are not available at the moment.")
    local = timezone.localtime(opening, opening.tzinfo)
    return _("Our agents are available again on %(when)s.") % {
        "when": formats.date_format(local, "DATETIME_FORMAT")}


def offer_while_closed(conversation: Conversation, session: BotSession, context: dict[str, Any]) -> None:
    session.pending, session.pending_context = BotSession.Pending.CLOSED_OFFER, context
    actions.save_session(session, "pending", "pending_context")
    with override(conversation.language):
        text = "\n\n".join([opening_text(conversation),
                            _("You can leave a message and we will answer it then, or ask us to call you back.")])
        actions.say(conversation, text, metadata={"kind": "bot.closed", "buttons": [
            actions.button(_("Leave a message"), "bot.leave_message", "yes"),
            actions.button(_("Request a callback"), "bot.callback", "yes"),
            actions.button(_("Wait for an agent"), "bot.wait", "yes"),
        ]})


def handle_pending(conversation: Conversation, session: BotSession, text: str) -> None:
    with override(conversation.language):
        if session.pending == BotSession.Pending.LEAVE_MESSAGE:
            task = actions.create_follow_up(conversation, kind=FollowUpTask.Kind.MESSAGE, note=text)
            actions.say(conversation, _("Thank you. Your message is saved under reference %(reference)s; an agent "
                                        "will answer it as soon as we open.") % {"reference": conversation.reference})
            return finish_pending(conversation, session, task)
        if session.pending == BotSession.Pending.CALLBACK_PHONE:
            return callback_when_open(conversation, session, text)
        # Still choosing between the offers: a typed message is taken as the message to leave.
        task = actions.create_follow_up(conversation, kind=FollowUpTask.Kind.MESSAGE, note=text)
        actions.say(conversation, _("Thank you. Your message is saved under reference %(reference)s; an agent "
                                    "will answer it as soon as we open.") % {"reference": conversation.reference})
        return finish_pending(conversation, session, task)


def callback_when_open(conversation: Conversation, session: BotSession, text: str) -> None:
    """Outside business hours: the number typed becomes routing's callback (the one callback concept), which
    keeps the conversation's place in line; a number routing cannot call is asked for again."""
    from guichet.routing.callbacks import check_phone, request_callback

    try:
        phone = check_phone(text)
    except ActionError:
        actions.say(conversation, _("That does not look like a phone number. Please write it with the area "
                                    "code, for example 613-555-0123."))
        return None
    with transaction.atomic():
        actions.enqueue_with_context(conversation, session, session.pending_context)
        request_callback(conversation, {"method": "phone", "phone": phone}, notify=False)
        actions.say(conversation, _("Thank you. We will call you at %(phone)s when we open. Your reference is "
                                    "%(reference)s.") % {"phone": phone, "reference": conversation.reference})
    return None


def finish_pending(conversation: Conversation, session: BotSession, task: FollowUpTask) -> None:
    context = {**session.pending_context, "follow_up": {"id": task.pk, "kind": task.kind, "phone": task.phone}}
    actions.enqueue_with_context(conversation, session, context)


# --- buttons ---------------------------------------------------------------------------------------------


def feedback(conversation: Conversation, value: str) -> None:
    session = actions.session_for(conversation)
    turn = BotTurn.objects.filter(conversation=conversation, outcome=BotTurn.Outcome.ANSWERED).first()
    if turn is None or turn.feedback:
        return None  # nothing to rate, or already rated (a double click)
    turn.feedback = value
    turn.save(update_fields=["feedback"])
    if value == "yes":
        with override(conversation.language):
            actions.say(conversation, _("Glad I could help. You can ask another question at any time."))
        return None
    return hand_off(conversation, session, reason="negative_feedback", language=conversation.language,
                    candidates=turn.candidates)


def choose(conversation: Conversation, value: str) -> None:
    session = actions.session_for(conversation)
    if value == "none":
        session.offered = []
        actions.save_session(session, "offered")
        # The offered articles did not fit: a poorly served question for the insights page.
        BotTurn.objects.filter(pk__in=BotTurn.objects.filter(
            conversation=conversation, outcome=BotTurn.Outcome.CLARIFIED).values("pk")[:1]).update(feedback="no")
        return count_failure(conversation, session, "", reason="none_of_these")
    turn = BotTurn.objects.filter(conversation=conversation, outcome=BotTurn.Outcome.CLARIFIED).first()
    if turn is not None:
        turn.outcome, turn.article_id = BotTurn.Outcome.ANSWERED, value
        turn.save(update_fields=["outcome", "article_id"])
    return deliver_answer(conversation, session, value, conversation.language, turn)
