"""The Translator interface against a fake LibreTranslate-compatible server: round trips, failures, cache."""

from __future__ import annotations

import pytest

from guichet.translation.providers import (
    LibreTranslateTranslator,
    NoTranslator,
    TranslationFailed,
    get_translator,
    translate,
)

SPANISH = "Hola, necesito ayuda con mi solicitud de pasaporte"
ENGLISH = "Hello, I need help with my passport application"


def test_round_trip_sends_the_libretranslate_fields(fake_translator):
    result = translate(SPANISH, "es", "en")
    assert (result.text, result.provider, result.detected_source) == (ENGLISH, "libretranslate", "es")
    assert fake_translator.requests == [{"path": "/translate", "q": SPANISH, "source": "es", "target": "en",
                                         "format": "text", "api_key": "secret-key"}]


def test_automatic_source_reports_the_detected_language(fake_translator):
    result = get_translator().translate("Buenos días a todos", "auto", "en")
    assert result.detected_source == "es"
    assert result.text == "[en] Buenos días a todos"


def test_translations_are_cached_by_text_and_languages(fake_translator):
    first = translate(SPANISH, "es", "en")
    again = translate(SPANISH, "es", "en")
    assert again == first
    assert len(fake_translator.requests) == 1
    translate(SPANISH, "es", "fr")
    translate("Otra pregunta sobre mi pasaporte", "es", "en")
    assert [r["target"] for r in fake_translator.requests] == ["en", "fr", "en"]


def test_a_slow_server_times_out_and_the_failure_is_not_cached(fake_translator):
    fake_translator.mode = "slow"
    with pytest.raises(TranslationFailed, match="Timeout"):
        translate(SPANISH, "es", "en")
    fake_translator.mode = "ok"
    assert translate(SPANISH, "es", "en").text == ENGLISH
    assert len(fake_translator.requests) == 2


def test_a_server_that_is_down_fails_clearly(translator_down):
    with pytest.raises(TranslationFailed, match="ConnectError"):
        translate(SPANISH, "es", "en")


@pytest.mark.parametrize("mode, message", [("garbage", "not JSON"), ("error", "HTTP 500")])
def test_nonsense_answers_fail_clearly(fake_translator, mode, message):
    fake_translator.mode = mode
    with pytest.raises(TranslationFailed, match=message):
        translate(SPANISH, "es", "en")


def test_an_answer_without_translated_text_fails(fake_translator, monkeypatch):
    monkeypatch.setattr(fake_translator, "answer", lambda path, body: (200, {"detectedLanguage": {}}))
    with pytest.raises(TranslationFailed, match="translatedText"):
        translate(SPANISH, "es", "en")


def test_the_none_provider_returns_the_text_without_any_request(settings):
    settings.GUICHET_TRANSLATOR = "none"
    translator = get_translator()
    assert isinstance(translator, NoTranslator)
    assert translate(SPANISH, "es", "en").text == SPANISH


def test_configuration_mistakes_are_reported(settings):
    settings.GUICHET_TRANSLATOR = "babelfish"
    with pytest.raises(ValueError, match="babelfish"):
        get_translator()
    with pytest.raises(ValueError, match="GUICHET_LIBRETRANSLATE_URL"):
        LibreTranslateTranslator("")
