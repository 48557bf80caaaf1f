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
    queue: str | None = None  # None: the default queue


KINDS: dict[str, JobKind] = {
    "check_connections": JobKind(
        label="Check connections", service="workspaces.connection_checks.connections_check"
    ),
    "export_project": JobKind(label="Export project", service="migrator.services.export.project_export"),
    "register_dataset": JobKind(label="Register dataset", service="customization.services.datasets.dataset_register"),
    "train_model": JobKind(label="Train model", service="customization.services.training.model_train"),
    "evaluate_model": JobKind(label="Evaluate model", service="customization.services.training.model_evaluate"),
    "predict": JobKind(label="Prediction", service="customization.services.training.predict"),
}


def kind_label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind.replace("_", " ").capitalize()


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
