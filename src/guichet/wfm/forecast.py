"""Contact volume forecasting per interval, backtesting, and what-if staffing scenarios. Pure Python + numpy.

Model (multiplicative, in the spirit of the classic call-centre "day-of-week x time-of-day" method; see Gans,
Koole & Mandelbaum 2003, section 3, and Ibrahim et al., "Modeling and forecasting call center arrivals: a
literature survey", IJF 2016)::

    expected(day, slot) = trend(day) x weekday_factor[weekday(day)] x profile[weekday(day), slot]

* ``trend`` is a least-squares line through the last ``trend_window_days`` de-seasonalised daily totals; the
  slope is damped when extrapolated (``TREND_DAMPING`` per day) and ignored with less than four weeks of history,
  where a trend cannot be told apart from noise.
* ``weekday_factor`` is the mean ratio of a weekday's total to the trend (7 factors averaging 1).
* ``profile`` is the share of a weekday's volume falling in each interval of the day, shrunk toward the
  all-days profile when a weekday has few observations.
* Holidays are explicit dates: they are left out of the fit, and forecast with their own factor (estimated from
  holidays present in the history, or given, or else the quietest weekday's) and their own intraday profile.

Timestamps are read on their own wall clock: pass them in the service's local time (aware or naive). Days with
no record at all are treated as missing (not as zero-volume days); inside a recorded day, a missing interval
counts as zero contacts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from statistics import NormalDist

import numpy as np

from guichet.wfm.erlang import (
    ErlangModel,
    StaffingTarget,
    WfmInputError,
    Workload,
    required_agents,
    scheduled_staff,
)

__all__ = [
    "Backtest",
    "Forecast",
    "ForecastInterval",
    "HorizonAccuracy",
    "IntervalStaffing",
    "Scenario",
    "SeasonalModel",
    "apply_scenario",
    "backtest",
    "fit_model",
    "forecast_volume",
    "predict",
    "staffing_plan",
]

ALLOWED_INTERVAL_MINUTES = (15, 30, 60)
TREND_DAMPING = 0.97  # per day: a trend seen over a few weeks should not be extrapolated at full strength
MIN_DAYS_FOR_TREND = 28
FULL_CONFIDENCE_DAYS = 28  # below this, prediction intervals are widened
DEFAULT_DAILY_LOG_SIGMA = 0.25  # when there are too few days to measure the day-to-day noise
PROFILE_SHRINK_DAYS = 1.0  # pseudo-days of the all-days profile mixed into each weekday profile


@dataclass(frozen=True)
class ForecastInterval:
    start: datetime
    expected: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Forecast:
    interval_minutes: int
    intervals: tuple[ForecastInterval, ...]
    coverage: float
    history_days: int
    warning: str | None = None

    def total(self) -> float:
        return float(sum(interval.expected for interval in self.intervals))


@dataclass(frozen=True)
class SeasonalModel:
    interval_minutes: int
    last_history_date: date
    level: float  # trend value on the last history date
    slope: float  # contacts per day per day, before damping
    weekday_factors: np.ndarray  # shape (7,), Monday = 0
    weekday_profiles: np.ndarray  # shape (7, slots), rows sum to 1
    holiday_factor: float
    holiday_profile: np.ndarray
    daily_log_sigma: float
    history_days: int
    timezone: tzinfo | None

    @property
    def slots_per_day(self) -> int:
        return 24 * 60 // self.interval_minutes

    def trend_on(self, day: date) -> float:
        horizon = (day - self.last_history_date).days
        if horizon <= 0:
            return max(0.0, self.level + self.slope * horizon)
        damped_steps = TREND_DAMPING * (1 - TREND_DAMPING**horizon) / (1 - TREND_DAMPING)
        return max(0.0, self.level + self.slope * damped_steps)

    def expected_day(self, day: date, holidays: frozenset[date] = frozenset()) -> np.ndarray:
        """Expected contacts in each interval of ``day``."""
        weekday = day.weekday()
        total = self.trend_on(day) * self.weekday_factors[weekday]
        if day in holidays:
            return total * self.holiday_factor * self.holiday_profile
        return total * self.weekday_profiles[weekday]


@dataclass(frozen=True)
class _History:
    """Counts per (observed day, slot)."""

    days: list[date]
    counts: np.ndarray  # shape (len(days), slots)
    timezone: tzinfo | None


# ------------------------------------------------------------------------------------------------ history


def _check_interval_minutes(interval_minutes: int) -> None:
    if interval_minutes not in ALLOWED_INTERVAL_MINUTES:
        raise WfmInputError(
            "interval_minutes", f"must be one of {ALLOWED_INTERVAL_MINUTES}, got {interval_minutes!r}"
        )


def _collect_history(history: Iterable[tuple[datetime, float]], interval_minutes: int) -> _History:
    _check_interval_minutes(interval_minutes)
    slots = 24 * 60 // interval_minutes
    per_day: dict[date, np.ndarray] = {}
    timezone: tzinfo | None = None
    for stamp, count in history:
        if not isinstance(stamp, datetime):
            raise WfmInputError("history", f"timestamps must be datetimes, got {stamp!r}")
        if (
            isinstance(count, bool)
            or not isinstance(count, int | float)
            or not math.isfinite(count)
            or count < 0
        ):
            raise WfmInputError("history", f"counts must be finite numbers >= 0, got {count!r} at {stamp}")
        timezone = stamp.tzinfo or timezone
        row = per_day.setdefault(stamp.date(), np.zeros(slots))
        row[(stamp.hour * 60 + stamp.minute) // interval_minutes] += count
    if not per_day:
        raise WfmInputError("history", "is empty: at least one day of interval counts is needed to forecast")
    days = sorted(per_day)
    return _History(days=days, counts=np.array([per_day[day] for day in days]), timezone=timezone)


# ---------------------------------------------------------------------------------------------------- fit


def fit_model(
    history: Iterable[tuple[datetime, float]],
    *,
    interval_minutes: int,
    holidays: Iterable[date] = (),
    holiday_factor: float | None = None,
    trend_window_days: int = 56,
) -> SeasonalModel:
    """Fit the seasonal model to (timestamp, count) pairs."""
    return _fit(
        _collect_history(history, interval_minutes),
        interval_minutes,
        frozenset(holidays),
        holiday_factor,
        trend_window_days,
    )


def _fit(
    data: _History,
    interval_minutes: int,
    holidays: frozenset[date],
    holiday_factor: float | None,
    trend_window_days: int,
) -> SeasonalModel:
    if holiday_factor is not None and (not math.isfinite(holiday_factor) or holiday_factor < 0):
        raise WfmInputError("holiday_factor", f"must be a number >= 0, got {holiday_factor!r}")
    regular = [i for i, day in enumerate(data.days) if day not in holidays]
    if not regular:  # only holidays observed: fit on them anyway rather than fail
        regular = list(range(len(data.days)))
    days = [data.days[i] for i in regular]
    totals = data.counts[regular].sum(axis=1)
    weekdays = np.array([day.weekday() for day in days])
    offsets = np.array([(day - data.days[-1]).days for day in days], dtype=float)
    history_days = (data.days[-1] - data.days[0]).days + 1

    factors = np.ones(7)
    level, slope = float(totals.mean()), 0.0
    for _ in range(4):  # alternate trend and weekday factors; converges in a few rounds
        level, slope = _fit_trend(totals / _safe(factors[weekdays]), offsets, trend_window_days, history_days)
        trend = np.maximum(level + slope * offsets, 1e-9)
        factors = _weekday_factors(totals / trend, weekdays)

    fitted = np.maximum(level + slope * offsets, 0.0) * factors[weekdays]
    profiles = _weekday_profiles(data.counts[regular], weekdays)
    holiday_days = [i for i, day in enumerate(data.days) if day in holidays]
    factor, profile = _holiday_pattern(data, holiday_days, holiday_factor, level, slope, factors, profiles)
    return SeasonalModel(
        interval_minutes=interval_minutes,
        last_history_date=data.days[-1],
        level=level,
        slope=slope,
        weekday_factors=factors,
        weekday_profiles=profiles,
        holiday_factor=factor,
        holiday_profile=profile,
        daily_log_sigma=_daily_log_sigma(totals, fitted),
        history_days=history_days,
        timezone=data.timezone,
    )


def _safe(values: np.ndarray) -> np.ndarray:
    return np.where(values > 0, values, 1.0)


def _fit_trend(
    deseasonalised: np.ndarray, offsets: np.ndarray, window_days: int, history_days: int
) -> tuple[float, float]:
    """(level on the last day, slope per day) from the recent window; flat when history is short."""
    recent = offsets > -window_days
    values, x = deseasonalised[recent], offsets[recent]
    if history_days < MIN_DAYS_FOR_TREND or len(values) < 3 or np.ptp(x) == 0:
        return float(values.mean()), 0.0
    slope, intercept = np.polyfit(x, values, 1)
    return float(intercept), float(slope)


def _weekday_factors(ratios: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    factors = np.ones(7)
    seen = np.zeros(7, dtype=bool)
    for weekday in range(7):
        mask = weekdays == weekday
        if mask.any():
            factors[weekday] = ratios[mask].mean()
            seen[weekday] = True
    mean_seen = factors[seen].mean()
    if mean_seen > 0:
        factors = factors / mean_seen
    factors[~seen] = 1.0  # unseen weekday: assume an average day (flagged by the short-history warning)
    return factors


def _weekday_profiles(counts: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    slots = counts.shape[1]
    pooled = _normalise(counts.sum(axis=0), slots)
    profiles = np.tile(pooled, (7, 1))
    for weekday in range(7):
        mask = weekdays == weekday
        observed = counts[mask].sum(axis=0)
        if observed.sum() > 0:
            own_days = float(mask.sum())
            mixed = own_days * _normalise(observed, slots) + PROFILE_SHRINK_DAYS * pooled
            profiles[weekday] = mixed / (own_days + PROFILE_SHRINK_DAYS)
    return profiles


def _normalise(values: np.ndarray, slots: int) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.full(slots, 1.0 / slots)


def _holiday_pattern(
    data: _History,
    holiday_rows: Sequence[int],
    given_factor: float | None,
    level: float,
    slope: float,
    factors: np.ndarray,
    profiles: np.ndarray,
) -> tuple[float, np.ndarray]:
    """(factor relative to the usual weekday, intraday profile) for holidays."""
    slots = data.counts.shape[1]
    if holiday_rows:
        expected = [
            max(level + slope * (data.days[i] - data.days[-1]).days, 1e-9) * factors[data.days[i].weekday()]
            for i in holiday_rows
        ]
        actual = data.counts[list(holiday_rows)].sum(axis=1)
        estimated = float(np.mean(actual / _safe(np.array(expected))))
        profile = _normalise(data.counts[list(holiday_rows)].sum(axis=0), slots)
        return (given_factor if given_factor is not None else estimated), profile
    quietest = int(np.argmin(factors))
    # No holiday in the history: behave like the quietest weekday, unless told otherwise.
    default = float(factors[quietest]) if given_factor is None else given_factor
    return default, profiles[quietest]


def _daily_log_sigma(totals: np.ndarray, fitted: np.ndarray) -> float:
    usable = (totals > 0) & (fitted > 0)
    if usable.sum() < 7:
        return DEFAULT_DAILY_LOG_SIGMA
    return float(np.std(np.log(totals[usable] / fitted[usable]), ddof=1))


# ----------------------------------------------------------------------------------------------- forecast


def forecast_volume(
    history: Iterable[tuple[datetime, float]],
    *,
    interval_minutes: int,
    days: int,
    start: date | None = None,
    holidays: Iterable[date] = (),
    holiday_factor: float | None = None,
    coverage: float = 0.8,
) -> Forecast:
    """Forecast contacts per interval for ``days`` days from ``start`` (default: the day after the history).

    Short history gives a forecast with wider prediction intervals and a ``warning``; empty history raises
    WfmInputError(field="history").
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise WfmInputError("days", f"must be a whole number >= 1, got {days!r}")
    if not 0 < coverage < 1:
        raise WfmInputError("coverage", f"must be in (0, 1), got {coverage!r}")
    holiday_set = frozenset(holidays)
    model = fit_model(
        history, interval_minutes=interval_minutes, holidays=holiday_set, holiday_factor=holiday_factor
    )
    first = start or model.last_history_date + timedelta(days=1)
    return predict(model, first, days, holiday_set, coverage)


def predict(
    model: SeasonalModel,
    first_day: date,
    days: int,
    holidays: frozenset[date] = frozenset(),
    coverage: float = 0.8,
) -> Forecast:
    """Forecast from an already fitted model."""
    z_score = NormalDist().inv_cdf(0.5 + coverage / 2)
    widen = math.sqrt(max(1.0, FULL_CONFIDENCE_DAYS / model.history_days))
    step = timedelta(minutes=model.interval_minutes)
    intervals: list[ForecastInterval] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        horizon = max(1, (day - model.last_history_date).days)
        log_sigma = model.daily_log_sigma * widen * math.sqrt(1 + horizon / 14)
        midnight = datetime.combine(day, time(0), tzinfo=model.timezone)
        for slot, expected in enumerate(model.expected_day(day, holidays)):
            spread = z_score * math.sqrt((expected * log_sigma) ** 2 + expected)  # day-level noise + Poisson
            intervals.append(
                ForecastInterval(
                    midnight + slot * step,
                    float(expected),
                    max(0.0, expected - spread),
                    float(expected + spread),
                )
            )
    return Forecast(
        interval_minutes=model.interval_minutes,
        intervals=tuple(intervals),
        coverage=coverage,
        history_days=model.history_days,
        warning=_short_history_warning(model.history_days),
    )


def _short_history_warning(history_days: int) -> str | None:
    if history_days >= FULL_CONFIDENCE_DAYS:
        return None
    detail = (
        "some weekdays were never observed and are assumed average"
        if history_days < 7
        else "weekly pattern and trend are weakly estimated"
    )
    return (
        f"only {history_days} day(s) of history (< {FULL_CONFIDENCE_DAYS}): {detail}; "
        "prediction intervals widened"
    )


# ----------------------------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class HorizonAccuracy:
    """Errors at ``horizon_day`` days after the forecast origin (1 = next day), over all origins.

    ``mape``: mean of |actual - forecast| / actual over intervals with actual > 0 (fraction, not percent).
    ``wape``: sum |actual - forecast| / sum actual (fraction); robust to quiet intervals.
    """

    horizon_day: int
    mape: float | None
    wape: float | None
    intervals: int


@dataclass(frozen=True)
class Backtest:
    origins: tuple[date, ...]
    horizons: tuple[HorizonAccuracy, ...]


def backtest(
    history: Iterable[tuple[datetime, float]],
    *,
    interval_minutes: int,
    horizon_days: int = 7,
    origins: int = 4,
    step_days: int = 7,
    min_train_days: int = 14,
    holidays: Iterable[date] = (),
) -> Backtest:
    """Rolling-origin evaluation: refit before each origin, forecast ``horizon_days``, compare with actuals."""
    data = _collect_history(history, interval_minutes)
    holiday_set = frozenset(holidays)
    origin_days = _origin_days(data, horizon_days, origins, step_days, min_train_days)
    errors: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {h: [] for h in range(1, horizon_days + 1)}
    row_of = {day: i for i, day in enumerate(data.days)}
    for origin in origin_days:
        train_rows = [i for i, day in enumerate(data.days) if day < origin]
        train = _History([data.days[i] for i in train_rows], data.counts[train_rows], data.timezone)
        model = _fit(train, interval_minutes, holiday_set, None, 56)
        for horizon in range(1, horizon_days + 1):
            day = origin + timedelta(days=horizon - 1)
            if day in row_of:
                errors[horizon].append((data.counts[row_of[day]], model.expected_day(day, holiday_set)))
    return Backtest(
        origins=tuple(origin_days),
        horizons=tuple(_accuracy(h, pairs) for h, pairs in errors.items()),
    )


def _origin_days(
    data: _History, horizon_days: int, origins: int, step_days: int, min_train_days: int
) -> list[date]:
    for field, value in (("horizon_days", horizon_days), ("origins", origins), ("step_days", step_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise WfmInputError(field, f"must be a whole number >= 1, got {value!r}")
    last_origin = data.days[-1] - timedelta(days=horizon_days - 1)
    candidates = [last_origin - timedelta(days=step_days * k) for k in range(origins)]
    usable = sorted(day for day in candidates if (day - data.days[0]).days >= min_train_days)
    if not usable:
        raise WfmInputError(
            "history",
            f"too short to backtest: need at least {min_train_days + horizon_days} days, "
            f"have {(data.days[-1] - data.days[0]).days + 1}",
        )
    return usable


def _accuracy(horizon: int, pairs: list[tuple[np.ndarray, np.ndarray]]) -> HorizonAccuracy:
    if not pairs:
        return HorizonAccuracy(horizon, None, None, 0)
    actual = np.concatenate([a for a, _ in pairs])
    predicted = np.concatenate([p for _, p in pairs])
    error = np.abs(actual - predicted)
    busy = actual > 0
    mape = float((error[busy] / actual[busy]).mean()) if busy.any() else None
    wape = float(error.sum() / actual.sum()) if actual.sum() > 0 else None
    return HorizonAccuracy(horizon, mape, wape, int(actual.size))


# ---------------------------------------------------------------------------------------- what-if scenarios


@dataclass(frozen=True)
class Scenario:
    """A what-if on a forecast, effective from ``from_date`` (inclusive; None = the whole horizon).

    ``volume_multiplier``: e.g. 10 for "volume x10 from Monday".
    ``bot_containment``: share of contacts fully resolved by the bot, so never reaching an agent (0.4 = 40%).
    """

    volume_multiplier: float = 1.0
    from_date: date | None = None
    bot_containment: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.volume_multiplier) or self.volume_multiplier < 0:
            raise WfmInputError("volume_multiplier", f"must be a number >= 0, got {self.volume_multiplier!r}")
        if not 0 <= self.bot_containment < 1:
            raise WfmInputError("bot_containment", f"must be in [0, 1), got {self.bot_containment!r}")

    def factor_on(self, day: date) -> float:
        if self.from_date is not None and day < self.from_date:
            return 1.0
        return self.volume_multiplier * (1 - self.bot_containment)


def apply_scenario(forecast: Forecast, scenario: Scenario) -> Forecast:
    """The forecast of contacts reaching agents under ``scenario``."""
    scaled = tuple(
        ForecastInterval(
            start=interval.start,
            expected=interval.expected * factor,
            lower=interval.lower * factor,
            upper=interval.upper * factor,
        )
        for interval in forecast.intervals
        for factor in (scenario.factor_on(interval.start.date()),)
    )
    return replace(forecast, intervals=scaled)


@dataclass(frozen=True)
class IntervalStaffing:
    start: datetime
    expected_contacts: float
    agents: int
    scheduled_staff: int
    service_level: float | None  # None when nobody is expected
    occupancy: float | None


def staffing_plan(
    forecast: Forecast,
    *,
    aht_seconds: float,
    target: StaffingTarget,
    patience_seconds: float | None = None,
    concurrency: int = 1,
    shrinkage: float = 0.0,
    model: ErlangModel | str = ErlangModel.ERLANG_C,
    use_upper_bound: bool = False,
) -> list[IntervalStaffing]:
    """Agents and scheduled staff per interval, from the forecast (or its upper bound) and the Erlang model."""
    scheduled_staff(1, shrinkage)  # validate once, before looping
    interval_seconds = forecast.interval_minutes * 60.0
    plan = []
    for interval in forecast.intervals:
        contacts = interval.upper if use_upper_bound else interval.expected
        if contacts <= 0:
            plan.append(IntervalStaffing(interval.start, 0.0, 0, 0, None, None))
            continue
        workload = Workload(contacts, interval_seconds, aht_seconds, patience_seconds, concurrency)
        result = required_agents(workload, target, model, shrinkage=shrinkage)
        plan.append(
            IntervalStaffing(
                start=interval.start,
                expected_contacts=contacts,
                agents=result.agents,
                scheduled_staff=result.scheduled_staff,
                service_level=result.metrics.service_level,
                occupancy=result.metrics.occupancy,
            )
        )
    return plan
