"""Translators: `translate(text, source, target) -> Translation`, chosen by settings.GUICHET_TRANSLATOR.

To add a provider, subclass `Translator`, implement `translate` (raise `TranslationFailed` on any
failure: the caller falls back, it never drops the message) and register it in `PROVIDERS`.
Results are cached in Django's cache, keyed by a hash of provider, languages and text.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("guichet.translation")

DEFAULT_TIMEOUT_S = 3.0
CACHE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Translation:
    text: str
    provider: str
    detected_source: str


class TranslationFailed(Exception):
    """The provider could not translate (down, slow, refused, nonsense answer)."""


class Translator:
    """A machine translation provider. `name` is stored with each translation."""

    name = "base"
    # False for the no-translation provider: callers then leave messages as written.
    translates = True

    def translate(self, text: str, source: str, target: str) -> Translation:
        raise NotImplementedError


class NoTranslator(Translator):
    """Translation switched off: the text comes back as written (the default)."""

    name = "none"
    translates = False

    def translate(self, text: str, source: str, target: str) -> Translation:
        return Translation(text=text, provider=self.name, detected_source=source)


class LibreTranslateTranslator(Translator):
    """A LibreTranslate-compatible server: POST {url}/translate with q, source, target, format, api_key."""

    name = "libretranslate"

    def __init__(self, url: str, api_key: str = "", timeout_s: float = DEFAULT_TIMEOUT_S):
        if not url:
            raise ValueError("GUICHET_LIBRETRANSLATE_URL is required for the libretranslate translator")
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s

    def translate(self, text: str, source: str, target: str) -> Translation:
        payload = {"q": text, "source": source or "auto", "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        try:
            response = httpx.post(f"{self.url}/translate", json=payload, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise TranslationFailed(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise TranslationFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            data = response.json()
        except ValueError as exc:
            raise TranslationFailed("the answer is not JSON") from exc
        translated = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(translated, str) or not translated.strip():
            raise TranslationFailed("the answer has no translatedText")
        detected = data.get("detectedLanguage") or {}
        detected_source = detected.get("language") if isinstance(detected, dict) else None
        return Translation(text=translated, provider=self.name,
                           detected_source=str(detected_source or source))


PROVIDERS = {"none": NoTranslator, "libretranslate": LibreTranslateTranslator}


def get_translator() -> Translator:
    """The configured provider (built on each call: settings may change in tests and admin reloads)."""
    name = getattr(settings, "GUICHET_TRANSLATOR", "none") or "none"
    if name == "libretranslate":
        return LibreTranslateTranslator(
            getattr(settings, "GUICHET_LIBRETRANSLATE_URL", ""),
            getattr(settings, "GUICHET_LIBRETRANSLATE_API_KEY", ""),
            float(getattr(settings, "GUICHET_TRANSLATION_TIMEOUT_S", DEFAULT_TIMEOUT_S)),
        )
    if name not in PROVIDERS:
        raise ValueError(f"unknown GUICHET_TRANSLATOR {name!r}; choose one of {sorted(PROVIDERS)}")
    return PROVIDERS[name]()


def cache_key(provider: str, text: str, source: str, target: str) -> str:
    digest = hashlib.sha256("\x1f".join([provider, source, target, text]).encode("utf-8")).hexdigest()
    return f"guichet:translation:{digest}"


def translate(text: str, source: str, target: str, translator: Translator | None = None) -> Translation:
    """Translate through the cache; raises `TranslationFailed` (failures are not cached)."""
    translator = translator or get_translator()
    if not translator.translates or source == target:
        return Translation(text=text, provider=translator.name, detected_source=source)
    key = cache_key(translator.name, text, source, target)
    cached = cache.get(key)
    if cached is not None:
        return Translation(**cached)
    result = translator.translate(text, source, target)
    cache.set(key, {"text": result.text, "provider": result.provider, "detected_source": result.detected_source},
              CACHE_SECONDS)
    logger.info("translation.done provider=%s source=%s target=%s chars=%d", result.provider, source, target,
                len(text))
    return result
