"""HTML mail is hostile by default: keep a small safe subset for display, and a plain-text rendering."""

from __future__ import annotations

import html
import re

import nh3

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_BLOCK_END = re.compile(r"</(p|div|tr|h[1-6]|li|blockquote|table)\s*>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def sanitise_html(markup: str) -> str:
    """Only harmless formatting survives: no scripts, styles, images (web bugs), forms or event handlers."""
    return nh3.clean(markup, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", clean_content_tags={"script", "style", "title"})


def html_to_text(markup: str) -> str:
    with_breaks = _BLOCK_END.sub("\n", markup)
    stripped = nh3.clean(with_breaks, tags=set(), clean_content_tags={"script", "style", "title", "head"})
    lines = [_SPACES.sub(" ", html.unescape(line)).strip() for line in stripped.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
