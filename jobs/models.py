"""The Job row: the durable record of every piece of background work (state, progress, outcome)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from jobs.fields import UNFINISHED, DurationMs
from workspaces.models import Workspace


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="jobs")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # The username when the job was started: what the history shows and sorts on, as an audit log
    # does (it stays when the account is renamed or deleted).
    actor_name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=40)
    target = models.CharField(max_length=300, blank=True, help_text="What the job works on.")
    params = models.JSONField(default=dict, blank=True)  # never secrets
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    cancel_requested = models.BooleanField(default=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    error_detail = models.TextField(blank=True, help_text="Shown to workspace admins only.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Kept by the database from the two times above, for the history's duration sort: milliseconds
    # from start to finish, 0 for a job that ended before it started, UNFINISHED (larger than any
    # duration) until it ends, so that one index serves both directions on every database.
    duration_ms = models.GeneratedField(
        expression=DurationMs("started_at", "finished_at"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Delivery bookkeeping (jobs.services.jobs_sweep_queued): when the last message for this job was
    # sent to the broker and how many were sent; a queued job nobody claims is sent again.
    sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    # A RUNNING job that waits on a remote service is parked: no worker holds it until ``wake_at``,
    # when a delayed message runs its service again with the ``state`` it left (jobs.runner).
    wake_at = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)  # the service's own, never shown
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )

    UNFINISHED = UNFINISHED

    class Meta:
        ordering = ["-created_at"]
        # The job history (jobs.selectors) reads one page by walking one of these from a cursor:
        # one per sort key, each ending in (created_at, id) so that every order is total; members
        # (their own jobs only) walk the actor one.
        indexes = [
            models.Index(fields=["workspace", "created_at", "id"], name="job_ws_created"),
            models.Index(fields=["workspace", "kind", "created_at", "id"], name="job_ws_kind"),
            models.Index(fields=["workspace", "status", "created_at", "id"], name="job_ws_status"),
            models.Index(fields=["workspace", "actor_name", "created_at", "id"], name="job_ws_actor_name"),
            models.Index(fields=["workspace", "duration_ms", "created_at", "id"], name="job_ws_duration"),
            models.Index(fields=["workspace", "actor", "created_at", "id"], name="job_ws_actor"),
            models.Index(fields=["kind", "finished_at"], name="job_kind_finished"),  # retention
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            models.Index(fields=["status", "sent_at"], name="job_status_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        if self.actor_id and not self.actor_name:
            self.actor_name = self.actor.get_username()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def poll_interval(self) -> str:
        """How often an open job page asks for news (htmx trigger): every 100 ms in a job's first
        2 seconds, when a prediction ends (a 500 ms poll was most of its time on screen), every
        500 ms to 15 seconds, when most other short jobs end, then every 2 s."""
        age = (timezone.now() - self.created_at).total_seconds() if self.created_at else None
        if age is not None and age < 2:
            return "100ms"
        return "500ms" if age is not None and age < 15 else "2s"

    @property
    def can_cancel(self) -> bool:
        return self.is_active and not self.cancel_requested

    @property
    def can_retry(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.CANCELLED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def duration(self) -> timedelta | None:
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def kind_label(self) -> str:
        from jobs.registry import kind_label

        return kind_label(self.kind)

    @property
    def kind_spec(self):
        from jobs.registry import kind_spec

        return kind_spec(self.kind)


class WorkerSeen(models.Model):
    """A Celery worker that is alive, and the queues it takes jobs from (jobs.workers keeps it)."""

    hostname = models.CharField(max_length=200, primary_key=True)
    queues = models.JSONField(default=list)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.hostname} ({', '.join(self.queues)})"


class JobEvent(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    message = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.level}: {self.message}"


class JobCount(models.Model):
    """How many jobs a workspace has per (person, kind, status), as rows of +n and -n.

    Database triggers add a row when a job is inserted and two when its status, person or kind
    changes (jobs.counts), so a count is exact in the same transaction as the change, whatever
    code made it; nobody waits on a shared counter row. The beat sweep folds the rows into one
    per key. No foreign keys: a deleted workspace's rows go at the next fold.
    """

    workspace_id = models.UUIDField(db_index=True)
    actor_id = models.IntegerField(null=True)
    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10)
    n = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.actor_id} {self.kind} {self.status}: {self.n:+d}"
