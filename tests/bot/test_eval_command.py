"""`python -m guichet bot eval` runs the documented evaluation on files (a real subprocess, like a planner would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def run_guichet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guichet", *args], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parents[2])


def test_bot_eval_prints_the_metrics_for_a_kb_and_queries():
    result = run_guichet("bot", "eval", "--kb", str(FIXTURES / "tiny_kb.json"),
                         "--queries", str(FIXTURES / "tiny_queries.csv"))
    assert result.returncode == 0, result.stderr
    names = {line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("bot_eval.")}
    assert {"bot_eval.top1", "bot_eval.handoff_precision", "bot_eval.handoff_recall", "bot_eval.p50_ms",
            "bot_eval.p95_ms"} <= names


def test_bot_eval_reports_a_missing_file_clearly(tmp_path):
    result = run_guichet("bot", "eval", "--kb", str(tmp_path / "nope.json"),
                         "--queries", str(FIXTURES / "tiny_queries.csv"))
    assert result.returncode == 2
    assert "nope.json" in result.stderr
