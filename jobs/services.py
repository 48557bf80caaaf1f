"""Starting, cancelling, retrying and sweeping jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.errors import RetryRefused
from jobs.models import Job, JobEvent
from jobs.registry import KINDS, kind_label, queue_for
from jobs.tasks import run_job_task
from jobs.workers import queues_served
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

LOST_MESSAGE = (
    "The worker running this job stopped answering (it was stopped, killed or lost its "
    "connection). Nothing after its last progress was saved; retry to run it again."
)


NO_WORKER_MESSAGE = (
    "No worker is taking {label} jobs: nothing listens to the queue \u201c{queue}\u201d. Start one "
    "(make run does; elsewhere `celery -A config worker --queues {queue}`, see docs/deployment.md), "
    "then retry this job."
)


def job_send(job_id: object, kind: str, *, countdown: float | None = None) -> bool:
    """Publish the job's message now. A broker that is down is logged, never raised: the job stays
    as it is and the sweep sends it again (jobs_sweep_queued, jobs_sweep_parked)."""
    try:
        run_job_task.apply_async(args=[str(job_id)], queue=queue_for(kind), countdown=countdown)
    except Exception:  # kombu raises a zoo of connection errors; none may reach the user's request
        logger.warning(
            "Could not send job %s to the broker; the sweep will send it again", job_id, exc_info=True
        )
        return False
    return True


def job_enqueue(job: Job) -> None:
    """Send the job to a worker once the surrounding transaction has committed (``job.sent_at`` and
    ``job.sends`` are set by whoever created the row)."""
    transaction.on_commit(lambda: job_send(job.pk, job.kind))


def job_wake_later(job: Job, seconds: float) -> None:
    """The delayed message that wakes a parked job (jobs.runner)."""
    job_send(job.pk, job.kind, countdown=seconds)


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
        sent_at=timezone.now(),
        sends=1,
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
        status=Job.Status.CANCELLED,
        cancel_requested=True,
        finished_at=now,
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


@dataclass(frozen=True)
class RetryOffer:
    """What the page of a failed or cancelled job offers (a kind's ``retry_offer`` hook says)."""

    refusal: str = ""  # not empty: no Retry, and this sentence says what to change instead
    label: str = "Retry"  # the button, e.g. "Retry as eval-2" when the retry takes another name
    confirm: str = ""  # asked before the retry starts, e.g. that a failed model is deleted first
    link_text: str = ""  # with link_url: the step that replaces a retry ("Register again")
    link_url: str = ""


def _retry_hook(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def retry_offer(job: Job) -> RetryOffer | None:
    """What the job page offers for a retry; None while the job is active or after it succeeded.

    Cheap (no network): the job page asks it on every render."""
    if not job.can_retry:
        return None
    kind = KINDS.get(job.kind)
    if kind is None or not kind.retry_offer:
        return RetryOffer()
    return _retry_hook(kind.retry_offer)(job)


def retry_refusal(job: Job) -> str | None:
    """Why this job must not be retried and what to change instead, or None when Retry can work."""
    offer = retry_offer(job)
    if offer is None:
        return "Only failed or cancelled jobs can be retried."
    return offer.refusal or None


def job_retry(*, job: Job, actor: User) -> Job:
    """Start a new job that repeats ``job`` (``retry_of`` links the two; the old row stays as it was).

    What a retry repeats is the kind's decision: its ``retry`` hook returns the new job's params (a
    training first deletes its failed model at the service, an evaluation takes a new name); without
    one, the same params. Raises RetryRefused, with what to do instead, where a retry cannot work.
    """
    refusal = retry_refusal(job)
    if refusal:
        raise RetryRefused(refusal)
    hook = KINDS[job.kind].retry if job.kind in KINDS else None
    params = _retry_hook(hook)(job) if hook else job.params
    return job_start(
        workspace=job.workspace,
        actor=actor,
        kind=job.kind,
        target=job.target,
        params=params,
        retry_of=job,
    )


def jobs_sweep_lost() -> int:
    """Fail running jobs whose heartbeat is stale: their worker died. Returns how many.

    Parked jobs hold no worker and are left to jobs_sweep_parked. A job that was awake between two
    waits when its worker died (it has a state) is parked again rather than failed: its remote work
    goes on, and the next wake-up looks at it.
    """
    stale = timezone.now() - timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    lost = 0
    candidates = Job.objects.filter(status=Job.Status.RUNNING, wake_at=None, heartbeat_at__lt=stale)
    for job_id, kind, state in candidates.values_list("pk", "kind", "state"):
        row = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, wake_at=None, heartbeat_at__lt=stale)
        if state:
            if row.update(wake_at=timezone.now()):
                JobEvent.objects.create(
                    job_id=job_id,
                    level="warning",
                    message="Its worker was lost between two checks; checking again.",
                )
                job_send(job_id, kind)
            continue
        # Conditional per row: a job that heartbeats in the meantime is left alone.
        if row.update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            error_code="worker_lost",
            error_message=LOST_MESSAGE,
        ):
            JobEvent.objects.create(job_id=job_id, level="error", message="Marked as lost: no heartbeat.")
            lost += 1
    return lost


def jobs_sweep_parked() -> int:
    """Wake parked jobs whose wake-up message is overdue (lost with a broker or a worker)."""
    overdue = timezone.now() - timedelta(seconds=settings.JOB_RESEND_AFTER_SECONDS)
    woken = 0
    for job_id, kind in Job.objects.filter(status=Job.Status.RUNNING, wake_at__lt=overdue).values_list(
        "pk", "kind"
    ):
        woken += job_send(job_id, kind)
    return woken


def jobs_sweep_queued() -> tuple[int, int]:
    """Send again the queued jobs that no worker claimed in time; fail those no worker can take.

    A message can be lost (a broker restarted without its data, a publish while the broker was
    down). The claim is idempotent, so sending twice is harmless. After JOB_MAX_SENDS sends, a job
    whose queue has no live worker fails with a sentence that says so; a job whose workers are only
    busy keeps waiting (and is sent again at most every JOB_RESEND_AFTER_SECONDS × JOB_MAX_SENDS).
    Returns (sent, failed).
    """
    now = timezone.now()
    due = now - timedelta(seconds=settings.JOB_RESEND_AFTER_SECONDS)
    served = queues_served()
    sent = failed = 0
    for job_id, kind, sends, sent_at in Job.objects.filter(
        status=Job.Status.QUEUED, cancel_requested=False, sent_at__lt=due
    ).values_list("pk", "kind", "sends", "sent_at"):
        queue = queue_for(kind)
        if sends >= settings.JOB_MAX_SENDS and queue not in served:
            if Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
                status=Job.Status.FAILED,
                finished_at=now,
                error_code="no_worker",
                error_message=NO_WORKER_MESSAGE.format(label=kind_label(kind), queue=queue),
            ):
                JobEvent.objects.create(
                    job_id=job_id, level="error", message=f"No worker takes queue {queue}."
                )
                failed += 1
            continue
        if sends >= settings.JOB_MAX_SENDS and sent_at > now - settings.JOB_MAX_SENDS * (now - due):
            continue  # its workers are alive and busy: it is waiting its turn, not lost
        if Job.objects.filter(pk=job_id, status=Job.Status.QUEUED, sends=sends).update(
            sent_at=now, sends=F("sends") + 1
        ) and job_send(job_id, kind):
            if sends == 1:
                JobEvent.objects.create(
                    job_id=job_id, level="warning", message="No worker had picked it up yet; sent again."
                )
            sent += 1
    return sent, failed


EXPIRE_BATCH = 500


def jobs_sweep_expired(batch: int = EXPIRE_BATCH) -> int:
    """Delete finished jobs older than their kind's retention (JobKind.keep_days_setting), in
    batches, after the kind's ``on_expire`` removed their files. Returns how many were deleted."""
    from jobs.counts import jobs_delete
    from jobs.registry import KINDS, dotted

    deleted = 0
    for kind, spec in KINDS.items():
        days = getattr(settings, spec.keep_days_setting, 0) if spec.keep_days_setting else 0
        if not days:
            continue
        cutoff = timezone.now() - timedelta(days=days)
        expired = Job.objects.filter(kind=kind, finished_at__lt=cutoff, status__in=Job.TERMINAL)
        while rows := list(expired.values_list("pk", "params")[:batch]):
            if spec.on_expire:
                dotted(spec.on_expire)([params for _, params in rows])
            deleted += jobs_delete(pk for pk, _ in rows)
    return deleted
