"""Template helpers for channel details shown to agents (timeline, desk transcript)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def sms_media(message: Any) -> list[dict[str, str]]:
    """Pictures and files a citizen sent by MMS: [{"url", "type"}], web links only (never `javascript:`)."""
    sms = (getattr(message, "metadata", None) or {}).get("sms") or {}
    urls, types = sms.get("media") or [], sms.get("media_types") or []
    links = []
    for index, url in enumerate(urls):
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            kind = types[index] if index < len(types) and isinstance(types[index], str) else ""
            links.append({"url": url, "type": kind})
    return links
