"""Split SMS text into parts that each fit one segment, numbered "(1/3)".

A single SMS holds 160 GSM-7 septets or 70 UCS-2 code units. In a concatenated message the header eats
some room: 153 septets or 67 code units per segment. French accents outside GSM-7 (é is in it, ê is not)
switch the whole message to UCS-2. We number parts ourselves and send each as one segment, so every
carrier shows them in order and nothing is cut mid-word.
"""

from __future__ import annotations

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # two septets each (escape + char)

SINGLE = {"gsm7": 160, "ucs2": 70}
PER_SEGMENT = {"gsm7": 153, "ucs2": 67}


def encoding_for(text: str) -> str:
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text) else "ucs2"


def char_units(char: str, encoding: str) -> int:
    if encoding == "gsm7":
        return 2 if char in GSM7_EXTENDED else 1
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a surrogate pair


def text_units(text: str, encoding: str) -> int:
    return sum(char_units(c, encoding) for c in text)


def _take(words: list[str], budget: int, encoding: str) -> tuple[str, list[str]]:
    """Greedy: as many whole words as fit in `budget`; a word longer than a part is cut by characters."""
    taken = ""
    while words:
        candidate = words[0] if not taken else f"{taken} {words[0]}"
        if text_units(candidate, encoding) <= budget:
            taken = candidate
            words = words[1:]
            continue
        if taken:
            break
        head, used = "", 0
        for char in words[0]:
            if used + char_units(char, encoding) > budget:
                break
            head, used = head + char, used + char_units(char, encoding)
        return head, [words[0][len(head):], *words[1:]]
    return taken, words


def split_sms(text: str) -> list[str]:
    """Parts to send, each fitting one segment including its " (i/n)" suffix."""
    text = text.strip()
    encoding = encoding_for(text)
    if text_units(text, encoding) <= SINGLE[encoding]:
        return [text]
    total, parts = 2, []
    for _attempt in range(6):  # the suffix length depends on the number of parts: iterate until stable
        parts = _split_with_suffix(text, encoding, total)
        if len(parts) == total:
            break
        total = len(parts)
    return parts


def _split_with_suffix(text: str, encoding: str, total: int) -> list[str]:
    words = text.split(" ")
    parts: list[str] = []
    while words:
        suffix = f" ({len(parts) + 1}/{total})"
        chunk, words = _take(words, PER_SEGMENT[encoding] - len(suffix), encoding)
        parts.append(chunk)
    return [f"{chunk} ({index}/{len(parts)})" for index, chunk in enumerate(parts, start=1)]


def shorten(text: str, max_parts: int, link: str = "") -> str:
    """Cut a long automatic answer to at most `max_parts` parts, at a word, ending with "…" and the link to
    the full answer (if any). People's messages are never cut; this is for the virtual agent's answers."""
    text = text.strip()
    tail = f" {link}".rstrip() if link and link not in text else ""
    if len(split_sms(text + tail)) <= max_parts:
        return text + tail
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # the longest prefix of words that still fits
        middle = (low + high + 1) // 2
        if len(split_sms(" ".join(words[:middle]) + "…" + tail)) <= max_parts:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low]) + "…" + tail
