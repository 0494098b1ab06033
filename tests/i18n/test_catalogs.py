"""Official languages: every string a person reads is in the catalogs, and every French message is translated.

Fails when
- a translatable string of src/guichet is missing from the project catalog (fresh `makemessages` in a
  temporary copy, compared with src/guichet/locale/<lang>/LC_MESSAGES/django.po),
- any French message of any catalog (project or app) is untranslated or fuzzy, or keeps other placeholders,
- a compiled .mo file is not the compilation of its .po,
- the widget's own EN/FR catalog (in widget.js) is not complete in both languages.
Fix with `python -m tests.i18n.catalogs update`, translate what it lists, and commit the .po and .mo files.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from guichet.web.views import widget_catalog
from tests.i18n.catalogs import SOURCE_DIR, app_catalogs, catalog_path, extract, read_po

PYTHON_FORMAT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdfrixXeEgGc%]")
BRACE_FORMAT = re.compile(r"\{[a-z_]+\}")
UPDATE_HINT = "run `python -m tests.i18n.catalogs update`, translate what it lists, commit the .po and .mo"


def all_french_catalogs() -> list[Path]:
    return [catalog_path("fr"), *app_catalogs("fr")]


@pytest.fixture(scope="module")
def fresh_keys(tmp_path_factory) -> set[tuple[str | None, str]]:
    return {entry.key for entry in extract(tmp_path_factory.mktemp("makemessages")) if entry.msgid}


def test_the_source_has_translatable_strings_and_the_extraction_finds_them(fresh_keys):
    assert len(fresh_keys) > 500
    assert (None, "Skip to main content") in fresh_keys  # a template string
    assert (None, "A message must be text.") in fresh_keys  # a Python string


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_translatable_string_of_the_source_is_in_the_catalog(fresh_keys, language):
    catalog = {entry.key for entry in read_po(catalog_path(language)) if entry.msgid and not entry.obsolete}
    missing = sorted(fresh_keys - catalog, key=str)
    assert missing == [], f"{len(missing)} strings missing from the {language} catalog ({UPDATE_HINT}): {missing[:20]}"


@pytest.mark.parametrize("path", all_french_catalogs(), ids=lambda path: str(path.relative_to(SOURCE_DIR)))
def test_every_french_message_is_translated_and_not_fuzzy(path):
    entries = [entry for entry in read_po(path) if entry.msgid and not entry.obsolete]
    untranslated = [entry.msgid for entry in entries if not all(entry.msgstr)]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated in {path} ({UPDATE_HINT}): {untranslated[:20]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {path}: {fuzzy[:20]}"


@pytest.mark.parametrize("path", all_french_catalogs(), ids=lambda path: str(path.relative_to(SOURCE_DIR)))
def test_french_messages_keep_the_same_placeholders(path):
    wrong = []
    for entry in read_po(path):
        if not entry.msgid or entry.obsolete:
            continue
        # Plural forms: msgstr[0] follows the singular msgid (which may leave the count out), the rest the plural.
        sources = [entry.msgid] if entry.msgid_plural is None else \
            [entry.msgid] + [entry.msgid_plural] * (len(entry.msgstr) - 1)
        for source, translation in zip(sources, entry.msgstr, strict=False):
            expected = set(PYTHON_FORMAT.findall(source)) if "python-format" in entry.flags else set()
            if expected and set(PYTHON_FORMAT.findall(translation)) - {"%%"} != expected - {"%%"}:
                wrong.append((entry.msgid, translation))
    assert wrong == []


def test_the_french_catalog_is_really_french():
    entries = [entry for entry in read_po(catalog_path("fr")) if entry.msgid and not entry.obsolete]
    identical = [entry.msgid for entry in entries if entry.msgstr[0] == entry.msgid]
    # Some words are the same in both languages (Actions, Conversation, Messages, Note...), not many.
    assert len(identical) < len(entries) * 0.05, identical


@pytest.mark.parametrize("path", [*all_french_catalogs(), catalog_path("en")],
                         ids=lambda path: str(path.relative_to(SOURCE_DIR)))
def test_compiled_catalogs_match_their_sources(path, tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(path)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    mo_file = path.with_suffix(".mo")
    assert mo_file.exists(), f"{mo_file} is missing ({UPDATE_HINT})"
    assert mo_file.read_bytes() == compiled.read_bytes(), f"{mo_file} is stale ({UPDATE_HINT})"


def test_the_widget_catalog_has_the_same_messages_in_both_languages():
    catalog = widget_catalog()
    english, french = catalog["en"], catalog["fr"]
    assert set(english) == set(french)
    assert [key for key, text in french.items() if not text.strip()] == []
    assert [key for key in english if set(BRACE_FORMAT.findall(english[key])) !=
            set(BRACE_FORMAT.findall(french[key]))] == []
    assert sum(english[key] != french[key] for key in english) > len(english) * 0.9
