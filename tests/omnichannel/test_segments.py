"""SMS segmenting: GSM-7 vs UCS-2 budgets, numbering, extended characters, no split inside a character."""

from guichet.omnichannel.segments import encoding_for, split_sms, text_units


def test_short_messages_are_one_part_up_to_the_single_limits():
    assert split_sms("a" * 160) == ["a" * 160]
    assert split_sms("ê" * 70) == ["ê" * 70]


def test_gsm7_parts_fit_153_septets_with_numbering():
    text = " ".join(f"word{n}" for n in range(60))
    parts = split_sms(text)
    assert len(parts) == 3
    assert all(text_units(p, "gsm7") <= 153 for p in parts)
    assert parts[0].endswith(" (1/3)") and parts[2].endswith(" (3/3)")


def test_french_text_outside_gsm7_uses_ucs2_segments_of_67():
    text = "Votre demande est complète; vous la recevrez bientôt à la maison, peut-être même avant Noël. " * 2
    assert encoding_for(text) == "ucs2"
    parts = split_sms(text)
    assert all(text_units(p, "ucs2") <= 67 for p in parts)
    assert " ".join(p.rsplit(" ", 1)[0] for p in parts) == text.strip()


def test_extended_gsm_characters_count_twice():
    assert encoding_for("€[]") == "gsm7"
    assert text_units("€[]", "gsm7") == 6
    parts = split_sms("€" * 90)
    assert len(parts) == 2 and all(text_units(p, "gsm7") <= 153 for p in parts)


def test_emoji_are_never_cut_in_half():
    parts = split_sms("😀" * 40)
    assert "".join(p.rsplit(" ", 1)[0] for p in parts) == "😀" * 40
    assert all(text_units(p, "ucs2") <= 67 for p in parts)


def test_numbering_adjusts_when_parts_reach_ten():
    parts = split_sms("x " * 700)
    assert len(parts) >= 10
    assert parts[-1].endswith(f"({len(parts)}/{len(parts)})")
    assert all(text_units(p, "gsm7") <= 153 for p in parts)


def test_long_automatic_answers_are_shortened_with_the_link():
    from guichet.omnichannel.segments import shorten

    answer = " ".join(["You can renew your benefits online or at any service centre with two pieces of ID."] * 8)
    short = shorten(answer, 2, "https://www.canada.ca/en/services/benefits.html")
    assert len(split_sms(short)) == 2
    assert short.endswith("… https://www.canada.ca/en/services/benefits.html")
    assert answer.startswith(short.split("…")[0])
    assert shorten("Short answer.", 2, "https://example.ca/a") == "Short answer. https://example.ca/a"
