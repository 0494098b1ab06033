"""Answers are written in Markdown; citizens and agents only ever see sanitised HTML or plain text."""

from __future__ import annotations

import html
import re

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre",
                "table", "thead", "tbody", "tr", "th", "td", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"<a [^>]*href=\"([^\"]+)\"[^>]*>(.*?)</a>", re.S)


def render_html(text: str) -> str:
    """Markdown to HTML with everything not on the allow-list removed (scripts, handlers, javascript: URLs)."""
    raw = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")


def render_plain(text: str) -> str:
    """Plain text for chat bubbles, SMS and speech: links become "label (url)", lists keep a dash."""
    safe = render_html(text)
    safe = _LINK.sub(lambda m: m.group(2) if m.group(1) == _TAG.sub("", m.group(2))
                     else f"{m.group(2)} ({m.group(1)})", safe)
    safe = re.sub(r"<li>", "- ", safe)
    safe = re.sub(r"</(p|li|h3|h4|tr|blockquote|pre)>|<br ?/?>", "\n", safe)
    plain = html.unescape(_TAG.sub("", safe))
    lines = [line.strip() for line in plain.splitlines()]
    plain = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return re.sub(r"\n+(?=- )", "\n", plain).strip()


def shorten(text: str, limit: int) -> str:
    """Cut at a sentence or word boundary below `limit` characters (SMS, voice)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for stop in (". ", "\n", " "):
        position = cut.rfind(stop)
        if position > limit // 2:
            return cut[: position + (1 if stop == ". " else 0)].rstrip() + "…"
    return cut + "…"
