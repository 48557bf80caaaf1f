"""Parked jobs hold no worker; a queued job whose message was lost is sent again; a queue that no
worker takes fails its jobs with a sentence that says so. Through a real Celery worker and broker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from jobs.models import Job, JobEvent, WorkerSeen
from jobs.services import job_cancel, job_start, jobs_sweep_lost, jobs_sweep_parked, jobs_sweep_queued
from tests.conftest import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_parked_job_resumes_with_its_state_until_it_ends(tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_waits",
        params={"waits": 3, "delay": 0.3},
    )
    job = wait_for_job(job)
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    assert job.result == {"waited": 3, "resumed": True}
    assert job.wake_at is None
    assert job.events.filter(message__startswith="Started on").count() == 1


def test_parked_jobs_leave_every_worker_slot_free(tx_personas, celery_worker):
    """Eight jobs that wait (more than the worker's four slots) do not delay a short job."""
    waiting = [
        job_start(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            kind="test_waits",
            params={"waits": 8, "delay": 1.0},
        )
        for _ in range(8)
    ]
    wait_for_job(waiting[-1], lambda j: j.status == Job.Status.RUNNING and j.wake_at is not None)
    started = time.monotonic()
    short = wait_for_job(
        job_start(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            kind="test_count",
            params={"steps": 1, "delay": 0},
        ),
        timeout=10,
    )
    assert short.status == Job.Status.SUCCEEDED
    assert time.monotonic() - started < 3
    assert Job.objects.filter(pk__in=[j.pk for j in waiting], status=Job.Status.RUNNING).count() == 8
    for job in waiting:
        job_cancel(job=job, actor=tx_personas.alice)
    for job in waiting:
        assert wait_for_job(job).status == Job.Status.CANCELLED


def test_a_queued_job_whose_message_was_lost_is_sent_again(tx_personas, celery_worker):
    # A job row with no message at all, as when the broker lost it.
    job = Job.objects.create(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 1, "delay": 0},
        sent_at=timezone.now() - timedelta(minutes=5),
        sends=1,
    )
    assert jobs_sweep_queued() == (1, 0)
    job = wait_for_job(job)
    assert job.status == Job.Status.SUCCEEDED
    assert job.sends == 2
    assert job.events.filter(message__contains="sent again").exists()


def test_a_job_that_no_worker_takes_fails_with_a_sentence_after_a_few_sends(tx_personas, celery_worker):
    queues = {"batch": "nobody-listens-here", "interactive": "nobody-listens-here"}
    with override_settings(JOB_QUEUES=queues, JOB_MAX_SENDS=3):
        job = job_start(workspace=tx_personas.workspace, actor=tx_personas.alice, kind="test_count")
        for sends in (2, 3):
            Job.objects.filter(pk=job.pk).update(sent_at=timezone.now() - timedelta(minutes=2))
            assert jobs_sweep_queued() == (1, 0)
            job.refresh_from_db()
            assert (job.status, job.sends) == (Job.Status.QUEUED, sends)
        Job.objects.filter(pk=job.pk).update(sent_at=timezone.now() - timedelta(minutes=2))
        assert jobs_sweep_queued() == (0, 1)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "no_worker"
    assert "No worker is taking Test count jobs" in job.error_message
    assert "nobody-listens-here" in job.error_message


def test_a_job_waiting_behind_busy_workers_is_not_failed(tx_personas, celery_worker):
    """Its queue has a live worker: after the last send it keeps waiting its turn, however long."""
    deadline = time.monotonic() + 10
    while not WorkerSeen.objects.exists():  # the session's worker says it is alive every second
        assert time.monotonic() < deadline, "the worker never recorded itself as alive"
        time.sleep(0.2)
    with override_settings(JOB_MAX_SENDS=3, JOB_QUEUES={"batch": "busy-queue", "interactive": "busy-queue"}):
        WorkerSeen.objects.create(hostname="busy@elsewhere", queues=["busy-queue"])
        job = Job.objects.create(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            kind="test_count",
            sent_at=timezone.now() - timedelta(minutes=2),
            sends=3,
        )
        assert jobs_sweep_queued() == (0, 0)
        job.refresh_from_db()
        assert (job.status, job.sends) == (Job.Status.QUEUED, 3)
        Job.objects.filter(pk=job.pk).update(sent_at=timezone.now() - timedelta(minutes=4))
        assert jobs_sweep_queued() == (1, 0)  # now and then it is sent again, in case it was lost
    job.refresh_from_db()
    assert (job.status, job.sends) == (Job.Status.QUEUED, 4)


def test_a_parked_job_whose_wake_up_was_lost_is_woken_by_the_sweep(tx_personas, celery_worker):
    job = Job.objects.create(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_waits",
        params={"waits": 1},
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        wake_at=timezone.now() - timedelta(minutes=5),
        state={"done": 1},
        attempts=1,
    )
    assert jobs_sweep_lost() == 0  # a parked job holds no worker: it is not lost
    assert jobs_sweep_parked() == 1
    job = wait_for_job(job)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"waited": 1, "resumed": True}


def test_a_job_whose_worker_died_between_two_checks_is_checked_again_not_failed(tx_personas, celery_worker):
    stale = timezone.now() - timedelta(minutes=5)
    job = Job.objects.create(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_waits",
        params={"waits": 1},
        status=Job.Status.RUNNING,
        started_at=stale,
        heartbeat_at=stale,
        state={"done": 1},
        attempts=1,
    )
    assert jobs_sweep_lost() == 0
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.wake_at is not None
    assert JobEvent.objects.filter(job=job, message__contains="checking again").exists()
    job = wait_for_job(job)
    assert job.status == Job.Status.SUCCEEDED


def test_a_cancel_reaches_a_parked_job(tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_waits",
        params={"waits": 50, "delay": 0.5},
    )
    wait_for_job(job, lambda j: j.progress_done >= 2)
    job_cancel(job=job, actor=tx_personas.alice)
    job = wait_for_job(job, timeout=10)
    assert job.status == Job.Status.CANCELLED
