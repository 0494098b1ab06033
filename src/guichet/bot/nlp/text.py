"""Text normalisation shared by the lexical index and the evaluation loaders.

Accent folding and stemming so the lexical side catches shared words ("vaccination" / "vacciner",
"cards" / "card"); meaning is the dense side's job. When the language of a text is known, the Snowball
stemmer of that language is used (pure Python, `snowballstemmer`); otherwise a light suffix stripper that
is safe on both English and French. Snowball stems the accented word and the stem is folded afterwards,
because its French rules read accents ("démission" and "démissionner" meet only that way).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import snowballstemmer

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_TOKEN = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")  # letters (accents included) and digits
# ISO 639-1 code -> Snowball algorithm name, for the languages a knowledge base is likely to hold.
SNOWBALL_LANGUAGES = {
    "en": "english", "fr": "french", "es": "spanish", "pt": "portuguese", "it": "italian", "de": "german",
    "nl": "dutch", "ar": "arabic",
}
# French elisions are glued to the next word ("l'attestation", "qu'il"); drop the elided article.
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'")

STOPWORDS = frozenset(
    """
    a an and are as at be been being but by can could did do does doing for from had has have having he her
    hers him his how i if in into is it its me my myself no nor not of off on once only or our ours out own
    she should so some such than that the their theirs them then there these they this those to too very
    was we were what when where which while who whom why will with would you your yours yourself
    am any all also just still get got im ive dont cant
    au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur leurs lui ma
    mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi
    ton tu un une vos votre vous y est sont suis etes sommes ai as avons avez ont etre avoir fait faire
    peut peux puis dois doit quel quelle quels quelles comment quoi ca cela ceci si plus tres
    """.split()
)

# Longest first; a suffix is stripped only if a stem of at least four letters remains.
_SUFFIXES = (
    "issements", "issement", "ements", "ement", "ations", "ation", "itions", "ition",
    "ments", "ment", "ances", "ance", "ences", "ence", "ables", "able", "ibles", "ible",
    "euses", "euse", "eurs", "eur", "ives", "ive", "ings", "ing", "ies", "ied", "ees", "ee", "es", "ed",
    "er", "ez", "s", "x", "e",
)
_MIN_STEM = 4


def fold(text: str) -> str:
    """Lower-case, unify apostrophes and remove accents ("Réinscription" -> "reinscription")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def stem(word: str) -> str:
    """Strip one common English or French inflectional/derivational suffix."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=16)
def _snowball(language: str) -> snowballstemmer.stemmer | None:
    algorithm = SNOWBALL_LANGUAGES.get(language)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@functools.lru_cache(maxsize=65536)
def _snowball_stem(language: str, word: str) -> str:
    stemmer = _snowball(language)
    return fold(stemmer.stemWord(word)) if stemmer else stem(fold(word))


def tokens(text: str, language: str | None = None) -> list[str]:
    """Folded, elision-free, stop-word-free, stemmed tokens (Snowball when `language` has a stemmer)."""
    if language is None or _snowball(language) is None:
        folded = _ELISION.sub(" ", fold(text))
        return [stem(word) for word in _TOKEN.findall(folded) if word not in STOPWORDS]
    lowered = _ELISION.sub(" ", text.translate(_APOSTROPHES).lower())
    return [
        _snowball_stem(language, word) for word in _WORD.findall(lowered)
        if fold(word) not in STOPWORDS
    ]


def normalise_question(text: str) -> str:
    """Key under which two phrasings count as the same question (case, accents, punctuation ignored)."""
    return " ".join(_TOKEN.findall(fold(text)))
