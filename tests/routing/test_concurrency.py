"""Atomic assignment under real concurrency: 4 OS processes on PostgreSQL, then the invariants.

Runs when GUICHET_DATABASE_URL is set (PostgreSQL); each child process is `python -m guichet.routing.stress`
connected to pytest-django's test database. Citizens arrive, agents change presence and resolve work, and
routing runs after every commit in every process at once. Afterwards: no conversation was assigned twice,
no agent is over capacity, and no conversation waits while an eligible agent has room.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from guichet.routing.stress import invariants
from tests.factories import make_agent, make_inbox, make_queue, make_team

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("GUICHET_DATABASE_URL"),
                       reason="needs PostgreSQL: set GUICHET_DATABASE_URL (e.g. postgres://postgres@127.0.0.1/test)"),
]
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4


def child_database_url() -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def run_workers(mode: str, ops: int) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guichet.settings", "GUICHET_DATABASE_URL": child_database_url(),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "GUICHET_LOG_LEVEL": "WARNING"}
    env.pop("GUICHET_REDIS_URL", None)
    children = [subprocess.Popen([sys.executable, "-m", "guichet.routing.stress", mode, "--seed", str(seed),
                                  "--ops", str(ops)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for seed in range(WORKERS)]
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=900)
        assert child.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


def build_centre() -> None:
    general, benefits = make_team("general"), make_team("benefits")
    general_queue = make_queue(general, slug="general", sticky_window_s=30,
                               overflow=[{"after_s": 600, "teams": ["benefits"]}])
    benefits_queue = make_queue(benefits, slug="benefits", required_skills={"benefits": 2})
    make_inbox(general_queue, channel="web")
    make_inbox(general_queue, channel="email")
    make_inbox(benefits_queue, channel="web")
    make_inbox(benefits_queue, channel="voice")
    for number in range(40):
        teams = [general] if number % 3 else [general, benefits]
        make_agent(teams, presence="available" if number % 2 else "away",
                   languages=[["en"], ["fr"], ["en", "fr"]][number % 3],
                   skills={"benefits": number % 4}, capacity={"chat": 1 + number % 3, "email": 2, "voice": 1})


def test_four_processes_never_double_assign_overfill_or_leave_work_behind():
    build_centre()
    outputs = run_workers("churn", ops=150)
    assert all("arrivals" in output for output in outputs)
    result = invariants()
    assert result["assigned"] > 100, result  # the workload really exercised routing
    assert result["double_assignments"] == 0
    assert result["mismatched"] == 0
    assert result["over_capacity"] == []
    assert result["missed"] == []
