"""Template helpers for the agent desk: author labels and a generic view of the bot's handoff context."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from guichet.conversations.models import Message

register = template.Library()

# Friendly labels for the keys the virtual agent is expected to write; any other key is shown humanised.
CONTEXT_LABELS = {
    "summary": _("Summary"),
    "transcript_summary": _("Summary of the conversation with the virtual agent"),
    "reason": _("Reason for the handoff"),
    "language": _("Detected language"),
    "detected_language": _("Detected language"),
    "language_confidence": _("Language confidence"),
    "candidates": _("Candidate articles"),
    "articles": _("Candidate articles"),
    "answers": _("Collected answers"),
    "collected": _("Collected answers"),
    "slots": _("Collected answers"),
    "intent": _("Topic"),
    "topic": _("Topic"),
    "sentiment": _("Sentiment"),
    "transcript": _("Conversation with the virtual agent"),
    "flow": _("Guided dialogue"),
    "handed_off_at": _("Handed off at"),
    "article_id": _("Article"),
    "title": _("Title"),
    "confidence": _("Confidence"),
    "score": _("Score"),
    "follow_up": _("Follow-up"),
}

# Why the virtual agent handed off (codes written by guichet.bot); unknown codes are shown humanised.
REASON_LABELS = {
    "requested_person": _("The citizen asked for a person"),
    "repeated_failure": _("The virtual agent did not understand several times"),
    "negative_feedback": _("The citizen said the answer did not help"),
    "none_of_these": _("None of the suggested answers fit"),
    "article_withdrawn": _("The matching answer was withdrawn"),
    "bot_error": _("The virtual agent had a technical problem"),
    "no_words": _("The message had no words the virtual agent could use"),
    "low_confidence": _("No answer was a confident match"),
    "ambiguous": _("Several answers were equally likely"),
    # Written by the retrieval decision (bot/nlp/retrieval.py: decide).
    "no_candidate": _("No answer in the knowledge base matched the question"),
    "not_confident": _("The virtual agent was not confident in any answer"),
    "close_candidates": _("Several answers were close and none was chosen"),
    "awaiting_approval": _("The virtual agent found an answer: check it and send it, or write your own"),
    "approved": _("An agent checked and sent the virtual agent's answer"),
    "confirm_single": _("The virtual agent could not confirm the only possible answer"),
    # Written by guided flows (bot/flow_runtime.py).
    "flow_handoff": _("The guided service passes this case to a person"),
    "flow_done": _("The guided service finished and passes the case to a person"),
    "flow_invalid_input": _("The citizen's answers in the guided service could not be accepted"),
    "integration_failed": _("The government system behind the guided service did not answer"),
}
# The most useful keys first, in this order; the rest follow alphabetically.
CONTEXT_ORDER = ["summary", "transcript_summary", "reason", "intent", "topic", "language", "detected_language",
                 "language_confidence", "candidates", "articles", "answers", "collected", "slots", "flow",
                 "transcript", "handed_off_at"]


def humanise(key: str) -> str:
    return str(CONTEXT_LABELS.get(key, key.replace("_", " ").strip().capitalize()))


def shape(value: Any) -> dict[str, Any]:
    """Describe a JSON value so the template can pick a layout: text, list, table or pairs."""
    if isinstance(value, dict):
        return {"kind": "pairs", "items": [(humanise(str(k)), shape(v)) for k, v in value.items()]}
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            columns: list[str] = []
            for item in value:
                columns += [str(k) for k in item if str(k) not in columns]
            rows = [[format_scalar(item.get(column)) for column in columns] for item in value]
            return {"kind": "table", "columns": [humanise(c) for c in columns], "rows": rows}
        return {"kind": "list", "items": [format_scalar(item) for item in value]}
    return {"kind": "text", "value": format_scalar(value)}


def format_scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def shape_dialogue(value: Any) -> dict[str, Any] | None:
    """The bot's transcript ([{"author", "text"}]) as lines with translated author labels."""
    if not (isinstance(value, list) and all(isinstance(item, dict) and "text" in item for item in value)):
        return None
    authors = dict(Message.Author.choices)
    lines = [{"author": str(authors.get(item.get("author"), item.get("author") or "")),
              "kind": str(item.get("author") or ""), "text": format_scalar(item.get("text"))} for item in value]
    return {"kind": "dialogue", "lines": lines}


def shape_moment(value: Any) -> dict[str, Any] | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return None
    return {"kind": "text", "value": date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")}


def shape_reason(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str):
        return None
    return {"kind": "text", "value": str(REASON_LABELS.get(value, value.replace("_", " ").capitalize()))}


SPECIAL_SHAPES = {"transcript": shape_dialogue, "handed_off_at": shape_moment, "reason": shape_reason}
# Rendered by the conversation page itself (the proposed answer, with its send button).
SHOWN_APART = frozenset({"proposed_answer"})


@register.filter
def handoff_sections(context: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(context, dict):
        return []
    keys = [k for k in CONTEXT_ORDER if k in context] + sorted(k for k in context if k not in CONTEXT_ORDER)
    sections = []
    for key in keys:
        if key in SHOWN_APART:
            continue
        value = context[key]
        if value in (None, "", [], {}):
            continue
        special = SPECIAL_SHAPES.get(key)
        sections.append((humanise(key), (special(value) if special else None) or shape(value)))
    return sections


@register.filter
def author_label(message: Message) -> str:
    if message.author_kind == Message.Author.AGENT and message.author_agent is not None:
        return message.author_agent.display_name
    return str(message.get_author_kind_display())


@register.filter
def phone_display(e164: str) -> str:
    """A stored E.164 number as people read it (+1 613-555-0123); the raw value when it does not parse."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
