"""Which language a citizen wrote in, among every language the classifier knows (not only EN/FR).

The bot's detector (bot/nlp/language.py) is restricted to the languages the deployment serves, which is
right for choosing the bot's answers but would call Spanish "French". Translation needs the real language.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Short messages ("ok", "merci") carry too little evidence to overrule the language of record. Across ~100
# languages close relatives share the probability (es/gl/pt), so 0.6 is already a clear answer.
MIN_WORDS = 3
MIN_CONFIDENCE = 0.6
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur", "ps", "yi", "ug", "ckb", "dv", "sd"})

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def written_language(text: str, fallback: str) -> str:
    """The language of `text`, or `fallback` (the message's recorded language) when the evidence is thin."""
    if len(_WORD.findall(text)) < MIN_WORDS:
        return fallback
    with _lock:
        language, confidence = _identifier().classify(text)
    return str(language) if confidence >= MIN_CONFIDENCE else fallback


def text_direction(language: str) -> str:
    """"rtl" or "ltr" for an HTML `dir` attribute."""
    return "rtl" if (language or "").split("-")[0].lower() in RIGHT_TO_LEFT else "ltr"
