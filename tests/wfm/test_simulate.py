"""Day simulation through the real router: agrees with Erlang A on a pooled stationary day, and shows what
languages and shifts do; seeded; scenario files."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
import yaml

from guichet.wfm.erlang import WfmInputError
from guichet.wfm.forecast import Forecast, ForecastInterval
from guichet.wfm.simulate import (
    HandleTime,
    calls_from_forecast,
    load_scenario,
    scenario_from_mapping,
    simulate,
)


def _scenario_data(**overrides):
    data = {
        "name": "stationary",
        "seed": 11,
        "replications": 4,
        "interval_minutes": 30,
        "day_start": "08:00",
        "target_seconds": 20,
        "patience_seconds": 300,
        "handle_time": {"mean_seconds": 180, "distribution": "exponential"},
        "calls_per_interval": 100,
        "intervals": 16,
        "queues": [{"id": "general", "teams": ["general"]}],
        "contacts": [{"queue": "general", "language": "en"}],
        "agents": [
            {"group": "en", "count": 14, "teams": ["general"], "languages": ["en"], "shift": "07:00-18:00"}
        ],
    }
    data.update(overrides)
    return data


def test_pooled_stationary_day_agrees_with_erlang_a():
    report = simulate(scenario_from_mapping(_scenario_data()))
    assert report.erlang_a_service_level == pytest.approx(0.916792, abs=1e-6)  # the Erlang A vector
    assert report.service_level == pytest.approx(report.erlang_a_service_level, abs=0.03)
    assert report.abandon_rate == pytest.approx(0.013984, abs=0.01)
    assert report.asa_seconds == pytest.approx(report.intervals[5].erlang_a_asa_seconds, rel=0.35)
    assert sum(row.offered for row in report.intervals) == pytest.approx(1600, rel=0.05)


def test_understaffing_shows_in_the_simulation_as_in_erlang_a():
    report = simulate(
        scenario_from_mapping(
            _scenario_data(
                agents=[
                    {
                        "group": "en",
                        "count": 9,
                        "teams": ["general"],
                        "languages": ["en"],
                        "shift": "07:00-18:00",
                    }
                ]
            )
        )
    )
    assert report.erlang_a_service_level < 0.5
    assert report.service_level == pytest.approx(report.erlang_a_service_level, abs=0.06)
    assert report.abandon_rate > 0.05


def test_same_seed_same_report_and_another_seed_differs():
    scenario = scenario_from_mapping(_scenario_data(replications=1))
    assert simulate(scenario) == simulate(scenario)
    other = scenario_from_mapping(_scenario_data(replications=1, seed=12))
    assert simulate(other).intervals != simulate(scenario).intervals


def test_language_mismatch_is_routed_by_the_real_router():
    # French callers but only English-speaking agents: the router never assigns them, so they all abandon,
    # while Erlang A (one pool) sees plenty of agents.
    data = _scenario_data(
        contacts=[
            {"queue": "general", "language": "en", "share": 0.7},
            {"queue": "general", "language": "fr", "share": 0.3},
        ]
    )
    report = simulate(scenario_from_mapping(data))
    assert report.abandon_rate == pytest.approx(0.3, abs=0.04)
    assert report.service_level < 0.75 < report.erlang_a_service_level


def test_required_skill_levels_are_respected():
    data = _scenario_data(
        contacts=[{"queue": "general", "language": "en", "required_skills": {"tax": 2}}],
        agents=[
            {
                "group": "junior",
                "count": 20,
                "teams": ["general"],
                "languages": ["en"],
                "skills": {"tax": 1},
                "shift": "07:00-18:00",
            },
            {
                "group": "senior",
                "count": 14,
                "teams": ["general"],
                "languages": ["en"],
                "skills": {"tax": 2},
                "shift": "07:00-18:00",
            },
        ],
    )
    report = simulate(scenario_from_mapping(data))
    # Only the 14 seniors qualify: the result looks like 14 agents, not 34.
    assert report.service_level == pytest.approx(0.9168, abs=0.04)


def test_shift_end_leaves_later_intervals_unserved():
    data = _scenario_data(
        agents=[
            {
                "group": "morning",
                "count": 14,
                "teams": ["general"],
                "languages": ["en"],
                "shift": "08:00-12:00",
            }
        ]
    )
    report = simulate(scenario_from_mapping(data))
    morning, afternoon = report.intervals[:7], report.intervals[9:]
    assert all(row.servers_on_shift == 14 for row in morning)
    assert all(row.servers_on_shift == 0 and row.erlang_a_service_level is None for row in afternoon)
    assert all(row.answered == 0 and row.abandon_rate == 1.0 for row in afternoon)
    assert np.mean([row.service_level for row in morning]) > 0.85


def test_chat_concurrency_uses_agent_capacity():
    data = _scenario_data(
        contacts=[{"queue": "general", "channel": "chat", "language": "en"}],
        agents=[
            {
                "group": "chat",
                "count": 5,
                "teams": ["general"],
                "languages": ["en"],
                "capacity": {"chat": 3},
                "shift": "07:00-18:00",
            }
        ],
    )
    report = simulate(scenario_from_mapping(data))
    assert report.intervals[0].servers_on_shift == 15
    assert report.service_level == pytest.approx(report.erlang_a_service_level, abs=0.05)


def test_lognormal_handle_time_has_the_requested_mean_and_spread():
    sampler = HandleTime(mean_seconds=240, distribution="lognormal", cv=0.5)
    draws = sampler.sample(np.random.default_rng(5), 200_000)
    assert draws.mean() == pytest.approx(240, rel=0.01)
    assert draws.std() / draws.mean() == pytest.approx(0.5, rel=0.03)


def test_load_scenario_from_yaml_and_json(tmp_path):
    data = _scenario_data(calls_per_interval=[50, 80, 120], intervals=None, replications=2)
    yaml_path = tmp_path / "day.yaml"
    yaml_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    json_path = tmp_path / "day.json"
    json_path.write_text(json.dumps(data), encoding="utf-8")
    from_yaml, from_json = load_scenario(yaml_path), load_scenario(json_path)
    assert from_yaml == from_json
    assert from_yaml.calls_per_interval == (50.0, 80.0, 120.0)
    assert from_yaml.agent_groups[0].shift_start == -3600.0  # 07:00 is an hour before the 08:00 day start
    report = simulate(from_yaml)
    assert [row.start for row in report.intervals] == [time(8, 0), time(8, 30), time(9, 0)]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"patience_seconds": 0}, "patience_seconds"),
        ({"handle_time": {"mean_seconds": 180, "distribution": "gamma"}}, "handle_time.distribution"),
        ({"handle_time": {"mean_seconds": -3}}, "handle_time.mean_seconds"),
        ({"calls_per_interval": [10, -1]}, "calls_per_interval[1]"),
        ({"interval_minutes": 20}, "interval_minutes"),
        ({"contacts": [{"queue": "nowhere"}]}, "contacts[0].queue"),
        ({"contacts": [{"queue": "general", "channel": "fax"}]}, "contacts[0].channel"),
        ({"agents": [{"count": 3, "teams": ["general"], "shift": "morning"}]}, "agents[0].shift"),
        ({"agents": [{"count": -3, "teams": ["general"], "shift": "08:00-12:00"}]}, "agents[0].count"),
        ({"queues": []}, "queues"),
        ({"agents": [{"count": 3, "teams": ["general"], "shift": "16:00-08:00"}]}, "agents[0].shift"),
    ],
)
def test_bad_scenario_names_the_field(overrides, field):
    with pytest.raises(WfmInputError) as caught:
        scenario_from_mapping(_scenario_data(**overrides))
    assert caught.value.field == field


def test_unparseable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(WfmInputError) as caught:
        load_scenario(path)
    assert caught.value.field == "scenario"


def test_calls_from_forecast_selects_the_opening_hours_of_one_day():
    day = date(2026, 3, 2)
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    intervals = tuple(
        ForecastInterval(midnight + timedelta(minutes=30 * slot), float(slot), float(slot), float(slot))
        for slot in range(96)  # two days
    )
    forecast = Forecast(interval_minutes=30, intervals=intervals, coverage=0.8, history_days=60)
    assert calls_from_forecast(forecast, day, time(8, 0), time(10, 0)) == (16.0, 17.0, 18.0, 19.0)


# --------------------------------------------------------------------------------------------- simulate CLI


def _run_simulate(argv):
    import io

    from guichet.wfm.cli import simulate_command

    out, err = io.StringIO(), io.StringIO()
    return simulate_command(argv, stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_simulate_command_prints_interval_table_beside_erlang_a(tmp_path):
    path = tmp_path / "day.yaml"
    path.write_text(yaml.safe_dump(_scenario_data(intervals=3, replications=1)), encoding="utf-8")
    code, out, err = _run_simulate([str(path), "--replications", "2", "--seed", "5"])
    assert code == 0 and err == ""
    assert "2 replication(s), seed 5" in out
    assert "Erlang A SL" in out
    assert [line.split()[0] for line in out.splitlines() if line[:2] in ("08", "09")] == [
        "08:00",
        "08:30",
        "09:00",
    ]
    code, csv_out, _ = _run_simulate([str(path), "--format", "csv"])
    assert code == 0 and csv_out.splitlines()[0].startswith("Start,Offered,Answered")


def test_simulate_command_bad_input_exits_2(tmp_path):
    code, _, err = _run_simulate([str(tmp_path / "missing.yaml")])
    assert code == 2 and "scenario" in err
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_scenario_data(patience_seconds=-1)), encoding="utf-8")
    code, _, err = _run_simulate([str(path)])
    assert code == 2 and "patience_seconds" in err
    code, _, err = _run_simulate([str(path), "--replications", "0"])
    assert code == 2
