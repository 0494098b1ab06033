"""Command-line entry points for `python -m guichet wfm staff|simulate` (wired elsewhere).

Both return a process exit code: 0 on success, 2 on bad input (with a message naming the field on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from guichet.wfm.erlang import (
    ErlangModel,
    ModelUndefinedError,
    QueueMetrics,
    SLDefinition,
    StaffingResult,
    StaffingTarget,
    WfmInputError,
    Workload,
    queue_metrics,
    required_agents,
)
from guichet.wfm.simulate import SimulationReport, load_scenario, simulate
from guichet.wfm.tables import TABLE_FORMATS, Cell, decimal, percent, render_table

EXIT_BAD_INPUT = 2

# Library field names -> the option a planner typed, so error messages point at what to fix.
_OPTION_FOR_FIELD = {
    "calls_per_interval": "--calls-per-interval",
    "interval_seconds": "--interval-minutes",
    "aht_seconds": "--aht",
    "target_seconds": "--target-seconds",
    "service_level": "--service-level",
    "patience_seconds": "--patience",
    "shrinkage": "--shrinkage",
    "concurrency": "--concurrency",
    "max_occupancy": "--max-occupancy",
    "max_abandon_rate": "--max-abandon-rate",
    "model": "--model",
    "sl_definition": "--sl-definition",
}
# Scenario-file errors keep the file's own key names; only these came from options.
_SIMULATE_OPTIONS = {"replications": "--replications"}

SL_DEFINITION_TEXT = {
    SLDefinition.OFFERED: "answered within t / offered",
    SLDefinition.ANSWERED: "answered within t / answered",
    SLDefinition.EXCLUDE_SHORT_ABANDONS: "answered within t / (offered - abandoned within t)",
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so the commands can return an exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _fraction(text: str) -> float:
    """0.8, or 80% for planners who think in percent."""
    stripped = text.strip()
    if stripped.endswith("%"):
        return float(stripped[:-1]) / 100
    return float(stripped)


def _report_error(error: Exception, stderr: TextIO, options: dict[str, str] | None = None) -> int:
    """Print the error naming the field (as an option when it came from one) and return exit code 2."""
    if isinstance(error, WfmInputError):
        name = (options or {}).get(error.field, error.field)
        print(f"error: {name}: {error.reason}", file=stderr)
    else:
        print(f"error: {error}", file=stderr)
    return EXIT_BAD_INPUT


# ------------------------------------------------------------------------------------------------- staff


def _staff_parser() -> _Parser:
    parser = _Parser(prog="guichet wfm staff", description="Agents and scheduled staff for one interval.")
    parser.add_argument(
        "--calls-per-interval", type=float, required=True, help="contacts offered per interval"
    )
    parser.add_argument("--interval-minutes", type=float, default=30.0)
    parser.add_argument("--aht", type=float, required=True, help="average handle time, seconds")
    parser.add_argument("--target-seconds", type=float, default=20.0, help="answer within this many seconds")
    parser.add_argument("--service-level", type=_fraction, default=0.8, help="e.g. 0.8 or 80%%")
    parser.add_argument("--patience", type=float, default=None, help="mean patience, seconds (Erlang A)")
    parser.add_argument("--shrinkage", type=_fraction, default=0.0, help="e.g. 0.3 or 30%%")
    parser.add_argument("--concurrency", type=int, default=1, help="contacts one agent handles at once")
    parser.add_argument("--max-occupancy", type=_fraction, default=None)
    parser.add_argument("--max-abandon-rate", type=_fraction, default=None, help="Erlang A only")
    parser.add_argument(
        "--model",
        choices=[m.value for m in ErlangModel],
        default=None,
        help="default: erlang-a when --patience is given, else erlang-c",
    )
    parser.add_argument("--sl-definition", choices=[d.value for d in SLDefinition], default="offered")
    parser.add_argument("--rows", type=int, default=6, help="agent counts shown around the requirement")
    parser.add_argument("--format", choices=TABLE_FORMATS, default="text")
    return parser


def staff_command(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`guichet wfm staff --calls-per-interval 360 --aht 240 --target-seconds 15 --service-level 0.8 ...`"""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _staff_parser().parse_args(argv)
    except _UsageError as error:
        return _report_error(error, err)
    except SystemExit as leaving:  # --help
        return int(leaving.code or 0)
    try:
        if args.interval_minutes <= 0:
            raise WfmInputError("interval_seconds", f"must be > 0, got {args.interval_minutes!r}")
        workload = Workload(
            args.calls_per_interval,
            args.interval_minutes * 60,
            args.aht,
            patience_seconds=args.patience,
            concurrency=args.concurrency,
        )
        target = StaffingTarget(
            args.service_level,
            args.target_seconds,
            max_occupancy=args.max_occupancy,
            max_abandon_rate=args.max_abandon_rate,
            sl_definition=args.sl_definition,
        )
        model = (
            ErlangModel(args.model)
            if args.model
            else (ErlangModel.ERLANG_A if args.patience is not None else ErlangModel.ERLANG_C)
        )
        result = required_agents(workload, target, model, shrinkage=args.shrinkage)
        rows = _neighbourhood(workload, target, model, result.agents, args.rows)
    except (WfmInputError, OverflowError) as error:
        return _report_error(error, err, _OPTION_FOR_FIELD)
    print(_staff_report(args, workload, target, model, result, rows), file=out)
    return 0


def _neighbourhood(
    workload: Workload, target: StaffingTarget, model: ErlangModel, required: int, count: int
) -> list[QueueMetrics]:
    """Metrics for a few agent counts either side of the requirement (skipping undefined Erlang C rows)."""
    below = max(1, count // 3)
    rows = []
    for agents in range(max(1, required - below), required + max(1, count - below)):
        try:
            rows.append(queue_metrics(workload, agents, target, model))
        except ModelUndefinedError:
            continue
    return rows


def _staff_report(
    args: argparse.Namespace,
    workload: Workload,
    target: StaffingTarget,
    model: ErlangModel,
    result: StaffingResult,
    rows: Sequence[QueueMetrics],
) -> str:
    headers = ["Agents", "P(wait)", "Service level", "ASA (s)", "Abandoned", "Occupancy", "Meets"]
    table: list[list[Cell]] = [
        [
            m.agents,
            percent(m.prob_wait),
            percent(m.service_level),
            decimal(m.asa_seconds),
            percent(m.prob_abandon) if model is ErlangModel.ERLANG_A else "-",
            percent(m.occupancy),
            "<- required" if m.agents == result.agents else ("yes" if m.agents > result.agents else "no"),
        ]
        for m in rows
    ]
    if args.format != "text":
        return render_table(headers, table, args.format)
    concurrency = f", {workload.concurrency} contacts per agent" if workload.concurrency > 1 else ""
    patience = f", mean patience {workload.patience_seconds:g} s" if workload.patience_seconds else ""
    limits = "".join(
        [
            f", occupancy <= {percent(target.max_occupancy)}" if target.max_occupancy else "",
            f", abandonment <= {percent(target.max_abandon_rate)}" if target.max_abandon_rate else "",
        ]
    )
    lines = [
        f"Workload: {workload.calls_per_interval:g} contacts per {args.interval_minutes:g} min, "
        f"AHT {workload.aht_seconds:g} s{patience}{concurrency}: {workload.offered_load:.2f} Erlangs ({model.value})",
        f"Target: {percent(target.service_level)} within {target.target_seconds:g} s "
        f"({SL_DEFINITION_TEXT[target.sl_definition]}){limits}",
        "",
        render_table(headers, table),
        "",
        f"Required agents: {result.agents}",
        f"Scheduled staff (shrinkage {percent(result.shrinkage)}): {result.scheduled_staff}",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- simulate


def _simulate_parser() -> _Parser:
    parser = _Parser(prog="guichet wfm simulate", description="Simulate a day from a scenario file.")
    parser.add_argument("scenario", help="scenario file (.yaml, .yml or .json; see docs/wfm.md)")
    parser.add_argument("--replications", type=int, default=None, help="overrides the file's value")
    parser.add_argument("--seed", type=int, default=None, help="overrides the file's value")
    parser.add_argument("--format", choices=TABLE_FORMATS, default="text")
    return parser


def simulate_command(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`guichet wfm simulate day.yaml [--replications N] [--seed S] [--format text|tsv|csv]`"""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _simulate_parser().parse_args(argv)
    except _UsageError as error:
        return _report_error(error, err)
    except SystemExit as leaving:
        return int(leaving.code or 0)
    try:
        scenario = load_scenario(args.scenario)
        if args.seed is not None:
            scenario = replace(scenario, seed=args.seed)
        report = simulate(scenario, args.replications)
    except OSError as error:
        return _report_error(WfmInputError("scenario", f"cannot read {args.scenario}: {error.strerror}"), err)
    except WfmInputError as error:
        return _report_error(error, err, _SIMULATE_OPTIONS)
    print(_simulation_report(report, args.format), file=out)
    return 0


def _simulation_report(report: SimulationReport, table_format: str) -> str:
    headers = [
        "Start",
        "Offered",
        "Answered",
        "Abandoned",
        "SL",
        "ASA (s)",
        "Abandon %",
        "Servers",
        "Erlang A SL",
        "Erlang A ASA",
        "Erlang A abandon %",
    ]
    table: list[list[Cell]] = [
        [
            row.start.strftime("%H:%M"),
            decimal(row.offered),
            decimal(row.answered),
            decimal(row.abandoned),
            percent(row.service_level),
            decimal(row.asa_seconds),
            percent(row.abandon_rate),
            row.servers_on_shift,
            percent(row.erlang_a_service_level),
            decimal(row.erlang_a_asa_seconds),
            percent(row.erlang_a_abandon_rate),
        ]
        for row in report.intervals
    ]
    if table_format != "text":
        return render_table(headers, table, table_format)
    asa = "-" if report.asa_seconds is None else f"{report.asa_seconds:.1f} s"
    return "\n".join(
        [
            f"Scenario: {report.scenario} ({report.replications} replication(s), seed {report.seed}, "
            f"target {report.target_seconds:g} s)",
            "",
            render_table(headers, table),
            "",
            f"Day: service level {percent(report.service_level)} (Erlang A {percent(report.erlang_a_service_level)}), "
            f"ASA {asa}, abandoned {percent(report.abandon_rate)}",
        ]
    )
