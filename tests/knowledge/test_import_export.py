"""`kb import/export` through the management command, like an operator runs it."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from guichet.knowledge.demo import load_demo_knowledge
from guichet.knowledge.models import Article, ArticleRevision

pytestmark = pytest.mark.django_db

HEADER = ("id,status,audience,tags,en_title,en_phrasings,en_answer,en_source_url,"
          "fr_title,fr_phrasings,fr_answer,fr_source_url\n")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("kb", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_export_then_import_into_an_empty_base_round_trips(tmp_path, extension):
    load_demo_knowledge()
    Article.objects.filter(key="office-hours").update(valid_until="2031-01-01T00:00:00Z")
    first = tmp_path / f"first.{extension}"
    run("export", str(first))
    Article.objects.all().delete()

    out, _err = run("import", str(first))
    assert "12 created" in out
    second = tmp_path / f"second.{extension}"
    run("export", str(second))
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
    winter = Article.objects.get(key="winter-heating-rebate")
    assert winter.languages == ["en"]
    assert Article.objects.get(key="office-hours").valid_until.year == 2031

    out, _err = run("import", str(first))
    assert "0 created, 0 updated, 12 unchanged" in out
    assert ArticleRevision.objects.filter(article=winter).count() == 1


def test_csv_bad_rows_are_reported_by_line_and_nothing_is_written(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(
        HEADER
        + 'ok-1,published,public,a | b,Title,"one | two","multi\nline answer",https://x.ca,,,,\n'
        + "bad id,published,public,,Title,,,,,,,\n"
        + "ok-2,sometimes,public,,Title,,,ftp://nope,,,,\n"
        + "empty,published,public,,,,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as exit_info:
        run("import", str(path))
    assert exit_info.value.code == 2
    assert Article.objects.count() == 0


def test_bad_row_report_names_line_field_and_reason(tmp_path, capsys):
    path = tmp_path / "kb.csv"
    path.write_text(HEADER + 'ok,published,public,,T,,"a\nb",,,,,\n' + "ok,draft,public,,T,,,,,,,\n"
                    + "x2,published,nobody,,T,,,,,,,\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("kb", "import", str(path), stdout=StringIO(), stderr=err)
    report = err.getvalue()
    assert "2 problem(s); nothing was imported" in report
    # The first data row spans lines 2-3, so the duplicate starts on line 4.
    assert "line 4: id: duplicate of line 2" in report
    assert "line 5: audience: must be one of public, internal" in report
    assert Article.objects.count() == 0


def test_json_bad_items_are_reported_by_index(tmp_path):
    path = tmp_path / "kb.json"
    path.write_text(json.dumps([
        {"id": "fine", "en": {"title": "Fine", "phrasings": [], "answer": "", "source_url": ""}, "fr": None},
        {"id": "no-version", "en": None, "fr": None},
        {"id": "bad-url", "fr": {"title": "T", "phrasings": "not a list", "source_url": "javascript:alert(1)"}},
    ]), encoding="utf-8")
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("kb", "import", str(path), stdout=StringIO(), stderr=err)
    report = err.getvalue()
    assert "item 1: en/fr: an article needs an English or a French version" in report
    assert "item 2: fr.phrasings: must be a list of texts" in report
    assert "item 2: fr.source_url: must be an http:// or https:// address" in report
    assert Article.objects.count() == 0


def test_wrong_columns_and_wrong_encoding_get_clear_messages(tmp_path):
    columns = tmp_path / "kb.csv"
    columns.write_text("identifier,question\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing columns: id, en_title.*unknown columns: identifier, question"):
        run("import", str(columns))
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "x,published,public,,Où est mon chèque,,,,,,,\n").encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8 text"):
        run("import", str(latin))
    garbage = tmp_path / "kb.json"
    garbage.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("import", str(garbage))
    assert Article.objects.count() == 0


def test_progress_bar_only_when_asked(tmp_path, capsys):
    load_demo_knowledge()
    path = tmp_path / "kb.json"
    run("export", str(path))
    Article.objects.all().delete()
    call_command("kb", "import", str(path), "--progress", stdout=StringIO(), stderr=StringIO())
    assert "importing [" in capsys.readouterr().err


def test_dataset_loaders(tmp_path):
    out, _ = run("load-banking77")
    assert "77 created" in out
    card = Article.objects.get(key="card_arrival")
    assert card.en_title == "card arrival" and len(card.en_phrasings) == 10 and card.fr_title == ""
    out, _ = run("load-covid-faq")
    assert "created" in out
    faq = Article.objects.get(key="faq-000")
    assert faq.en_title == "" and faq.fr_source_url.startswith("https://")
    with pytest.raises(CommandError, match="data set not found"):
        run("load-banking77", "--path", str(tmp_path / "missing.csv"))


def test_covid_faq_loads_with_editors_phrasings_and_reports_a_bad_file(tmp_path):
    phrasings = Path(__file__).resolve().parents[1] / "bot" / "fixtures" / "fr_covid_editor_phrasings.csv"
    out, _ = run("load-covid-faq", "--phrasings", str(phrasings))
    assert "458 created" in out
    assert len(Article.objects.get(key="faq-000").fr_phrasings) == 3
    stale = tmp_path / "stale.csv"
    stale.write_text("article_id,phrasing\nfaq-999,une question sans article\n", encoding="utf-8")
    with pytest.raises(CommandError, match="faq-999"):
        run("load-covid-faq", "--phrasings", str(stale))
    assert len(Article.objects.get(key="faq-000").fr_phrasings) == 3  # nothing imported from the bad file


def test_demo_knowledge_is_idempotent():
    assert load_demo_knowledge() == 12
    assert load_demo_knowledge() == 0
    assert Article.objects.count() == 12
    one_language = [a.key for a in Article.objects.all() if len(a.languages) == 1]
    assert sorted(one_language) == ["quebec-parental-insurance", "winter-heating-rebate"]
