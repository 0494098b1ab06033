"""Editors' phrasings for the French FAQ: loading, merging into the knowledge base, bad files."""

from __future__ import annotations

import json

import pytest

from guichet.bot.nlp.datasets import DatasetError, french_faq_kb, load_phrasings_file

FAQ = [
    {"q": "Puis-je aller à la banque ?", "r": "Oui, avec une attestation.", "c": "Sorties", "u": "https://x"},
    {"q": "Les mineurs sont-ils autorisés à sortir seuls ?", "r": "Oui, pour des achats.", "c": "Sorties"},
    {"q": "Puis-je aller à la banque ?", "r": "Doublon d'une autre source.", "c": "Autre"},
]


@pytest.fixture
def faq_file(tmp_path):
    path = tmp_path / "faq.json"
    path.write_text(json.dumps(FAQ, ensure_ascii=False), encoding="utf-8")
    return path


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "phrasings.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_phrasings_join_their_articles_in_file_order_without_duplicates(tmp_path, faq_file):
    path = write(tmp_path, "article_id,phrasing\nfaq-000,retirer du liquide\nfaq-001,\"mon ado, seul dehors\"\n"
                           "faq-000,aller au distributeur\nfaq-000,retirer du liquide\n")
    records = french_faq_kb(faq_file, load_phrasings_file(path))
    assert [record["id"] for record in records] == ["faq-000", "faq-001"]  # the duplicate question is one article
    assert records[0]["fr"]["phrasings"] == ["retirer du liquide", "aller au distributeur"]
    assert records[1]["fr"]["phrasings"] == ["mon ado, seul dehors"]
    assert french_faq_kb(faq_file)[0]["fr"]["phrasings"] == []  # without the file: the bare FAQ


def test_a_phrasing_for_an_unknown_article_is_an_error(tmp_path, faq_file):
    path = write(tmp_path, "article_id,phrasing\nfaq-999,question orpheline\n")
    with pytest.raises(DatasetError, match="faq-999"):
        french_faq_kb(faq_file, load_phrasings_file(path))


@pytest.mark.parametrize(("text", "encoding", "message"), [
    ("id,text\nfaq-000,x\n", "utf-8", "header"),
    ("article_id,phrasing\nfaq-000,\n", "utf-8", "line 2"),
    ("article_id,phrasing\nfaq-000,aller à la banque\n", "latin-1", "UTF-8"),
])
def test_bad_phrasings_files_are_reported_clearly(tmp_path, text, encoding, message):
    with pytest.raises(DatasetError, match=message):
        load_phrasings_file(write(tmp_path, text, encoding))


def test_a_missing_phrasings_file_is_reported(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        load_phrasings_file(tmp_path / "absent.csv")
