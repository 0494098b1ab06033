"""Durable background jobs: enqueue inside a transaction, run with retries in a worker.

    @job_handler("omnichannel.send")
    def send(payload): ...

    enqueue_job("omnichannel.send", {"message_id": 5}, key="send:5")

A handler raising `RetryLater` or any exception is retried with exponential backoff until `max_attempts`;
`PermanentFailure` stops at once. Handlers must be idempotent: a job may run again after a crash.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from guichet.core.models import Job

logger = logging.getLogger("guichet.jobs")

JobHandler = Callable[[dict[str, Any]], None]
_HANDLERS: dict[str, JobHandler] = {}


class PermanentFailure(Exception):
    """The job can never succeed (bad payload, rejected by the provider): do not retry."""


class RetryLater(Exception):
    """A passing failure (timeout, 5xx): retry with backoff."""


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(func: JobHandler) -> JobHandler:
        _HANDLERS[kind] = func
        return func

    return register


def enqueue_job(
    kind: str,
    payload: dict[str, Any],
    *,
    delay_s: float = 0,
    key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    run_at = timezone.now() + timedelta(seconds=delay_s)
    if key is not None:
        existing = Job.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return Job.objects.create(
                kind=kind, payload=payload, run_at=run_at, idempotency_key=key, max_attempts=max_attempts
            )
    except IntegrityError:
        return Job.objects.get(idempotency_key=key)


def _claim_due_job(kinds: set[str] | None) -> Job | None:
    with transaction.atomic():
        due = Job.objects.filter(status=Job.Status.PENDING, run_at__lte=timezone.now())
        if kinds:
            due = due.filter(kind__in=kinds)
        due = due.order_by("run_at", "id")
        if settings.IS_POSTGRES:
            due = due.select_for_update(skip_locked=True)
        job = due.first()
        if job is None:
            return None
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.save(update_fields=["status", "attempts"])
        return job


def _backoff_s(attempts: int) -> float:
    return min(300.0, 2.0 ** attempts)


def run_job(job: Job) -> None:
    handler = _HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise PermanentFailure(f"no handler registered for {job.kind!r}")
        handler(job.payload)
    except PermanentFailure as exc:
        _finish(job, Job.Status.FAILED, str(exc))
        logger.warning("job.failed kind=%s id=%s error=%s", job.kind, job.pk, exc)
    except Exception as exc:  # noqa: BLE001 - any other failure is treated as passing and retried
        if job.attempts >= job.max_attempts:
            _finish(job, Job.Status.FAILED, repr(exc))
            logger.warning("job.gave_up kind=%s id=%s error=%r", job.kind, job.pk, exc)
        else:
            job.status = Job.Status.PENDING
            job.last_error = repr(exc)
            job.run_at = timezone.now() + timedelta(seconds=_backoff_s(job.attempts))
            job.save(update_fields=["status", "last_error", "run_at"])
            logger.info("job.retry kind=%s id=%s attempt=%s error=%r", job.kind, job.pk, job.attempts, exc)
    else:
        _finish(job, Job.Status.DONE, "")


def _finish(job: Job, status: str, error: str) -> None:
    job.status = status
    job.last_error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "last_error", "finished_at"])


def run_due_jobs(limit: int = 100, kinds: set[str] | None = None) -> int:
    """Run up to `limit` due jobs in this thread; returns how many ran. Tests call this directly."""
    ran = 0
    while ran < limit:
        job = _claim_due_job(kinds)
        if job is None:
            break
        run_job(job)
        ran += 1
    return ran


def work_forever(poll_s: float = 0.5, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    logger.info("worker.started")
    while not stop.is_set():
        close_old_connections()
        try:
            ran = run_due_jobs()
        except Exception:  # noqa: BLE001 - the worker must survive a bad job or a lost connection
            logger.exception("worker.loop_error")
            ran = 0
        if not ran:
            stop.wait(poll_s)
    logger.info("worker.stopped")


def start_embedded_worker() -> threading.Event:
    """Run the worker in a daemon thread of the web process (embedded mode: one process, no extra server)."""
    stop = threading.Event()
    thread = threading.Thread(target=work_forever, kwargs={"stop": stop}, name="guichet-worker", daemon=True)
    thread.start()
    time.sleep(0)  # let the thread start before the server takes the main thread
    return stop
