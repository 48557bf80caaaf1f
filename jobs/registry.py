"""Job kinds: what each kind is called and which service function runs it.

A service is ``fn(job: Job, ctx: JobContext) -> dict | None``; the dict becomes the job's result.
Later capabilities add their kinds here (export, register, train, evaluate, predict).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class JobKind:
    label: str
    service: str  # dotted path, imported lazily so tasks stay thin
    # Which queue its messages go to: "interactive" for work that must start at once and is short
    # (or that only starts remote work and then parks, see jobs.runner), "batch" for work that holds
    # a worker for minutes (exports, registrations). settings.JOB_QUEUES maps them to queue names.
    queue: str = "batch"
    # Retry (jobs.services.job_retry); both dotted paths, both optional. ``retry_offer``,
    # fn(job) -> jobs.services.RetryOffer, is cheap (no network: every job page asks it): whether
    # the page offers Retry, with which label and confirmation, or why not and what to change
    # instead. ``retry``, fn(job) -> dict, runs when the user presses Retry and returns the new
    # job's params; it may prepare the service first (delete a failed model) or raise
    # jobs.errors.RetryRefused. Without them: a plain Retry with the same params.
    retry: str | None = None
    retry_offer: str | None = None


KINDS: dict[str, JobKind] = {
    "check_connections": JobKind(
        label="Check connections",
        service="workspaces.connection_checks.connections_check",
        queue="interactive",
    ),
    "export_project": JobKind(label="Export project", service="migrator.services.export.project_export"),
    "register_dataset": JobKind(
        label="Register dataset",
        service="customization.services.datasets.dataset_register",
        retry_offer="customization.services.retry.register_retry_offer",
    ),
    "train_model": JobKind(
        label="Train model",
        service="customization.services.training.model_train",
        queue="interactive",
        retry="customization.services.retry.train_retry",
        retry_offer="customization.services.retry.train_retry_offer",
    ),
    "evaluate_model": JobKind(
        label="Evaluate model",
        service="customization.services.training.model_evaluate",
        queue="interactive",
        retry="customization.services.retry.evaluate_retry",
        retry_offer="customization.services.retry.evaluate_retry_offer",
    ),
    "predict": JobKind(
        label="Prediction",
        service="customization.services.training.predict",
        queue="interactive",
        retry_offer="customization.services.retry.predict_retry_offer",
    ),
}


def kind_label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind.replace("_", " ").capitalize()


def queue_for(kind: str) -> str:
    """The Celery queue of a kind's messages (unknown kinds go to the batch queue)."""
    from django.conf import settings

    lane = KINDS[kind].queue if kind in KINDS else "batch"
    return settings.JOB_QUEUES[lane]


def service_for(kind: str) -> Any:
    module, _, name = KINDS[kind].service.rpartition(".")
    return getattr(import_module(module), name)


def _register_extra_kinds() -> None:
    """Kinds named in settings.JOB_EXTRA_KINDS ("kind=dotted.path"): used by the test suite."""
    from django.conf import settings

    for spec in getattr(settings, "JOB_EXTRA_KINDS", []):
        kind, _, path = spec.partition("=")
        KINDS[kind] = JobKind(label=kind.replace("_", " ").capitalize(), service=path)


_register_extra_kinds()
