"""The Django side of WFM: history read from the report aggregates, fed to the pure core (erlang, forecast,
simulate). Views call these functions; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from guichet.analytics.models import DailyStat, IntervalStat
from guichet.conversations.models import ROUTING_CHANNEL
from guichet.routing.models import Queue
from guichet.wfm.erlang import (
    ErlangModel,
    ModelUndefinedError,
    QueueMetrics,
    StaffingResult,
    StaffingTarget,
    WfmInputError,
    Workload,
    queue_metrics,
    required_agents,
)
from guichet.wfm.forecast import (
    Backtest,
    Forecast,
    IntervalStaffing,
    Scenario,
    apply_scenario,
    backtest,
    forecast_volume,
    staffing_plan,
)
from guichet.wfm.simulate import SimulationReport, scenario_from_mapping, simulate

DEFAULT_AHT_S = 300.0
HISTORY_DAYS = 8 * 7  # the forecaster's trend looks at 8 weeks
SIMULATED_DAY = (time(7, 0), time(21, 0))  # demo queues take contacts around the clock but few at night
SIMULATION_RUNS = 5  # replications: enough to smooth small intervals, still well under a second


# --- staffing calculator ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staffing:
    result: StaffingResult
    rows: list[QueueMetrics]
    workload: Workload
    model: ErlangModel


def target_from(data: dict[str, Any]) -> StaffingTarget:
    return StaffingTarget(data["service_level"] / 100, data["target_seconds"])


def staffing(data: dict[str, Any]) -> Staffing:
    """Required agents and the metrics of a few agent counts around it (raises WfmInputError)."""
    model = ErlangModel(data["model"])
    workload = Workload(data["calls_per_interval"], data["interval_minutes"] * 60.0, data["aht_seconds"],
                        patience_seconds=data.get("patience_seconds") if model is ErlangModel.ERLANG_A else None,
                        concurrency=data["concurrency"])
    target = target_from(data)
    result = required_agents(workload, target, model, shrinkage=data["shrinkage"] / 100)
    rows = []
    for agents in range(max(1, result.agents - 2), result.agents + 4):
        try:
            rows.append(queue_metrics(workload, agents, target, model))
        except ModelUndefinedError:  # Erlang C has no steady state below the offered load
            continue
    return Staffing(result, rows, workload, model)


# --- history and forecast -----------------------------------------------------------------------------


def interval_history(queue: Queue, channel: str, interval_minutes: int, days: int = HISTORY_DAYS,
                     until: date | None = None) -> list[tuple[datetime, float]]:
    """Contacts offered to agents per local interval over the last `days` complete days (from IntervalStat)."""
    tz = timezone.get_default_timezone()
    until = until or timezone.localdate()
    start = timezone.make_aware(datetime.combine(until - timedelta(days=days), time.min), tz)
    end = timezone.make_aware(datetime.combine(until, time.min), tz)
    rows = (IntervalStat.objects.filter(queue=queue, channel=channel, interval_start__gte=start,
                                        interval_start__lt=end)
            .values_list("interval_start", "offered").order_by("interval_start"))
    history: dict[datetime, float] = {}
    for stamp, offered in rows:
        local = timezone.localtime(stamp, tz)
        slot = local.replace(minute=local.minute - local.minute % interval_minutes)
        history[slot] = history.get(slot, 0.0) + offered
    # A day with any activity is a recorded day; a day with none at all stays missing for the forecaster.
    return sorted(history.items())


def busiest_queue_and_channel(days: int = 28) -> dict[str, str]:
    """Form defaults: the queue and channel with the most contacts offered lately (empty without history)."""
    since = timezone.localdate() - timedelta(days=days)
    top = (DailyStat.objects.filter(day__gte=since).values("queue__slug", "channel")
           .annotate(offered=Sum("offered")).order_by("-offered").first())
    return {"queue": top["queue__slug"], "channel": top["channel"]} if top else {}


def average_handle_time(queue: Queue, channel: str, days: int = 28) -> float:
    since = timezone.localdate() - timedelta(days=days)
    sums = DailyStat.objects.filter(queue=queue, channel=channel, day__gte=since).aggregate(
        handle=Sum("handle_sum_s"), handled=Sum("handled"))
    if sums["handled"]:
        return max(1.0, sums["handle"] / sums["handled"])
    return DEFAULT_AHT_S


@dataclass(frozen=True)
class ForecastResult:
    forecast: Forecast
    accuracy: Backtest | None
    accuracy_error: str | None
    history_days: int

    @property
    def relative_range(self) -> float | None:
        """Half the prediction range as a share of the expected volume, over the horizon: how uncertain it is."""
        expected = sum(interval.expected for interval in self.forecast.intervals)
        spread = sum(interval.upper - interval.lower for interval in self.forecast.intervals) / 2
        return spread / expected if expected > 0 else None


def forecast_for(queue: Queue, channel: str, interval_minutes: int, days: int,
                 start: date | None = None) -> ForecastResult:
    """Forecast from the stored history, with a rolling-origin backtest when the history allows one."""
    history = interval_history(queue, channel, interval_minutes)
    forecast = forecast_volume(history, interval_minutes=interval_minutes, days=days,
                               start=start or timezone.localdate())
    try:
        accuracy, accuracy_error = backtest(history, interval_minutes=interval_minutes, horizon_days=7,
                                            origins=4), None
    except WfmInputError as error:
        accuracy, accuracy_error = None, error.reason
    return ForecastResult(forecast, accuracy, accuracy_error, forecast.history_days)


# --- what-if ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioRow:
    start: datetime
    baseline_contacts: float
    scenario_contacts: float
    baseline_agents: int
    agents: int
    scheduled_staff: int
    erlang_service_level: float | None
    simulated: Any  # simulate.IntervalReport or None outside the simulated hours


@dataclass(frozen=True)
class ScenarioResult:
    rows: list[ScenarioRow]
    report: SimulationReport
    aht_seconds: float
    forecast_warning: str | None
    peak_agents: int
    simulated_with: str


def _day_plan(forecast: Forecast, day: date, data: dict[str, Any], aht: float, model: ErlangModel
              ) -> list[IntervalStaffing]:
    day_forecast = Forecast(forecast.interval_minutes, tuple(i for i in forecast.intervals if i.start.date() == day),
                            forecast.coverage, forecast.history_days, forecast.warning)
    return staffing_plan(day_forecast, aht_seconds=aht, target=target_from(data),
                         patience_seconds=data.get("patience_seconds") if model is ErlangModel.ERLANG_A else None,
                         concurrency=data["concurrency"], shrinkage=data["shrinkage"] / 100, model=model)


def what_if(data: dict[str, Any]) -> ScenarioResult:
    """Forecast the day, apply the what-if, staff each interval and simulate the day through the router."""
    queue, channel, minutes, day = data["queue"], data["channel"], data["interval_minutes"], data["day"]
    today = timezone.localdate()
    history = interval_history(queue, channel, minutes)
    forecast = forecast_volume(history, interval_minutes=minutes, days=(day - today).days + 1, start=today)
    scenario = Scenario(volume_multiplier=data["volume_multiplier"], from_date=data.get("from_date"),
                        bot_containment=data["bot_containment"] / 100)
    changed = apply_scenario(forecast, scenario)
    aht = data.get("aht_seconds") or average_handle_time(queue, channel)
    model = ErlangModel(data["model"])
    baseline_plan = _day_plan(forecast, day, data, aht, model)
    plan = _day_plan(changed, day, data, aht, model)
    staffed = plan if data["staffing"] == "scenario" else baseline_plan
    report = simulate(_simulation(queue, channel, minutes, data, aht, plan, staffed))
    first, last = SIMULATED_DAY
    simulated = {row.start: row for row in report.intervals}
    rows = [ScenarioRow(start=now.start, baseline_contacts=base.expected_contacts,
                        scenario_contacts=now.expected_contacts, baseline_agents=base.agents, agents=now.agents,
                        scheduled_staff=now.scheduled_staff, erlang_service_level=now.service_level,
                        simulated=simulated.get(now.start.time()) if first <= now.start.time() < last else None)
            for base, now in zip(baseline_plan, plan, strict=True)]
    return ScenarioResult(rows, report, aht, forecast.warning, max((r.agents for r in rows), default=0),
                          data["staffing"])


def _simulation(queue: Queue, channel: str, minutes: int, data: dict[str, Any], aht: float,
                plan: list[IntervalStaffing], staffed: list[IntervalStaffing]):  # type: ignore[no-untyped-def]
    """A simulator scenario for the simulated hours: one agent group per interval, on shift for it."""
    first, last = SIMULATED_DAY
    routing_channel = ROUTING_CHANNEL.get(channel, "chat")
    calls, agents = [], []
    for wanted, staff in zip(plan, staffed, strict=True):
        start = wanted.start.time()
        if not first <= start < last:
            continue
        calls.append(round(wanted.expected_contacts, 3))
        if staff.agents:
            end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)).time()
            agents.append({"group": f"{start:%H%M}", "count": staff.agents, "teams": [queue.team.slug],
                           "languages": ["en", "fr"], "capacity": {routing_channel: data["concurrency"]},
                           "shift": f"{start:%H:%M}-{end:%H:%M}"})
    return scenario_from_mapping({
        "name": f"{queue.slug} {channel} {data['day']}", "seed": 1, "replications": SIMULATION_RUNS,
        "interval_minutes": minutes, "day_start": f"{first:%H:%M}", "target_seconds": data["target_seconds"],
        "patience_seconds": data.get("patience_seconds") or 300.0,
        "handle_time": {"distribution": "exponential", "mean_seconds": aht},
        "calls_per_interval": calls, "queues": [{"id": queue.slug, "teams": [queue.team.slug]}],
        "contacts": [{"queue": queue.slug, "channel": routing_channel, "language": "en", "share": 1}],
        "agents": agents or [{"group": "none", "count": 0, "teams": [queue.team.slug], "languages": ["en"],
                              "shift": f"{first:%H:%M}-{last:%H:%M}"}],
    })
