"""The widget's own EN/FR catalog: complete in both languages, same placeholders, served as JSON."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from guichet.web.views import widget_catalog

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def catalog():
    return widget_catalog()


def test_catalog_has_english_and_french(catalog):
    assert set(catalog) == {"en", "fr"}
    assert len(catalog["en"]) > 30


def test_every_english_key_has_a_french_value_and_back(catalog):
    english, french = catalog["en"], catalog["fr"]
    assert sorted(set(english) - set(french)) == []
    assert sorted(set(french) - set(english)) == []
    assert [key for key, value in english.items() if not str(value).strip()] == []
    assert [key for key, value in french.items() if not str(value).strip()] == []


def test_translations_keep_the_same_placeholders(catalog):
    mismatched = [key for key in catalog["en"]
                  if set(PLACEHOLDER.findall(catalog["en"][key])) != set(PLACEHOLDER.findall(catalog["fr"][key]))]
    assert mismatched == []


def test_french_is_actually_translated(catalog):
    # Shared words ("Conversation", "Agent", "Source") may be equal; most sentences must differ.
    same = [key for key in catalog["en"] if catalog["en"][key] == catalog["fr"][key]]
    assert len(same) <= 3, same


def test_active_offer_greets_in_both_languages(catalog):
    for language in ("en", "fr"):
        assert "Hello" in catalog[language]["active_offer"] and "Bonjour" in catalog[language]["active_offer"]


def test_every_key_is_used_by_the_widget(catalog):
    from django.contrib.staticfiles import finders

    source = open(finders.find("guichet/widget.js"), encoding="utf-8").read()
    code = source.split("/*GUICHET-STRINGS-END*/", 1)[1]
    dynamic = {"status_", "survey_rating_"}  # keys built from a prefix and a value
    unused = [key for key in catalog["en"]
              if f'"{key}"' not in code and not any(key.startswith(prefix) for prefix in dynamic)]
    assert unused == []


@pytest.mark.django_db
def test_catalog_is_served_as_json_for_translators():
    response = Client().get("/widget-strings.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["fr"]["launcher"] == "Clavarder avec nous"
