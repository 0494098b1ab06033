"""Language detection restricted to the languages a deployment serves.

A citizen who writes "ok", "merci" or "T4?" has not changed language; switching the conversation on such
evidence would flip the bot's replies back and forth. So detection only overrides the conversation's
current language when the message is long enough and the classifier is confident.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

DEFAULT_LANGUAGES = ("en", "fr")
# Below this many words the n-gram statistics are too thin to overrule the conversation's language.
MIN_WORDS = 3
# Probability (after restriction to the configured languages) the detector must reach.
MIN_CONFIDENCE = 0.95

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_lock = threading.Lock()


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    confidence: float
    reliable: bool


@lru_cache(maxsize=8)
def _identifier(languages: frozenset[str]) -> LanguageIdentifier:
    """One identifier per language set: `set_languages` mutates, so instances are never shared across sets."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(languages))
    return identifier


def guess_language(text: str, languages: Iterable[str] = DEFAULT_LANGUAGES) -> LanguageGuess:
    """Best language among `languages` with its probability; `reliable` says whether to act on it."""
    allowed = frozenset(languages)
    if not allowed:
        raise ValueError("at least one language must be configured")
    if len(allowed) == 1:
        (only,) = allowed
        return LanguageGuess(only, 1.0, True)
    with _lock:
        language, confidence = _identifier(allowed).classify(text)
    word_count = len(_WORD.findall(text))
    reliable = word_count >= MIN_WORDS and confidence >= MIN_CONFIDENCE
    return LanguageGuess(language, float(confidence), reliable)


def detect_language(
    text: str,
    fallback: str,
    languages: Iterable[str] = DEFAULT_LANGUAGES,
) -> str:
    """Language of `text` among `languages`, or `fallback` (the conversation's language) when unsure."""
    guess = guess_language(text, languages)
    return guess.language if guess.reliable else fallback
