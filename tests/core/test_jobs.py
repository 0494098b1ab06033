"""Durable background jobs: outbox semantics, idempotent enqueue, retries with backoff, the worker loop."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from guichet.core import jobs
from guichet.core.models import Job

pytestmark = pytest.mark.django_db

calls: list[dict] = []


@jobs.job_handler("test.record")
def record(payload):
    calls.append(payload)


@jobs.job_handler("test.flaky")
def flaky(payload):
    calls.append(payload)
    if len(calls) < payload["succeed_on"]:
        raise jobs.RetryLater("provider timed out")


@jobs.job_handler("test.rejected")
def rejected(payload):
    raise jobs.PermanentFailure("the provider rejected the number")


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()
    yield
    calls.clear()


def make_due(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now() - timedelta(seconds=1))


def test_a_job_runs_once_and_is_marked_done():
    job = jobs.enqueue_job("test.record", {"n": 1})
    assert jobs.run_due_jobs() == 1
    assert jobs.run_due_jobs() == 0
    job.refresh_from_db()
    assert calls == [{"n": 1}]
    assert (job.status, job.attempts, job.last_error) == ("done", 1, "")
    assert job.finished_at is not None


def test_the_same_key_enqueues_the_work_once():
    first = jobs.enqueue_job("test.record", {"n": 1}, key="send:1")
    again = jobs.enqueue_job("test.record", {"n": 1}, key="send:1")
    assert first.pk == again.pk
    jobs.run_due_jobs()
    assert calls == [{"n": 1}]


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs():
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue_job("test.record", {"n": 2})
        raise RuntimeError("the change that needed the job failed")
    assert Job.objects.count() == 0
    assert jobs.run_due_jobs() == 0


def test_a_delayed_job_waits_for_its_time():
    job = jobs.enqueue_job("test.record", {"n": 3}, delay_s=60)
    assert jobs.run_due_jobs() == 0
    make_due(job)
    assert jobs.run_due_jobs() == 1
    assert calls == [{"n": 3}]


def test_a_passing_failure_is_retried_later_then_succeeds():
    job = jobs.enqueue_job("test.flaky", {"succeed_on": 2})
    assert jobs.run_due_jobs() == 1
    job.refresh_from_db()
    assert job.status == "pending" and job.attempts == 1 and "provider timed out" in job.last_error
    assert job.run_at > timezone.now()  # backoff: not retried in the same pass
    assert jobs.run_due_jobs() == 0
    make_due(job)
    jobs.run_due_jobs()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)


def test_retries_stop_at_max_attempts():
    job = jobs.enqueue_job("test.flaky", {"succeed_on": 99}, max_attempts=2)
    jobs.run_due_jobs()
    make_due(job)
    jobs.run_due_jobs()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 2)
    make_due(job)
    assert jobs.run_due_jobs() == 0


def test_a_permanent_failure_is_not_retried():
    job = jobs.enqueue_job("test.rejected", {})
    jobs.run_due_jobs()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 1)
    assert "rejected the number" in job.last_error


def test_an_unknown_kind_fails_with_a_clear_error():
    job = jobs.enqueue_job("test.nobody-handles-this", {})
    jobs.run_due_jobs()
    job.refresh_from_db()
    assert job.status == "failed"
    assert "no handler registered" in job.last_error


def test_kinds_filter_runs_only_the_named_kinds():
    jobs.enqueue_job("test.record", {"n": 1})
    other = jobs.enqueue_job("test.rejected", {})
    assert jobs.run_due_jobs(kinds={"test.record"}) == 1
    other.refresh_from_db()
    assert other.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_thread_runs_jobs_until_stopped():
    done = threading.Event()

    @jobs.job_handler("test.signal")
    def signal(payload):
        done.set()

    stop = jobs.start_embedded_worker()
    try:
        jobs.enqueue_job("test.signal", {})
        assert done.wait(timeout=20), "the embedded worker did not run the job"
    finally:
        stop.set()
    assert Job.objects.get(kind="test.signal").status in {"running", "done"}
