"""Forecasting: recovers a known seasonal pattern, handles holidays and short history, backtests, scenarios."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from guichet.wfm.erlang import StaffingTarget, WfmInputError, Workload, required_agents, scheduled_staff
from guichet.wfm.forecast import (
    Scenario,
    apply_scenario,
    backtest,
    fit_model,
    forecast_volume,
    staffing_plan,
)

INTERVAL = 30
SLOTS = 48
WEEKDAY_LEVEL = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.5, 0.2])  # Monday busiest, Sunday quiet
START = date(2026, 1, 5)  # a Monday


def _office_hours_profile() -> np.ndarray:
    slots = np.arange(SLOTS)
    shape = np.where((slots >= 16) & (slots < 36), 1.0 + np.sin((slots - 16) / 20 * np.pi), 0.02)
    return shape / shape.sum()


PROFILE = _office_hours_profile()


def _true_mean(day: date, daily_volume: float = 2000.0, growth_per_day: float = 0.0) -> np.ndarray:
    offset = (day - START).days
    return (
        (daily_volume + growth_per_day * offset)
        * WEEKDAY_LEVEL[day.weekday()]
        / WEEKDAY_LEVEL.mean()
        * PROFILE
    )


def _history(days: int, *, seed: int = 7, holidays: dict[date, float] | None = None, growth: float = 0.0):
    rng = np.random.default_rng(seed)
    rows = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        mean = _true_mean(day, growth_per_day=growth) * (holidays or {}).get(day, 1.0)
        for slot, count in enumerate(rng.poisson(mean)):
            rows.append(
                (datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=INTERVAL * slot), int(count))
            )
    return rows


def test_forecast_recovers_weekday_and_intraday_pattern():
    history = _history(8 * 7)
    forecast = forecast_volume(history, interval_minutes=INTERVAL, days=7)
    assert forecast.warning is None
    assert len(forecast.intervals) == 7 * SLOTS
    assert forecast.intervals[0].start == datetime(2026, 3, 2, tzinfo=UTC)  # the Monday after the history
    for offset in range(7):
        day = forecast.intervals[0].start.date() + timedelta(days=offset)
        predicted = np.array([i.expected for i in forecast.intervals[offset * SLOTS : (offset + 1) * SLOTS]])
        truth = _true_mean(day)
        assert predicted.sum() == pytest.approx(truth.sum(), rel=0.05)
        assert np.abs(predicted - truth).sum() / truth.sum() < 0.12  # interval-level WAPE vs the true mean


def test_prediction_interval_brackets_the_expected_value_and_covers_outcomes():
    history = _history(8 * 7)
    forecast = forecast_volume(history, interval_minutes=INTERVAL, days=7, coverage=0.8)
    assert all(i.lower <= i.expected <= i.upper for i in forecast.intervals)
    rng = np.random.default_rng(99)
    outcomes = rng.poisson([i.expected for i in forecast.intervals])
    busy = np.array([i.expected > 5 for i in forecast.intervals])
    inside = np.array([i.lower <= o <= i.upper for i, o in zip(forecast.intervals, outcomes, strict=True)])
    assert inside[busy].mean() > 0.75


def test_trend_is_followed_but_damped():
    history = _history(8 * 7, growth=10.0)  # +10 contacts per day per day
    model = fit_model(history, interval_minutes=INTERVAL)
    assert model.slope == pytest.approx(10.0, rel=0.35)
    first_week = model.trend_on(model.last_history_date + timedelta(days=7)) - model.level
    assert 0 < first_week < 7 * model.slope


def test_holidays_are_forecast_with_their_own_factor():
    past_holiday = START + timedelta(days=14)  # a Monday with a tenth of the usual volume
    history = _history(8 * 7, holidays={past_holiday: 0.1})
    future_holiday = date(2026, 3, 2)  # Monday again
    forecast = forecast_volume(
        history, interval_minutes=INTERVAL, days=2, holidays=[past_holiday, future_holiday]
    )
    holiday_total = sum(i.expected for i in forecast.intervals[:SLOTS])
    tuesday_total = sum(i.expected for i in forecast.intervals[SLOTS:])
    assert holiday_total == pytest.approx(0.1 * _true_mean(future_holiday).sum(), rel=0.2)
    assert tuesday_total == pytest.approx(_true_mean(date(2026, 3, 3)).sum(), rel=0.06)


def test_holiday_left_out_of_the_fit_does_not_drag_mondays_down():
    past_holiday = START + timedelta(days=14)
    history = _history(8 * 7, holidays={past_holiday: 0.0})
    with_calendar = fit_model(history, interval_minutes=INTERVAL, holidays=[past_holiday])
    without_calendar = fit_model(history, interval_minutes=INTERVAL)
    assert with_calendar.holiday_factor == pytest.approx(0.0, abs=0.01)
    assert with_calendar.weekday_factors[0] > without_calendar.weekday_factors[0]


def test_explicit_holiday_factor_when_none_in_history():
    history = _history(4 * 7)
    closed = date(2026, 2, 2)
    forecast = forecast_volume(
        history, interval_minutes=INTERVAL, days=1, holidays=[closed], holiday_factor=0.0
    )
    assert forecast.total() == 0.0


def test_short_history_gives_wider_intervals_and_a_warning():
    long_forecast = forecast_volume(
        _history(8 * 7), interval_minutes=INTERVAL, days=1, start=date(2026, 3, 2)
    )
    short_forecast = forecast_volume(_history(5), interval_minutes=INTERVAL, days=1, start=date(2026, 3, 2))
    assert short_forecast.warning is not None and "5 day" in short_forecast.warning
    assert long_forecast.warning is None

    def relative_width(forecast):
        return sum(i.upper - i.lower for i in forecast.intervals) / forecast.total()

    assert relative_width(short_forecast) > 1.5 * relative_width(long_forecast)
    assert short_forecast.total() > 0


def test_single_record_history_still_forecasts():
    forecast = forecast_volume([(datetime(2026, 1, 5, 9, 0), 12)], interval_minutes=60, days=1)
    assert forecast.warning is not None
    assert forecast.total() == pytest.approx(12.0)
    assert forecast.intervals[9].expected == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"history": [], "interval_minutes": 30, "days": 1}, "history"),
        ({"history": [(datetime(2026, 1, 5, 9), -1)], "interval_minutes": 30, "days": 1}, "history"),
        ({"history": [(datetime(2026, 1, 5, 9), 3)], "interval_minutes": 20, "days": 1}, "interval_minutes"),
        ({"history": [(datetime(2026, 1, 5, 9), 3)], "interval_minutes": 30, "days": 0}, "days"),
    ],
)
def test_bad_forecast_input_names_the_field(kwargs, field):
    with pytest.raises(WfmInputError) as caught:
        forecast_volume(**kwargs)
    assert caught.value.field == field


def test_backtest_reports_mape_and_wape_per_horizon():
    history = _history(10 * 7)
    report = backtest(history, interval_minutes=INTERVAL, horizon_days=7, origins=3)
    assert len(report.origins) == 3
    assert [h.horizon_day for h in report.horizons] == list(range(1, 8))
    actual_by_day: dict[date, np.ndarray] = {}
    for stamp, count in history:
        actual_by_day.setdefault(stamp.date(), np.zeros(SLOTS))[stamp.hour * 2 + stamp.minute // 30] += count
    for horizon in report.horizons:
        days = [origin + timedelta(days=horizon.horizon_day - 1) for origin in report.origins]
        actual = np.concatenate([actual_by_day[day] for day in days])
        truth = np.concatenate([_true_mean(day) for day in days])
        noise_floor = np.abs(actual - truth).sum() / actual.sum()  # WAPE of a perfect mean forecast
        assert horizon.intervals == 3 * SLOTS
        assert noise_floor * 0.8 < horizon.wape < noise_floor * 1.25 + 0.01
        assert horizon.mape is not None and horizon.mape > 0


def test_backtest_detects_a_bad_fit():
    # Volume jumps x3 after five weeks: the backtest must show large errors right after the break.
    history = _history(6 * 7)
    jumped = [
        (stamp, count * 3 if stamp.date() >= START + timedelta(days=35) else count)
        for stamp, count in history
    ]
    report = backtest(jumped, interval_minutes=INTERVAL, horizon_days=7, origins=1)
    assert report.horizons[0].wape > 0.5


def test_backtest_needs_enough_history():
    with pytest.raises(WfmInputError) as caught:
        backtest(_history(10), interval_minutes=INTERVAL, horizon_days=7)
    assert caught.value.field == "history"


def test_scenario_volume_multiplier_from_a_date_and_bot_containment():
    forecast = forecast_volume(_history(4 * 7), interval_minutes=INTERVAL, days=14)
    surge_monday = date(2026, 2, 9)
    surge = apply_scenario(forecast, Scenario(volume_multiplier=10, from_date=surge_monday))
    bot = apply_scenario(forecast, Scenario(bot_containment=0.4))
    for before, after, with_bot in zip(forecast.intervals, surge.intervals, bot.intervals, strict=True):
        expected_factor = 10 if before.start.date() >= surge_monday else 1
        assert after.expected == pytest.approx(before.expected * expected_factor)
        assert with_bot.expected == pytest.approx(before.expected * 0.6)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"bot_containment": 1.0}, "bot_containment"), ({"volume_multiplier": -2}, "volume_multiplier")],
)
def test_bad_scenario_names_the_field(kwargs, field):
    with pytest.raises(WfmInputError) as caught:
        Scenario(**kwargs)
    assert caught.value.field == field


def test_staffing_plan_uses_erlang_per_interval():
    forecast = forecast_volume(_history(4 * 7), interval_minutes=INTERVAL, days=1)
    target = StaffingTarget(0.8, 20)
    plan = staffing_plan(forecast, aht_seconds=240, target=target, shrinkage=0.3)
    assert len(plan) == SLOTS
    busiest = max(plan, key=lambda row: row.expected_contacts)
    direct = required_agents(Workload(busiest.expected_contacts, 1800, 240), target)
    assert busiest.agents == direct.agents
    assert busiest.scheduled_staff == scheduled_staff(direct.agents, 0.3)
    surge = staffing_plan(
        apply_scenario(forecast, Scenario(volume_multiplier=10)), aht_seconds=240, target=target
    )
    surge_busiest = max(surge, key=lambda row: row.expected_contacts)
    assert surge_busiest.agents > 5 * busiest.agents  # economies of scale: less than 10x
    assert surge_busiest.agents < 10 * busiest.agents


def test_staffing_plan_with_erlang_a_and_chat_concurrency():
    forecast = forecast_volume(_history(4 * 7), interval_minutes=INTERVAL, days=1)
    target = StaffingTarget(0.8, 60)
    calls = staffing_plan(forecast, aht_seconds=600, target=target, patience_seconds=300, model="erlang-a")
    chats = staffing_plan(
        forecast, aht_seconds=600, target=target, patience_seconds=300, model="erlang-a", concurrency=3
    )
    peak = max(range(SLOTS), key=lambda i: calls[i].expected_contacts)
    assert chats[peak].agents < calls[peak].agents
    assert all(row.service_level >= 0.8 for row in calls if row.service_level is not None)


@pytest.mark.parametrize("minutes", [15, 60])
def test_other_interval_lengths_keep_daily_totals(minutes):
    fine = _history(4 * 7)  # 30-minute counts, re-bucketed below
    bucketed: dict[datetime, int] = {}
    for stamp, count in fine:
        key = stamp.replace(minute=stamp.minute // minutes * minutes)
        bucketed[key] = bucketed.get(key, 0) + count
    forecast = forecast_volume(list(bucketed.items()), interval_minutes=minutes, days=1)
    assert len(forecast.intervals) == 24 * 60 // minutes
    assert forecast.intervals[1].start - forecast.intervals[0].start == timedelta(minutes=minutes)
    assert forecast.total() == pytest.approx(_true_mean(forecast.intervals[0].start.date()).sum(), rel=0.06)
