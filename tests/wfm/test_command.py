"""`python -m guichet wfm staff|simulate` as a planner runs them, and through Django's call_command."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "src" / "guichet" / "wfm" / "scenarios").iterdir())


def guichet(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "guichet", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_staff_prints_a_table_and_the_requirement():
    out = io.StringIO()
    call_command("wfm", "staff", "--calls-per-interval", "360", "--aht", "240", "--target-seconds", "15",
                 "--service-level", "80%", "--shrinkage", "30%", stdout=out)
    text = out.getvalue()
    assert "Required agents: 55" in text
    assert "Scheduled staff (shrinkage 30.0%): 79" in text
    assert "<- required" in text


def test_staff_bad_input_names_the_option_and_exits_2():
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("wfm", "staff", "--calls-per-interval", "100", "--aht", "0", stderr=err)
    assert raised.value.returncode == 2
    assert "error: --aht: must be > 0" in err.getvalue()


def test_staff_from_the_shell_pastes_as_tsv():
    result = guichet("wfm", "staff", "--calls-per-interval", "120", "--aht", "300", "--patience", "200",
                     "--format", "tsv")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert header.split("\t")[:3] == ["Agents", "P(wait)", "Service level"]
    assert rows and all(len(row.split("\t")) == 7 for row in rows)


@pytest.mark.parametrize(("args", "message"), [
    (["--calls-per-interval", "-3", "--aht", "240"], "error: --calls-per-interval: must be > 0"),
    (["--calls-per-interval", "50", "--aht", "240", "--patience", "0"], "error: --patience: must be > 0"),
    (["--calls-per-interval", "50", "--aht", "240", "--service-level", "1.5"], "error: --service-level"),
])
def test_staff_from_the_shell_rejects_bad_input(args, message):
    result = guichet("wfm", "staff", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda path: path.name)
def test_every_example_scenario_simulates(scenario):
    out = io.StringIO()
    call_command("wfm", "simulate", str(scenario), "--replications", "1", stdout=out)
    text = out.getvalue()
    assert text.startswith("Scenario: ")
    assert "Day: service level" in text


def test_simulate_from_the_shell_and_a_missing_file():
    ok = guichet("wfm", "simulate", str(SCENARIOS[0]), "--replications", "1", "--format", "csv")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0].startswith("Start,Offered,Answered,Abandoned,SL")
    missing = guichet("wfm", "simulate", "no-such-day.yaml")
    assert missing.returncode == 2
    assert "no-such-day.yaml" in missing.stderr


def test_unknown_subcommand_is_refused():
    result = guichet("wfm", "schedule")
    assert result.returncode != 0
    assert "invalid choice" in result.stderr
