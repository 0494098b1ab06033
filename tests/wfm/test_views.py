"""Workforce pages through HTTP: calculator, forecast from the stored history, what-if with the simulator."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guichet.analytics.demo import load_demo_history
from tests.factories import make_agent, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db

CALCULATOR = {"calls_per_interval": "360", "interval_minutes": "30", "aht_seconds": "240", "target_seconds": "15",
              "service_level": "80", "model": "erlang-c", "shrinkage": "30", "concurrency": "1"}


def signed_in(role: str = "supervisor") -> Client:
    client = Client()
    client.force_login(make_agent(role=role).user)
    return client


def kpi(page: str, term: str) -> str:
    match = re.search(rf"<dt>{re.escape(term)}</dt><dd[^>]*>([^<]+)</dd>", page)
    assert match, f"{term!r} not on the page"
    return match.group(1).strip()


def field_error(page: str, field: str) -> str:
    """The error shown under a field, which the field itself points at for screen readers."""
    match = re.search(rf'id="id_{field}_error">([^<]+)<', page)
    assert match, f"no error shown for {field}"
    field_tag = re.search(rf'<(?:input|select)[^>]*\bname="{field}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field_tag
    assert f"id_{field}_error" in re.search(r'aria-describedby="([^"]+)"', field_tag).group(1)
    return match.group(1)


@pytest.fixture
def general_queue():
    return make_queue(make_team("general"), slug="general")


@pytest.fixture
def demo_history(general_queue):
    """Thirty days of phone history: enough for a forecast without the short-history warning."""
    make_inbox(general_queue, slug="demo-voice", channel="voice", bot_enabled=True)
    load_demo_history(days=30)
    return general_queue


# --- access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/wfm/", "/wfm/forecast/", "/wfm/scenario/"])
def test_workforce_pages_are_for_supervisors_and_admins(path):
    assert Client().get(path).status_code == 302
    assert signed_in("agent").get(path).status_code == 403
    assert signed_in("supervisor").get(path).status_code == 200
    assert signed_in("admin").get(path).status_code == 200


# --- staffing calculator -------------------------------------------------------------------------------------


def test_calculator_gives_agents_and_scheduled_staff():
    page = signed_in().get("/wfm/", CALCULATOR).content.decode()
    # docs/wfm.md reference case: 360 calls per 30 min, AHT 240 s, 80% in 15 s, 30% shrinkage.
    assert kpi(page, "Agents needed") == "55"
    assert kpi(page, "Staff to schedule (with shrinkage)") == "79"
    assert "Yes: the minimum" in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("calls_per_interval", "-5", "Contacts per interval must be greater than zero."),
    ("calls_per_interval", "0", "Contacts per interval must be greater than zero."),
    ("aht_seconds", "0", "The average handle time must be greater than zero."),
    ("service_level", "100", "The service level must be between 0 and 100%, not included."),
    ("service_level", "0", "The service level must be between 0 and 100%, not included."),
    ("shrinkage", "100", "Shrinkage must be from 0 to less than 100%."),
])
def test_calculator_names_the_field_in_error(field, value, message):
    response = signed_in().get("/wfm/", {**CALCULATOR, field: value})
    assert response.status_code == 400
    assert field_error(response.content.decode(), field) == message


def test_erlang_a_needs_a_positive_patience():
    client = signed_in()
    missing = client.get("/wfm/", {**CALCULATOR, "model": "erlang-a"})
    assert missing.status_code == 400
    assert field_error(missing.content.decode(), "patience_seconds") == \
        "Erlang A needs the average patience, in seconds."
    zero = client.get("/wfm/", {**CALCULATOR, "model": "erlang-a", "patience_seconds": "0"})
    assert field_error(zero.content.decode(), "patience_seconds") == "The average patience must be greater than zero."
    ok = client.get("/wfm/", {**CALCULATOR, "model": "erlang-a", "patience_seconds": "300"})
    assert ok.status_code == 200
    assert int(kpi(ok.content.decode(), "Agents needed")) <= 55  # abandonment relieves the queue


def test_calculator_speaks_the_supervisors_language():
    client = Client()
    client.force_login(make_agent(role="supervisor", ui_language="fr").user)
    response = client.get("/wfm/", {**CALCULATOR, "aht_seconds": "-1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Calculateur d’effectifs" in page
    assert field_error(page, "aht_seconds") == "La durée moyenne de traitement doit être supérieure à zéro."


def test_an_impossible_target_is_explained_on_the_service_level():
    response = signed_in().get("/wfm/", {**CALCULATOR, "calls_per_interval": "10000000"})
    assert response.status_code == 400
    assert "cannot be reached" in field_error(response.content.decode(), "service_level")


# --- forecast ------------------------------------------------------------------------------------------------


def test_forecast_from_stored_history_shows_accuracy(demo_history):
    response = signed_in().get("/wfm/forecast/", {"queue": "general", "channel": "voice", "interval_minutes": "30",
                                                  "days": "7"})
    page = response.content.decode()
    assert response.status_code == 200
    assert kpi(page, "Days of history used") == "30"
    assert re.match(r"\d+(\.\d)?%", kpi(page, "Backtest WAPE (next day)"))
    assert "Accuracy on past weeks, by days ahead" in page
    assert page.count('role="img"') == 1
    assert "this forecast is uncertain" not in page
    assert re.search(r'id="forecast-range">± [\d.]+%', page)


def test_short_history_forecast_says_it_is_uncertain():
    team = make_team("general")
    make_inbox(make_queue(team, slug="general"), slug="demo-web", bot_enabled=False)
    load_demo_history(days=6)
    page = signed_in().get("/wfm/forecast/", {"queue": "general", "channel": "web", "interval_minutes": "60",
                                              "days": "3"}).content.decode()
    assert "Only 6 days of history: this forecast is uncertain" in page
    short_range = float(re.search(r'id="forecast-range">± ([\d.]+)%', page).group(1))
    assert short_range > 30
    assert "Not enough history yet to measure accuracy" in page


def test_forecast_without_history_is_a_field_error():
    make_queue(make_team("empty"), slug="empty")
    response = signed_in().get("/wfm/forecast/", {"queue": "empty", "channel": "sms", "interval_minutes": "30",
                                                  "days": "7"})
    assert response.status_code == 400
    assert "There is no history for this queue and channel yet" in field_error(response.content.decode(), "queue")


# --- what-if ---------------------------------------------------------------------------------------------------


def scenario_query(**changes: str) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    return {"queue": "general", "channel": "voice", "interval_minutes": "30", "day": day.isoformat(),
            "volume_multiplier": "1", "bot_containment": "0", "target_seconds": "20", "service_level": "80",
            "model": "erlang-a", "patience_seconds": "300", "shrinkage": "30", "concurrency": "1",
            "staffing": "scenario", **changes}


def test_volume_x10_needs_more_agents_and_is_simulated_beside_erlang_a(demo_history):
    client = signed_in()
    usual = client.get("/wfm/scenario/", scenario_query()).content.decode()
    surge = client.get("/wfm/scenario/", scenario_query(volume_multiplier="10")).content.decode()

    assert int(kpi(surge, "Agents needed at the busiest interval")) > 2 * int(
        kpi(usual, "Agents needed at the busiest interval"))
    assert re.match(r"\d+(\.\d)?%", kpi(surge, "Simulated service level (day)"))
    assert re.match(r"\d+(\.\d)?%", kpi(surge, "Erlang A service level (day)"))
    assert "Simulated service level" in surge and 'id="scenario-table"' in surge
    assert surge.count('role="img"') == 2


def test_understaffed_surge_is_predicted_to_fail(demo_history):
    client = signed_in()
    staffed = client.get("/wfm/scenario/", scenario_query(volume_multiplier="10")).content.decode()
    as_usual = client.get("/wfm/scenario/", scenario_query(volume_multiplier="10",
                                                            staffing="baseline")).content.decode()
    level = lambda page: float(kpi(page, "Simulated service level (day)").rstrip("%"))  # noqa: E731
    assert level(as_usual) < level(staffed)
    assert "planned without the what-if" in as_usual


def test_bot_containment_reduces_the_agents_needed(demo_history):
    client = signed_in()
    surge = client.get("/wfm/scenario/", scenario_query(volume_multiplier="10")).content.decode()
    contained = client.get("/wfm/scenario/", scenario_query(volume_multiplier="10",
                                                            bot_containment="40")).content.decode()
    assert int(kpi(contained, "Agents needed at the busiest interval")) < int(
        kpi(surge, "Agents needed at the busiest interval"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("volume_multiplier", "-1", "The volume multiplier cannot be negative."),
    ("bot_containment", "100", "Bot containment must be from 0 to 99%."),
    ("day", "2001-01-01", "Choose a day from today to 28 days ahead."),
    ("patience_seconds", "0", "The average patience must be greater than zero."),
])
def test_scenario_errors_name_the_field(general_queue, field, value, message):
    response = signed_in().get("/wfm/scenario/", scenario_query(**{field: value}))
    assert response.status_code == 400
    assert field_error(response.content.decode(), field) == message
