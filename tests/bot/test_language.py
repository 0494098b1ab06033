from guichet.bot.nlp.language import detect_language, guess_language


def test_short_message_keeps_the_conversation_language():
    assert detect_language("merci", fallback="en") == "en"
    assert detect_language("ok", fallback="fr") == "fr"


def test_full_french_sentence_switches_an_english_conversation():
    assert detect_language("Quand est-ce que je vais recevoir ma carte d'assurance maladie ?", fallback="en") == "fr"


def test_full_english_sentence_switches_a_french_conversation():
    assert detect_language("When will I receive my new health insurance card?", fallback="fr") == "en"


def test_detection_is_restricted_to_the_configured_languages():
    guess = guess_language("Quiero renovar mi pasaporte por favor", languages=("en", "fr"))
    assert guess.language in {"en", "fr"}


def test_single_configured_language_is_always_chosen():
    assert detect_language("Where is my passport application?", fallback="fr", languages=("fr",)) == "fr"
