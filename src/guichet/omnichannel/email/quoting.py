"""Split a reply into what the citizen just wrote and the quoted history their mail client appended."""

from __future__ import annotations

import re

# "On Tue, 1 Dec 2026 at 09:00, Guichet <help@example.ca> wrote:" (may wrap onto two lines)
_ATTRIBUTION = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Le\b.{0,300}\ba\s+écrit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*-{2,}\s*(Original Message|Message d'origine|Courriel original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above "From: ... Sent: ..."
]


def _is_attribution(lines: list[str], index: int) -> bool:
    single = lines[index]
    joined = single + " " + lines[index + 1] if index + 1 < len(lines) else single
    return any(p.match(single) or p.match(joined) for p in _ATTRIBUTION)


def split_quoted(text: str) -> tuple[str, str]:
    """Return (new text, quoted history). If stripping would leave nothing, keep everything as new text."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for index in range(len(lines)):
        if _is_attribution(lines, index):
            cut = index
            break
    kept, quoted = [], lines[cut:]
    for line in lines[:cut]:
        (quoted if line.lstrip().startswith(">") else kept).append(line)
    fresh = "\n".join(kept).strip()
    if not fresh:
        return text.strip(), ""
    return fresh, "\n".join(quoted).strip()
