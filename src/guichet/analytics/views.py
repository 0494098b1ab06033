"""Report pages, CSV export and the public satisfaction survey page. Thin: queries live in reports.py,
writes in actions.py."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guichet.analytics import reports
from guichet.analytics.access import supervisor_required
from guichet.analytics.actions import SurveyError, check_open, record_survey_answer, survey_from_token
from guichet.analytics.charts import Series, bar_chart, line_chart
from guichet.analytics.forms import ReportForm, SurveyForm
from guichet.analytics.templatetags.reports import pct


def report_form(request: HttpRequest) -> ReportForm:
    data = {**ReportForm.defaults(), **{key: value for key, value in request.GET.items() if value}}
    return ReportForm(data)


@require_GET
@supervisor_required
def report(request: HttpRequest) -> HttpResponse:
    form = report_form(request)
    if not form.is_valid():
        return render(request, "analytics/report.html", {"form": form}, status=400)
    selection = form.report_filter()
    rows = reports.series(selection)
    total = reports.totals(selection)
    return render(request, "analytics/report.html", {
        "form": form, "selection": selection, "total": total, "rows": rows,
        "table_rows": [row for row in rows if row.conversations] if selection.grouping != "day" else rows,
        "charts": build_charts(selection, rows, total), "breakdown": reports.breakdown(selection),
        "questions": reports.top_unanswered(selection), "query": request.GET.urlencode(),
        "bounds": reports.history_bounds(),
    })


def build_charts(selection: reports.ReportFilter, rows: list[reports.Metrics], total: reports.Metrics) -> list:
    labels = [row.label if selection.grouping == "day" else row.label[5:] for row in rows]
    period = {"start": selection.start.isoformat(), "end": selection.end.isoformat()}
    volume = line_chart(
        _("Contacts offered, handled and abandoned"),
        _("From %(start)s to %(end)s: %(offered)d contacts offered to agents, %(handled)d handled, %(abandoned)d "
          "abandoned, %(contained)d resolved by the virtual agent.") % {
            **period, "offered": total.offered, "handled": total.handled, "abandoned": total.abandoned,
            "contained": total.bot_contained},
        labels, [Series(_("Offered"), [r.offered for r in rows]), Series(_("Handled"), [r.handled for r in rows]),
                 Series(_("Abandoned"), [r.abandoned for r in rows]),
                 Series(_("Resolved by the virtual agent"), [r.bot_contained for r in rows])])
    service = line_chart(
        _("Service level and abandonment rate"),
        _("From %(start)s to %(end)s: service level %(service)s, abandonment %(abandon)s.") % {
            **period, "service": pct(total.service_level), "abandon": pct(total.abandon_rate)},
        labels, [Series(_("Service level"), [r.service_level for r in rows]),
                 Series(_("Abandonment rate"), [r.abandon_rate for r in rows])],
        fmt=lambda value: pct(value), maximum=1.0)
    satisfaction = bar_chart(
        _("Average satisfaction (1 to 5)"),
        _("From %(start)s to %(end)s: %(rated)d ratings, average %(average)s out of 5.") % {
            **period, "rated": total.rated,
            "average": "–" if total.satisfaction is None else f"{total.satisfaction:.1f}"},
        labels, Series(_("Average satisfaction"), [r.satisfaction for r in rows]), maximum=5.0)
    return [volume, service, satisfaction]


CSV_COLUMNS = (
    # (header, value of a Metrics row)
    (lambda: _("Period"), lambda r: r.label),
    (lambda: _("Conversations"), lambda r: r.conversations),
    (lambda: _("Offered"), lambda r: r.offered),
    (lambda: _("Handled"), lambda r: r.handled),
    (lambda: _("Abandoned"), lambda r: r.abandoned),
    (lambda: _("Service level (%)"), lambda r: r.service_level),
    (lambda: _("Abandonment rate (%)"), lambda r: r.abandon_rate),
    (lambda: _("Average speed of answer (s)"), lambda r: r.asa_s),
    (lambda: _("Average handle time (s)"), lambda r: r.aht_s),
    (lambda: _("Average first response (s)"), lambda r: r.first_response_s),
    (lambda: _("Average resolution time (s)"), lambda r: r.resolution_s),
    (lambda: _("With the virtual agent"), lambda r: r.bot_conversations),
    (lambda: _("Resolved by the virtual agent"), lambda r: r.bot_contained),
    (lambda: _("Bot containment (%)"), lambda r: r.containment),
    (lambda: _("Handed off"), lambda r: r.handed_off),
    (lambda: _("Handoff rate (%)"), lambda r: r.handoff_rate),
    (lambda: _("Ratings"), lambda r: r.rated),
    (lambda: _("Average satisfaction (1-5)"), lambda r: r.satisfaction),
    (lambda: _("Repeat contacts within 7 days"), lambda r: r.repeat_contacts),
    (lambda: _("First-contact resolution (%)"), lambda r: r.first_contact_resolution),
)
_PERCENT_COLUMNS = {5, 6, 13, 15, 19}


def _csv_value(index: int, value: Any) -> str:
    if value is None:
        return ""
    if index in _PERCENT_COLUMNS:
        return f"{100 * value:.1f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


EXPORTS = ("series", "breakdown", "questions")


@require_GET
@supervisor_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """CSV of one table of the report: `table=series` (default), `breakdown` or `questions`."""
    form = report_form(request)
    table = request.GET.get("table") or "series"
    if table not in EXPORTS:
        return HttpResponse(_("Unknown table: choose series, breakdown or questions."), status=400,
                            content_type="text/plain; charset=utf-8")
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[name].label if name in form.fields else name}: "
                           f"{' '.join(str(m) for m in messages)}" for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    selection = form.report_filter()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"guichet-{table}-{selection.start}-{selection.end}-{selection.grouping}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    if table == "series":
        writer.writerow([header() for header, _value in CSV_COLUMNS])
        total = reports.totals(selection)
        total.label = _("Total")
        for row in [*reports.series(selection), total]:
            writer.writerow([_csv_value(i, value(row)) for i, (_header, value) in enumerate(CSV_COLUMNS)])
    elif table == "breakdown":
        writer.writerow([_("Queue"), _("Channel"), *[header() for header, _value in CSV_COLUMNS[1:]]])
        for row in reports.breakdown(selection):
            writer.writerow([row.label, row.key, *[_csv_value(i, value(row)) for i, (_header, value)
                                                   in enumerate(CSV_COLUMNS) if i]])
    else:
        writer.writerow([_("Question"), _("Language"), _("Times")])
        for question in reports.top_unanswered(selection, limit=100):
            writer.writerow([question["example"] or question["question_key"], question["language"],
                             question["count"]])
    return response


# --- public survey page (email link) -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = check_open(survey_from_token(token))
    except SurveyError as error:
        return render(request, "analytics/survey_error.html", {"message": error.message}, status=error.status)
    requested = request.GET.get("lang", "")
    language = requested if requested in {"en", "fr"} else survey.language
    other = "fr" if language == "en" else "en"
    with translation.override(language):
        form = SurveyForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    record_survey_answer(survey, form.cleaned_data["rating"], form.cleaned_data["comment"])
                    return render(request, "analytics/survey_thanks.html", {"survey": survey})
                except SurveyError as error:
                    form.add_error(None, error.message)
            status = 400
        return render(request, "analytics/survey.html", {
            "form": form, "survey": survey, "other_language": other,
            "other_language_name": "Français" if other == "fr" else "English"}, status=status)
