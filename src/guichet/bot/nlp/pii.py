"""Personal-information redaction for English and French messages.

Presidio is not installed, so each kind of identifier is a pattern recognizer: a regular expression that
proposes spans and a validator that rejects look-alikes (Luhn checksum for SIN and payment cards, the
`phonenumbers` numbering plans for phones, context words for French postal codes, which are otherwise
indistinguishable from any five-digit number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers

EMAIL = "email"
PAYMENT_CARD = "payment_card"
SIN = "sin"
PHONE = "phone"
POSTAL_CODE_CA = "postal_code_ca"
POSTAL_CODE_FR = "postal_code_fr"

PLACEHOLDERS = {
    EMAIL: "[EMAIL]",
    PAYMENT_CARD: "[CARD]",
    SIN: "[SIN]",
    PHONE: "[PHONE]",
    POSTAL_CODE_CA: "[POSTAL_CODE]",
    POSTAL_CODE_FR: "[POSTAL_CODE]",
}
# When two spans overlap the earlier kind wins: a card number contains SIN-shaped and phone-shaped runs.
PRIORITY = (EMAIL, PAYMENT_CARD, SIN, PHONE, POSTAL_CODE_CA, POSTAL_CODE_FR)
PHONE_REGIONS = ("CA", "FR")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]
    findings: tuple[Finding, ...]


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?![\w-])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_SIN = re.compile(r"(?<![\d-])\d{3}([ -]?)\d{3}\1\d{3}(?![\d-])")
# Letters D, F, I, O, Q, U never appear; W and Z never start a code.
_POSTAL_CA = re.compile(
    r"(?<![A-Za-z0-9])[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ -]?\d[ABCEGHJ-NPRSTV-Z]\d(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_POSTAL_FR = re.compile(r"(?<!\d)(?:0[1-9]|[1-8]\d|9[0-8])\d{3}(?!\d)")
_POSTAL_FR_BEFORE = re.compile(
    r"(?:code\s+postal|postal\s+code|\bcp|\bc\.p\.|zip(?:\s+code)?)\b[\w\s:]{0,12}$", re.IGNORECASE
)
# A French address writes the code before the town: "75011 Paris", "69003 Lyon Cedex".
_POSTAL_FR_AFTER = re.compile(r"^\s+(?:[A-ZÀ-Ý][\w'’-]+|cedex\b)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _find_emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding(EMAIL, match.start(), match.end())


def _find_cards(text: str) -> Iterator[Finding]:
    for match in _CARD.finditer(text):
        digits = _digits(match.group())
        # Issuer ranges in use start with 2 (Mastercard 2-series) to 6; 13-19 digits.
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            yield Finding(PAYMENT_CARD, match.start(), match.end())


def _find_sins(text: str) -> Iterator[Finding]:
    for match in _SIN.finditer(text):
        digits = _digits(match.group())
        # No SIN starts with 0, and 8 is reserved for business numbers.
        if digits[0] not in "08" and luhn_valid(digits):
            yield Finding(SIN, match.start(), match.end())


def _find_phones(text: str) -> Iterator[Finding]:
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            yield Finding(PHONE, match.start, match.end)


def _find_canadian_postal_codes(text: str) -> Iterator[Finding]:
    for match in _POSTAL_CA.finditer(text):
        yield Finding(POSTAL_CODE_CA, match.start(), match.end())


def _find_french_postal_codes(text: str) -> Iterator[Finding]:
    for match in _POSTAL_FR.finditer(text):
        before = text[max(0, match.start() - 20) : match.start()]
        after = text[match.end() : match.end() + 30]
        if _POSTAL_FR_BEFORE.search(before) or _POSTAL_FR_AFTER.match(after):
            yield Finding(POSTAL_CODE_FR, match.start(), match.end())


RECOGNIZERS: dict[str, Callable[[str], Iterator[Finding]]] = {
    EMAIL: _find_emails,
    PAYMENT_CARD: _find_cards,
    SIN: _find_sins,
    PHONE: _find_phones,
    POSTAL_CODE_CA: _find_canadian_postal_codes,
    POSTAL_CODE_FR: _find_french_postal_codes,
}


def find_pii(text: str) -> list[Finding]:
    """Non-overlapping findings in text order; on overlap the higher-priority kind is kept."""
    kept: list[Finding] = []
    for kind in PRIORITY:
        for finding in RECOGNIZERS[kind](text):
            if all(finding.end <= other.start or finding.start >= other.end for other in kept):
                kept.append(finding)
    return sorted(kept, key=lambda finding: finding.start)


def redact(text: str) -> Redaction:
    """`text` with every finding replaced by its placeholder, plus the kinds found."""
    findings = find_pii(text)
    pieces: list[str] = []
    cursor = 0
    for finding in findings:
        pieces.append(text[cursor : finding.start])
        pieces.append(PLACEHOLDERS[finding.kind])
        cursor = finding.end
    pieces.append(text[cursor:])
    kinds = tuple(sorted({finding.kind for finding in findings}))
    return Redaction("".join(pieces), kinds, tuple(findings))
