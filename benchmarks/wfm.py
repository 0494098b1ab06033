"""Workforce-management benchmarks. Prints `name: value` lines; bounded well under two minutes.

- wfm.erlang_a_required_agents_ms: `required_agents` with Erlang A for a case needing ~5,000 agents
  (median of several runs, cold Erlang B table each time). Goal <= 50 ms.
- wfm.erlang_c_required_agents_ms: the same workload with Erlang C.
- wfm.sim_vs_erlang_a_sl_gap: a stationary day (16 half hours, 100 calls each, AHT 180 s, patience 300 s,
  14 agents) simulated through the real router: |SL pooled over the replications - Erlang A SL|.
  ..._gap_per_replication is the mean of |day SL - Erlang A SL| over replications (mostly Poisson noise of
  one day); ..._bias is the signed mean (simulated - analytic).
- wfm.ratio_vs_pyworkforce: pyworkforce's ErlangC.required_positions time / ours on a 500-agent case
  (> 1 means ours is faster), timed in a side venv with pyworkforce 0.5.1 (made once under ~/.cache/guichet);
  `unavailable (<reason>)` when it cannot be installed.

Run: .venv/bin/python benchmarks/wfm.py [--replications N] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from guichet.wfm.erlang import StaffingTarget, Workload, required_agents
from guichet.wfm.simulate import scenario_from_mapping, simulate

HALF_HOUR = 1800.0
AHT = 300.0
LARGE_LOAD = 4750.0  # Erlangs: needs ~4,500 (Erlang A, patience 300 s) to ~4,800 (Erlang C) agents
TARGET = StaffingTarget(0.8, 20)


def _median_ms(action: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def erlang_bench(repeats: int) -> dict[str, str]:
    calls = LARGE_LOAD * HALF_HOUR / AHT
    impatient = Workload(calls, HALF_HOUR, AHT, patience_seconds=300)
    patient = Workload(calls, HALF_HOUR, AHT)
    agents_a = required_agents(impatient, TARGET, "erlang-a").agents
    agents_c = required_agents(patient, TARGET, "erlang-c").agents
    return {
        "wfm.erlang_a_required_agents_ms": f"{_median_ms(lambda: required_agents(impatient, TARGET, 'erlang-a'), repeats):.2f}",
        "wfm.erlang_a_required_agents_count": str(agents_a),
        "wfm.erlang_c_required_agents_ms": f"{_median_ms(lambda: required_agents(patient, TARGET, 'erlang-c'), repeats):.2f}",
        "wfm.erlang_c_required_agents_count": str(agents_c),
    }


def simulation_bench(replications: int) -> dict[str, str]:
    scenario = scenario_from_mapping(
        {
            "name": "stationary day",
            "seed": 2026,
            "replications": replications,
            "interval_minutes": 30,
            "target_seconds": 20,
            "patience_seconds": 300,
            "handle_time": {"mean_seconds": 180},
            "calls_per_interval": 100,
            "intervals": 16,
            "queues": [{"id": "general", "teams": ["general"]}],
            "contacts": [{"queue": "general", "language": "en"}],
            "agents": [
                {
                    "group": "en",
                    "count": 14,
                    "teams": ["general"],
                    "languages": ["en"],
                    "shift": "07:00-18:00",
                }
            ],
        }
    )
    started = time.perf_counter()
    report = simulate(scenario)
    elapsed = time.perf_counter() - started
    analytic = report.erlang_a_service_level or 0.0
    gaps = [level - analytic for level in report.replication_service_levels if level is not None]
    pooled = report.service_level or 0.0
    return {
        "wfm.sim_vs_erlang_a_sl_gap": f"{abs(pooled - analytic):.4f}",
        "wfm.sim_vs_erlang_a_sl_gap_per_replication": f"{statistics.mean(abs(gap) for gap in gaps):.4f}",
        "wfm.sim_vs_erlang_a_sl_bias": f"{statistics.mean(gaps):+.4f}",
        "wfm.sim_replications": str(len(gaps)),
        "wfm.sim_day_s": f"{elapsed / len(gaps):.3f}",
    }


PYWORKFORCE_VERSION = "0.5.1"  # the last release that installs on Python 3.11
SIDE_VENV = Path.home() / ".cache" / "guichet" / f"pyworkforce-{PYWORKFORCE_VERSION}-venv"

# Timed inside pyworkforce's own environment (it pins numpy/ortools versions that must not enter ours).
THEIR_TIMING = """
import statistics, sys, time
from pyworkforce.queuing import ErlangC
calls, aht, asa, interval, level, repeats = map(float, sys.argv[1:7])
def once():
    model = ErlangC(transactions=calls, aht=aht, asa=asa, interval=int(interval), shrinkage=0.0)
    return model.required_positions(service_level=level, max_occupancy=1.0)
times = []
for _ in range(int(repeats)):
    start = time.perf_counter(); result = once(); times.append((time.perf_counter() - start) * 1000)
print(statistics.median(times), result["raw_positions"])
"""


def side_venv_python() -> Path:
    """A throwaway venv outside the repo with pyworkforce, made once (PyPI) and reused by later runs."""
    python = SIDE_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SIDE_VENV)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        f"pyworkforce=={PYWORKFORCE_VERSION}"], check=True, capture_output=True, timeout=900)
    return python


def pyworkforce_bench(repeats: int) -> dict[str, str]:
    """Same Erlang C staffing question (500-agent scale) answered by pyworkforce and by us, in the same run."""
    calls, interval_minutes = 500 * 0.95 * HALF_HOUR / AHT, 30
    try:
        python = side_venv_python()
        done = subprocess.run(
            [str(python), "-c", THEIR_TIMING, str(calls), str(AHT / 60), str(TARGET.target_seconds / 60),
             str(interval_minutes), str(TARGET.service_level), str(repeats)],
            check=True, capture_output=True, text=True, timeout=600,
        )
        their_ms, their_agents = (float(value) for value in done.stdout.split())
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        reason = f"{type(error).__name__}: {error}".replace("\n", " ")[:200]
        return {"wfm.ratio_vs_pyworkforce": f"unavailable ({reason})"}
    ours = Workload(calls, HALF_HOUR, AHT)
    our_ms = _median_ms(lambda: required_agents(ours, TARGET), repeats)
    our_agents = required_agents(ours, TARGET).agents
    return {
        "wfm.pyworkforce_erlang_c_required_agents_ms": f"{their_ms:.2f}",
        "wfm.erlang_c_required_agents_500_ms": f"{our_ms:.2f}",
        "wfm.pyworkforce_agents_vs_ours": f"{their_agents:.0f} vs {our_agents}",
        # > 1: ours is faster for the same answer.
        "wfm.ratio_vs_pyworkforce": f"{their_ms / our_ms:.2f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    for results in (
        erlang_bench(args.repeats),
        simulation_bench(args.replications),
        pyworkforce_bench(args.repeats),
    ):
        for name, value in results.items():
            print(f"{name}: {value}", flush=True)


if __name__ == "__main__":
    main()
