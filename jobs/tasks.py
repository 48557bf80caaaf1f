"""Celery tasks: thin wrappers around the job runner and the lost-job sweep."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="jobs.run_job", acks_late=True)
def run_job_task(job_id: str) -> None:
    from jobs.runner import job_run

    job_run(job_id)


@shared_task(name="jobs.sweep_lost_jobs", ignore_result=True)
def sweep_lost_jobs_task() -> None:
    """Beat's sweep: lost running jobs, overdue parked jobs, queued jobs nobody claimed, expired
    jobs (retention), and the fold of the job counts."""
    from jobs.counts import counts_fold
    from jobs.services import jobs_sweep_expired, jobs_sweep_lost, jobs_sweep_parked, jobs_sweep_queued

    jobs_sweep_lost()
    jobs_sweep_parked()
    jobs_sweep_queued()
    jobs_sweep_expired()
    counts_fold()
