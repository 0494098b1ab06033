"""Workforce pages for supervisors and administrators: staffing calculator, forecast, what-if scenario.

Thin: forms validate, `planning` computes, templates show tables and SVG charts. Any error the maths still
finds (an impossible target, an empty history) is attached to the form field it is about.
"""

from __future__ import annotations

from typing import Any

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guichet.analytics.access import supervisor_required
from guichet.analytics.charts import Series, bar_chart, line_chart
from guichet.wfm import planning
from guichet.wfm.erlang import ImpossibleTargetError, WfmInputError
from guichet.wfm.forms import ForecastForm, ScenarioForm, StaffingForm, next_monday

# Maths field names -> form fields, so an error from the core lands next to the right input.
FORM_FIELD_FOR = {
    "calls_per_interval": "calls_per_interval", "aht_seconds": "aht_seconds", "target_seconds": "target_seconds",
    "service_level": "service_level", "patience_seconds": "patience_seconds", "shrinkage": "shrinkage",
    "concurrency": "concurrency", "volume_multiplier": "volume_multiplier", "bot_containment": "bot_containment",
    "interval_minutes": "interval_minutes",
}


def attach_error(form: Form, error: WfmInputError) -> None:
    field = FORM_FIELD_FOR.get(error.field)
    if isinstance(error, ImpossibleTargetError):
        message = _("This target cannot be reached with any realistic number of agents. Lower the service "
                    "level or lengthen the answer time.")
        field = field or "service_level"
    elif error.field == "history":
        message = _("There is no history for this queue and channel yet, so there is nothing to forecast from. "
                    "Choose another queue or channel, or come back when contacts have been handled.")
        field = "queue"
    else:
        message = _("This value cannot be used: %(reason)s") % {"reason": error.reason}
    form.add_error(field if field in form.fields else None, message)


def _bound(request: HttpRequest, form_class: type[Form], initial: dict[str, Any]) -> Form:
    if request.GET:
        return form_class(request.GET)
    return form_class(initial={**planning.busiest_queue_and_channel(), **initial})


@require_GET
@supervisor_required
def home(request: HttpRequest) -> HttpResponse:
    form = _bound(request, StaffingForm, {})
    context: dict[str, Any] = {"form": form}
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                context["staffing"] = planning.staffing(form.cleaned_data)
            except WfmInputError as error:
                attach_error(form, error)
        if form.errors:
            status = 400
    return render(request, "wfm/home.html", context, status=status)


@require_GET
@supervisor_required
def forecast(request: HttpRequest) -> HttpResponse:
    form = _bound(request, ForecastForm, {})
    context: dict[str, Any] = {"form": form}
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = planning.forecast_for(data["queue"], data["channel"], data["interval_minutes"], data["days"])
            except WfmInputError as error:
                attach_error(form, error)
            else:
                context.update(result=result, chart=_forecast_chart(result, data))
        if form.errors:
            status = 400
    return render(request, "wfm/forecast.html", context, status=status)


def _forecast_chart(result: planning.ForecastResult, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    intervals = result.forecast.intervals
    labels = [f"{interval.start:%a %H:%M}" for interval in intervals]
    return line_chart(
        _("Forecast contacts per interval"),
        _("Expected contacts per %(minutes)d-minute interval for %(days)d days, with the upper bound of the "
          "prediction interval; %(total)d contacts expected in all.") % {
            "minutes": data["interval_minutes"], "days": data["days"], "total": round(result.forecast.total())},
        labels, [Series(_("Expected"), [i.expected for i in intervals]),
                 Series(_("Upper bound"), [i.upper for i in intervals])])


@require_GET
@supervisor_required
def scenario(request: HttpRequest) -> HttpResponse:
    form = _bound(request, ScenarioForm, {"day": next_monday(), "volume_multiplier": 10, "staffing": "scenario",
                                          "patience_seconds": 300})
    context: dict[str, Any] = {"form": form}
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                result = planning.what_if(form.cleaned_data)
            except WfmInputError as error:
                attach_error(form, error)
            else:
                context.update(result=result, charts=_scenario_charts(result))
        if form.errors:
            status = 400
    return render(request, "wfm/scenario.html", context, status=status)


def _scenario_charts(result: planning.ScenarioResult) -> list:
    rows = [row for row in result.rows if row.simulated is not None]
    labels = [f"{row.start:%H:%M}" for row in rows]
    agents = bar_chart(
        _("Agents needed per interval"),
        _("With the what-if, the busiest interval needs %(agents)d agents.") % {"agents": result.peak_agents},
        labels, Series(_("Agents needed"), [row.agents for row in rows]))
    service = line_chart(
        _("Service level: simulation and Erlang A"),
        _("Simulated service level for the day: %(simulated)s; Erlang A: %(erlang)s.") % {
            "simulated": "–" if result.report.service_level is None else f"{100 * result.report.service_level:.1f}%",
            "erlang": "–" if result.report.erlang_a_service_level is None
            else f"{100 * result.report.erlang_a_service_level:.1f}%"},
        labels, [Series(_("Simulated"), [row.simulated.service_level for row in rows]),
                 Series(_("Erlang A"), [row.simulated.erlang_a_service_level for row in rows])],
        fmt=lambda value: f"{100 * value:.0f}%", maximum=1.0)
    return [agents, service]
