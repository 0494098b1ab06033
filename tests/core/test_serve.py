"""`python -m guichet serve`: a real server with its extra processes, and the helpers behind it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guichet.core.management import server
from tests.browser.helpers import free_port, http_status

REPO_DIR = Path(__file__).resolve().parents[2]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) still answers kill(0): read its state.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def wait_for(predicate, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_extra_processes_must_be_argv_lists(settings):
    settings.GUICHET_EXTRA_PROCESSES = [["guichet-smtp", "--port", "2525"]]
    assert server.extra_process_argvs() == [["guichet-smtp", "--port", "2525"]]
    settings.GUICHET_EXTRA_PROCESSES = ["guichet-smtp --port 2525"]
    with pytest.raises(ValueError, match="argv lists"):
        server.extra_process_argvs()
    settings.GUICHET_EXTRA_PROCESSES = [[]]
    with pytest.raises(ValueError):
        server.extra_process_argvs()


def test_stop_processes_terminates_children_and_kills_stubborn_ones():
    polite = [sys.executable, "-c", "import time; time.sleep(600)"]
    stubborn = [sys.executable, "-c",
                "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('ready', flush=True); time.sleep(600)"]
    children = server.start_extra_processes([polite])
    children.append(subprocess.Popen(stubborn, stdout=subprocess.PIPE, text=True))
    assert children[1].stdout.readline().strip() == "ready"
    server.stop_processes(children, timeout_s=1)
    assert [child.returncode for child in children] == [-signal.SIGTERM, -signal.SIGKILL]


def test_banner_lists_the_pages_and_the_demo_logins(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    (tmp_path / "demo-logins.txt").write_text("# comment\nagent_en agent_en s3cret-passw0rd\n")
    text = server.banner("http://127.0.0.1:8000")
    urls = {word for word in text.split() if word.startswith("http")}
    assert urls == {f"http://127.0.0.1:8000{path}" for path in ("/", "/fr/", "/desk/", "/supervisor/", "/admin/")}
    assert "agent_en / s3cret-passw0rd" in text


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_http_and_stops_its_extra_processes(tmp_path, stop_signal):
    port = free_port()
    pid_file = tmp_path / "extra.pid"
    env = {key: value for key, value in os.environ.items()
           if key not in {"GUICHET_DATABASE_URL", "GUICHET_REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "tests.core.serve_settings", "GUICHET_VAR_DIR": str(tmp_path),
                "GUICHET_TEST_EXTRA_PID_FILE": str(pid_file),
                "PYTHONPATH": os.pathsep.join([str(REPO_DIR), str(REPO_DIR / "src")])})
    subprocess.run([sys.executable, "-m", "guichet", "migrate", "--noinput", "-v", "0", "--skip-checks"],
                   env=env, cwd=REPO_DIR, check=True, stdin=subprocess.DEVNULL)
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "guichet", "serve", "--port", str(port)],
                               env=env, cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: http_status(f"{base}/static/guichet/app.css") == 200), (
            (tmp_path / "serve.log").read_text())
        assert wait_for(pid_file.exists)
        extra_pid = int(pid_file.read_text())
        assert pid_alive(extra_pid)
        output = (tmp_path / "serve.log").read_text()
        assert f"{base}/desk/" in output and f"{base}/fr/" in output
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        assert wait_for(lambda: not pid_alive(extra_pid), timeout_s=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
