"""Shared infrastructure: durable background jobs and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Job(models.Model):
    """A unit of slow or external work (send an SMS, call an integration, fire a timer).

    Jobs are rows written in the same transaction as the change that needs them (an outbox), so a crash can
    neither lose them nor run them for a change that rolled back. Workers claim them with row locks.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    run_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    last_error = models.TextField(blank=True)
    # Makes enqueueing idempotent: a provider retry that asks for the same work finds the existing job.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_at"], name="job_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} ({self.status})"


class AuditEvent(models.Model):
    """Who did what to which object: merges, role changes, exports, transfers."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=100)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["action", "created_at"], name="audit_action_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
