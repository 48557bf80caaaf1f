"""Starting, cancelling, retrying and sweeping jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from jobs.models import Job, JobEvent
from jobs.registry import KINDS
from jobs.tasks import run_job_task
from workspaces.models import Workspace

LOST_MESSAGE = (
    "The worker running this job stopped answering (it was stopped, killed or lost its "
    "connection). Nothing after its last progress was saved; retry to run it again."
)


def job_enqueue(job: Job) -> None:
    """Send the job to a worker once the surrounding transaction has committed."""
    queue = KINDS[job.kind].queue or settings.CELERY_TASK_DEFAULT_QUEUE
    transaction.on_commit(lambda: run_job_task.apply_async(args=[str(job.pk)], queue=queue))


@transaction.atomic
def job_start(
    *,
    workspace: Workspace,
    actor: User | None,
    kind: str,
    target: str = "",
    params: dict[str, Any] | None = None,
    retry_of: Job | None = None,
) -> Job:
    if kind not in KINDS:
        raise ValueError(f"Unknown job kind {kind!r}")
    job = Job.objects.create(
        workspace=workspace,
        actor=actor,
        kind=kind,
        target=target,
        params=params or {},
        retry_of=retry_of,
    )
    who = actor.get_username() if actor else "the system"
    JobEvent.objects.create(job=job, message=f"Queued by {who}.")
    job_enqueue(job)
    return job


@transaction.atomic
def job_cancel(*, job: Job, actor: User) -> None:
    """Cancel a queued job at once; ask a running one to stop at its next progress tick."""
    now = timezone.now()
    if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, cancel_requested=True, finished_at=now,
        progress_message="Cancelled before it started.",
    ):
        JobEvent.objects.create(job=job, level="warning", message=f"Cancelled by {actor.get_username()}.")
    elif Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, cancel_requested=False).update(
        cancel_requested=True
    ):
        JobEvent.objects.create(
            job=job, level="warning", message=f"Cancel requested by {actor.get_username()}."
        )
    job.refresh_from_db()


def job_retry(*, job: Job, actor: User) -> Job:
    if not job.can_retry:
        raise ValueError("Only failed or cancelled jobs can be retried.")
    return job_start(
        workspace=job.workspace,
        actor=actor,
        kind=job.kind,
        target=job.target,
        params=job.params,
        retry_of=job,
    )


def jobs_sweep_lost() -> int:
    """Fail running jobs whose heartbeat is stale: their worker died. Returns how many."""
    stale = timezone.now() - timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    lost = 0
    for job_id in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", flat=True
    ):
        # Conditional per row: a job that heartbeats in the meantime is left alone.
        if Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, heartbeat_at__lt=stale).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            error_code="worker_lost",
            error_message=LOST_MESSAGE,
        ):
            JobEvent.objects.create(job_id=job_id, level="error", message="Marked as lost: no heartbeat.")
            lost += 1
    return lost
