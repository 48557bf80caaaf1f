"""The one place that runs a job: claim, heartbeat, progress, cancel, outcome.

Services never see Celery. They receive the Job and a JobContext whose ``progress(done, total,
message)`` is a throttled conditional UPDATE: when it touches no row, the user cancelled (or the
sweep declared the job lost) and the service is stopped by JobCancelled. Delivering the same
job twice is harmless: only one delivery can claim a queued job.

A service that only waits on a remote service (a training, an evaluation) calls
``ctx.wait(seconds)`` instead of sleeping: the job stays RUNNING but is *parked* (``wake_at``), the
worker slot is free at once, and a delayed message runs the service again later with the
``ctx.state`` it kept. The service is written as one step that looks at its state and either
finishes, fails, or waits again.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import traceback
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F
from django.utils import timezone

from azureclient.errors import ServiceError
from jobs.errors import JobCancelled, JobError, JobWaiting
from jobs.models import Job, JobEvent
from jobs.registry import service_for

logger = logging.getLogger(__name__)

UNEXPECTED_MESSAGE = (
    "The job stopped on an unexpected error. Retrying may help; if it happens again, "
    "a workspace admin can read the technical detail on this page."
)


class JobContext:
    """What a service gets to talk back to its job."""

    def __init__(self, job: Job, min_interval: float | None = None, *, resumed: bool = False) -> None:
        self.job = job
        self.min_interval = settings.JOB_PROGRESS_MIN_INTERVAL if min_interval is None else min_interval
        self._last_write = 0.0
        self._pending: tuple[int, int, str] | None = None
        self.resumed = resumed  # True when this run wakes a parked job
        self.state: dict[str, Any] = dict(job.state or {})

    def wait(self, seconds: float) -> None:
        """Park the job for ``seconds`` (no worker holds it meanwhile); the service runs again then."""
        raise JobWaiting(seconds)

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Record progress; raise JobCancelled if the job should stop. Writes are throttled."""
        self._pending = (done, total, message[:300])
        now = time.monotonic()
        if now - self._last_write >= self.min_interval or (total and done >= total):
            self.flush()

    def flush(self) -> None:
        if self._pending is None:
            self.check_cancel()
            return
        done, total, message = self._pending
        updated = Job.objects.filter(
            pk=self.job.pk, status=Job.Status.RUNNING, cancel_requested=False
        ).update(
            progress_done=done,
            progress_total=total,
            progress_message=message,
            heartbeat_at=timezone.now(),
        )
        self._last_write = time.monotonic()
        self._pending = None
        if updated != 1:
            raise JobCancelled()

    def check_cancel(self) -> None:
        if not Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING, cancel_requested=False).exists():
            raise JobCancelled()

    def log(self, message: str, level: str = JobEvent.Level.INFO) -> None:
        JobEvent.objects.create(job_id=self.job.pk, level=level, message=message)


class Heartbeat(threading.Thread):
    """Touches ``heartbeat_at`` while the service works, so the sweep can tell a dead worker."""

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a missed heartbeat must never kill the job itself
            logger.exception("Heartbeat for job %s failed", self.job_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def _claim(job_id: uuid.UUID | str) -> tuple[Job | None, bool]:
    """Move a queued job to running, or wake a parked one whose time has come.

    Returns (job, resumed), or (None, False) when this delivery has nothing to do.
    """
    now = timezone.now()
    # A parked job whose wake-up is due (a little early is fine: timers on two machines differ).
    if Job.objects.filter(
        pk=job_id, status=Job.Status.RUNNING, wake_at__lte=now + timedelta(seconds=1)
    ).update(wake_at=None, heartbeat_at=now):
        return Job.objects.get(pk=job_id), True
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED, cancel_requested=False).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if claimed:
        return Job.objects.get(pk=job_id), False
    if Job.objects.filter(pk=job_id, status=Job.Status.QUEUED, cancel_requested=True).update(
        status=Job.Status.CANCELLED, finished_at=now, progress_message="Cancelled before it started."
    ):
        return None, False
    # A redelivery (acks_late) after the first worker died: take over if its heartbeat is stale.
    stale = now - timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    if Job.objects.filter(
        pk=job_id, status=Job.Status.RUNNING, cancel_requested=False, wake_at=None, heartbeat_at__lt=stale
    ).update(heartbeat_at=now, attempts=F("attempts") + 1):
        job = Job.objects.get(pk=job_id)
        JobEvent.objects.create(
            job=job, level=JobEvent.Level.WARNING, message="Its worker was lost; picked up again."
        )
        return job, bool(job.state)
    return None, False


def _park(job: Job, ctx: JobContext, seconds: float) -> None:
    """Leave the job RUNNING with a wake-up time and its state, and send the delayed message."""
    from jobs.services import job_wake_later

    seconds = max(0.2, float(seconds))
    wake_at = timezone.now() + timedelta(seconds=seconds)
    if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, wake_at=None).update(
        wake_at=wake_at, state=ctx.state, heartbeat_at=timezone.now()
    ):
        job_wake_later(job, seconds)


def _finish(job: Job, status: str, **fields: Any) -> bool:
    """Conditional transition out of RUNNING; False if someone else ended the job first."""
    return bool(
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
            status=status, finished_at=timezone.now(), heartbeat_at=timezone.now(), **fields
        )
    )


def job_run(job_id: uuid.UUID | str) -> None:
    """Run one job to its end. Called by the Celery task; safe to call twice."""
    close_old_connections()
    job, resumed = _claim(job_id)
    if job is None:
        logger.info("Job %s: nothing to do for this delivery", job_id)
        return
    ctx = JobContext(job, resumed=resumed)
    if not resumed:
        ctx.log(f"Started on {socket.gethostname()} (attempt {job.attempts}).")
    heartbeat = Heartbeat(job.pk)
    heartbeat.start()
    try:
        if not resumed:  # a parked service handles a cancel itself (it may have to stop remote work)
            ctx.check_cancel()
        result = service_for(job.kind)(job, ctx)
        ctx.flush()
    except JobWaiting as waiting:
        with contextlib.suppress(JobCancelled):  # seen when it wakes: it may have remote work to stop
            ctx.flush()
        _park(job, ctx, waiting.seconds)
    except JobCancelled:
        if _finish(job, Job.Status.CANCELLED, progress_message="Cancelled."):
            ctx.log("Cancelled at the user's request.", JobEvent.Level.WARNING)
    except (JobError, ServiceError) as exc:  # a service's known failure fails the job the same way
        if _finish(
            job,
            Job.Status.FAILED,
            error_code=exc.code,
            error_message=exc.message,
            error_detail=exc.detail,
            result=getattr(exc, "result", None),
        ):
            ctx.log(f"Failed: {exc.message}", JobEvent.Level.ERROR)
    except Exception as exc:
        logger.exception("Job %s (%s) crashed", job.pk, job.kind)
        if _finish(
            job,
            Job.Status.FAILED,
            error_code="unexpected_error",
            error_message=UNEXPECTED_MESSAGE,
            error_detail="".join(traceback.format_exception(exc)),
        ):
            ctx.log(f"Failed on an unexpected error ({type(exc).__name__}).", JobEvent.Level.ERROR)
    else:
        if _finish(job, Job.Status.SUCCEEDED, result=result):
            ctx.log("Finished.")
    finally:
        heartbeat.stop()
