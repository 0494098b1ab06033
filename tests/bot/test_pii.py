import pytest

from guichet.bot.nlp.pii import PAYMENT_CARD, PHONE, SIN, luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected_text", "expected_kinds"),
    [
        ("My SIN is 130 692 544, please check.", "My SIN is [SIN], please check.", ("sin",)),
        ("Mon NAS est le 130-692-544.", "Mon NAS est le [SIN].", ("sin",)),
        ("Card 4111 1111 1111 1111 was charged", "Card [CARD] was charged", ("payment_card",)),
        ("Call me at (613) 555-0142 tomorrow", "Call me at [PHONE] tomorrow", ("phone",)),
        ("Appelez-moi au 06 12 34 56 78 svp", "Appelez-moi au [PHONE] svp", ("phone",)),
        ("Écrivez à marie.tremblay@exemple.ca merci", "Écrivez à [EMAIL] merci", ("email",)),
        ("I live at K1A 0B1 in Ottawa", "I live at [POSTAL_CODE] in Ottawa", ("postal_code_ca",)),
        ("j'habite au h2x 1y4", "j'habite au [POSTAL_CODE]", ("postal_code_ca",)),
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, [POSTAL_CODE] Paris", ("postal_code_fr",)),
        ("mon code postal est 69003", "mon code postal est [POSTAL_CODE]", ("postal_code_fr",)),
    ],
)
def test_redacts_each_kind_in_english_and_french(text, expected_text, expected_kinds):
    redaction = redact(text)
    assert redaction.text == expected_text
    assert redaction.kinds == expected_kinds


def test_numbers_failing_validation_are_kept():
    text = "Order 130 692 545 and card 4111 1111 1111 1112, 75002 items"
    assert redact(text).text == text


def test_several_kinds_in_one_message():
    redaction = redact("SIN 130 692 544, phone 514-555-0199, email a.b@gc.ca")
    assert set(redaction.kinds) == {SIN, PHONE, "email"}
    assert "692" not in redaction.text and "0199" not in redaction.text


def test_card_wins_over_phone_shaped_parts():
    assert redact("4111-1111-1111-1111").kinds == (PAYMENT_CARD,)


def test_luhn():
    assert luhn_valid("130692544")
    assert not luhn_valid("130692545")
