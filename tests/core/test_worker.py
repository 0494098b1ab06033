"""`python -m guichet worker`: claims due jobs from the shared database and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.browser.helpers import REPO_DIR, embedded_env, free_port, manage
from tests.core.test_serve import wait_for

ENQUEUE = ("from guichet.core.jobs import enqueue_job; "
           "print(enqueue_job('test.worker-has-no-handler-for-this', {'n': 1}).pk)")
STATUS = "from guichet.core.models import Job; j = Job.objects.get(pk={pk}); print(j.status, '|', j.last_error)"


def job_status(env: dict[str, str], pk: int) -> tuple[str, str]:
    status, _, error = manage(env, "shell", "-c", STATUS.format(pk=pk)).stdout.strip().splitlines()[-1].partition("|")
    return status.strip(), error.strip()


def test_worker_runs_due_jobs_and_exits_on_sigterm(tmp_path):
    env = embedded_env(tmp_path, free_port(), GUICHET_EMBEDDED_WORKER="0")
    manage(env, "migrate", "--noinput", "-v", "0", "--skip-checks")
    pk = int(manage(env, "shell", "-c", ENQUEUE).stdout.strip().splitlines()[-1])
    worker = subprocess.Popen([sys.executable, "-m", "guichet", "worker", "--poll", "0.1"], env=env, cwd=REPO_DIR,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # No handler is registered for this kind: the worker claims it and fails it for good, with the reason.
        assert wait_for(lambda: job_status(env, pk)[0] == "failed", timeout_s=60)
        assert "no handler registered" in job_status(env, pk)[1]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
