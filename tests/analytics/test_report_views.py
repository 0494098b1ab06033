"""Report pages and CSV export as supervisors, agents and strangers see them, in English and French."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client

from guichet.agents.models import AgentProfile
from tests.analytics.helpers import build_day
from tests.factories import make_agent

pytestmark = pytest.mark.django_db

DAY_QUERY = {"start": "2026-03-02", "end": "2026-03-02"}


def signed_in(role: str = "supervisor", ui_language: str = "en") -> Client:
    agent = make_agent(role=role, ui_language=ui_language)
    client = Client()
    client.force_login(agent.user)
    return client


def test_reports_need_a_sign_in():
    response = Client().get("/reports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_agents_cannot_read_reports_or_export_them():
    client = signed_in("agent")
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/export.csv").status_code == 403


@pytest.mark.parametrize("role", [AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN])
def test_supervisors_and_admins_read_the_day_with_charts_and_tables(clock, role):
    build_day(clock)
    page = signed_in(role).get("/reports/", DAY_QUERY).content.decode()

    assert page.count('role="img"') == 3
    assert "<title" in page and "<desc" in page
    assert 'id="data-table"' in page
    assert "40.0%" in page  # service level: 2 of 5 offered answered within target
    assert "Queue general" in page  # breakdown per queue and channel


def test_csv_export_has_one_row_per_interval_and_a_total(clock):
    build_day(clock)
    response = signed_in().get("/reports/export.csv", {**DAY_QUERY, "grouping": "60"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))

    assert len(rows) == 24 + 1
    nine = next(row for row in rows if row["Period"] == "2026-03-02 09:00")
    assert (nine["Conversations"], nine["Offered"], nine["Handled"], nine["Abandoned"]) == ("5", "4", "3", "1")
    assert nine["Service level (%)"] == "50.0"  # A and E within target out of A, B, C, E
    total = rows[-1]
    assert total["Period"] == "Total"
    assert (total["Average speed of answer (s)"], total["Average handle time (s)"]) == ("63.3", "350.0")
    assert total["Bot containment (%)"] == "50.0"
    assert total["First-contact resolution (%)"] == "83.3"


def test_bad_periods_are_refused_with_a_message_naming_the_field():
    client = signed_in()
    backwards = client.get("/reports/", {"start": "2026-03-05", "end": "2026-03-01"})
    assert backwards.status_code == 400
    assert "The end date must be on or after the start date." in backwards.content.decode()
    assert 'aria-invalid="true" aria-describedby="id_end_error"' in backwards.content.decode()
    assert 'id="id_end_error"' in backwards.content.decode()
    too_long = client.get("/reports/", {"start": "2026-01-01", "end": "2026-03-01", "grouping": "15"})
    assert too_long.status_code == 400
    assert "Interval reports cover at most 31 days" in too_long.content.decode()
    csv_error = client.get("/reports/export.csv", {"start": "yesterday"})
    assert csv_error.status_code == 400
    assert "From" in csv_error.content.decode()


def test_an_empty_period_says_there_is_nothing_yet():
    page = signed_in().get("/reports/", {"start": "2026-01-01", "end": "2026-01-07"}).content.decode()
    assert "No resolved conversations in this period." in page


def test_reports_follow_the_supervisors_french_interface(clock):
    build_day(clock)
    client = signed_in(ui_language="fr")
    page = client.get("/reports/", DAY_QUERY).content.decode()
    assert '<html lang="fr">' in page
    assert "<h1>Rapports</h1>" in page
    assert "Contacts présentés, traités et abandonnés" in page  # chart title
    assert "40,0 %" in page  # French number format
    assert "File general" in page  # the queue's French name
    invalid = client.get("/reports/", {"start": "hier", "end": "2026-03-02"}).content.decode()
    assert "Saisissez une date valide." in invalid  # Django's own French catalogue
    export = client.get("/reports/export.csv", DAY_QUERY).content.decode()
    assert export.startswith("Période,Conversations,Présentés,Traités,Abandons")


def export(client: Client, table: str) -> list[list[str]]:
    response = client.get("/reports/export.csv", {**DAY_QUERY, "table": table})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_queue_and_channel_table_exports_as_csv(clock):
    build_day(clock)
    breakdown = export(signed_in(), "breakdown")
    assert breakdown[0][:6] == ["Queue", "Channel", "Conversations", "Offered", "Handled", "Abandoned"]
    assert breakdown[1:] == [["Queue general", "web", "6", "5", "3", "2", "40.0", "40.0", "63.3", "350.0", "96.7",
                              "290.0", "2", "1", "50.0", "1", "50.0", "0", "", "1", "83.3"]]


def test_the_unanswered_questions_export_as_csv(clock):
    bot_models = pytest.importorskip("guichet.bot.models")
    from guichet.analytics.rollup import rollup

    day = build_day(clock)
    bot_models.BotTurn.objects.create(conversation=day["conversations"]["E"], question="Passeport?",
                                      question_key="passeport", language="fr", outcome="handed_off")
    rollup(date(2026, 3, 2))
    assert export(signed_in(), "questions") == [["Question", "Language", "Times"], ["Passeport?", "fr", "1"]]


def test_an_unknown_table_is_refused():
    response = signed_in().get("/reports/export.csv", {**DAY_QUERY, "table": "everything"})
    assert response.status_code == 400
    assert "Unknown table" in response.content.decode()
