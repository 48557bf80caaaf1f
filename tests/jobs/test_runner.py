"""The job runner through a real Celery worker: progress, cancel, failures, retry, lost workers."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from jobs.models import Job
from jobs.runner import job_run
from jobs.services import job_cancel, job_retry, job_start, jobs_sweep_lost
from tests.conftest import wait_for_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_a_job_to_success_with_progress(tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 5, "delay": 0.05},
    )
    job = wait_for_job(job)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"counted": 5}
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert job.attempts == 1
    assert job.started_at
    assert job.finished_at
    assert job.finished_at >= job.started_at
    messages = list(job.events.values_list("message", flat=True))
    assert messages[0] == "Queued by alice."
    assert messages[-1] == "Finished."


def test_it_reports_progress_while_running(tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 40, "delay": 0.1},
    )
    job = wait_for_job(job, lambda j: j.progress_done >= 3)
    assert job.status == Job.Status.RUNNING
    assert job.progress_total == 40
    assert job.progress_message.startswith("Step ")
    job_cancel(job=job, actor=tx_personas.alice)
    wait_for_job(job)


def test_it_cancels_a_running_job(tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 100, "delay": 0.1},
    )
    wait_for_job(job, lambda j: j.status == Job.Status.RUNNING and j.progress_done >= 1)
    job_cancel(job=job, actor=tx_personas.bob)
    job = wait_for_job(job, timeout=10)
    assert job.status == Job.Status.CANCELLED
    assert job.progress_done < 100
    assert job.events.filter(message="Cancel requested by bob.").exists()
    assert job.events.filter(message="Cancelled at the user's request.").exists()


def test_it_cancels_a_queued_job_before_it_starts(tx_personas):
    # Created without enqueueing, so no worker can claim it first.
    job = Job.objects.create(workspace=tx_personas.workspace, actor=tx_personas.alice, kind="test_count")
    job_cancel(job=job, actor=tx_personas.alice)
    assert job.status == Job.Status.CANCELLED
    job_run(job.pk)  # a late delivery does nothing
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert job.started_at is None


def test_it_records_an_unexpected_crash_with_its_traceback(tx_personas, celery_worker):
    job = wait_for_job(job_start(workspace=tx_personas.workspace, actor=tx_personas.alice, kind="test_crash"))
    assert job.status == Job.Status.FAILED
    assert job.error_code == "unexpected_error"
    assert "Retrying may help" in job.error_message
    assert "RuntimeError: simulated bug in a service" in job.error_detail
    assert "simulated bug" not in job.error_message  # internals stay in the admin-only detail


def test_it_records_an_expected_failure_with_its_message(tx_personas, celery_worker):
    job = wait_for_job(
        job_start(workspace=tx_personas.workspace, actor=tx_personas.alice, kind="test_expected")
    )
    assert job.status == Job.Status.FAILED
    assert job.error_code == "source_missing"
    assert job.error_message == "The source file is missing: upload it again."
    assert job.error_detail == "looked in /x"


def test_it_retries_a_failed_job_as_a_new_linked_job(tx_personas, celery_worker):
    failed = wait_for_job(
        job_start(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            kind="test_expected",
            target="file.json",
            params={"a": 1},
        )
    )
    retry = job_retry(job=failed, actor=tx_personas.bob)
    assert retry.pk != failed.pk
    assert (retry.retry_of_id, retry.kind, retry.target, retry.params) == (
        failed.pk,
        "test_expected",
        "file.json",
        {"a": 1},
    )
    assert retry.actor == tx_personas.bob
    assert wait_for_job(retry).status == Job.Status.FAILED


def test_it_refuses_to_retry_a_successful_job(tx_personas, celery_worker):
    done = wait_for_job(
        job_start(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            kind="test_count",
            params={"steps": 1, "delay": 0},
        )
    )
    with pytest.raises(ValueError, match="Only failed or cancelled"):
        job_retry(job=done, actor=tx_personas.alice)


def test_a_second_delivery_of_a_finished_job_does_nothing(tx_personas, celery_worker):
    job = wait_for_job(
        job_start(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            kind="test_count",
            params={"steps": 2, "delay": 0},
        )
    )
    events = job.events.count()
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 1
    assert job.events.count() == events


def test_a_killed_worker_is_detected_and_the_job_can_be_retried(tx_personas, celery_worker, settings):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 200, "delay": 0.1},
    )
    wait_for_job(job, lambda j: j.progress_done >= 2)
    celery_worker.kill()  # SIGKILL, mid-job
    try:
        assert jobs_sweep_lost() == 0  # its heartbeat is still fresh
        time.sleep(settings.JOB_LOST_AFTER_SECONDS + 1)
        assert jobs_sweep_lost() == 1
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        assert job.error_code == "worker_lost"
        assert "stopped answering" in job.error_message
    finally:
        celery_worker.start()
    retry = job_retry(job=job, actor=tx_personas.alice)
    retry.params = {"steps": 2, "delay": 0}
    retry.save(update_fields=["params"])
    assert wait_for_job(retry).status == Job.Status.SUCCEEDED


@override_settings(JOB_LOST_AFTER_SECONDS=0)
def test_a_redelivered_job_with_a_stale_heartbeat_is_taken_over(tx_personas):
    job = Job.objects.create(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 2, "delay": 0},
        status=Job.Status.RUNNING,
        attempts=1,
    )
    Job.objects.filter(pk=job.pk).update(heartbeat_at=job.created_at, started_at=job.created_at)
    job_run(job.pk)  # what an acks_late redelivery does after the first worker died
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2
    assert job.events.filter(message="Its worker was lost; picked up again.").exists()
