"""Template helpers for the agent desk: author labels and a generic view of the bot's handoff context."""

from __future__ import annotations

from typing import Any

from django import template
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
}
# The most useful keys first, in this order; the rest follow alphabetically.
CONTEXT_ORDER = ["summary", "transcript_summary", "reason", "intent", "topic", "language", "detected_language",
                 "language_confidence", "candidates", "articles", "answers", "collected", "slots"]


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


@register.filter
def handoff_sections(context: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(context, dict):
        return []
    keys = [k for k in CONTEXT_ORDER if k in context] + sorted(k for k in context if k not in CONTEXT_ORDER)
    return [(humanise(key), shape(context[key])) for key in keys if context[key] not in (None, "", [], {})]


@register.filter
def author_label(message: Message) -> str:
    if message.author_kind == Message.Author.AGENT and message.author_agent is not None:
        return message.author_agent.display_name
    return str(message.get_author_kind_display())
