"""Job kinds: what each kind is called, which service runs it, and how its page shows the result.

Each app registers its own kinds in its ``AppConfig.ready()`` with ``kind_register``; this module
names no app. A service is ``fn(job: Job, ctx: JobContext) -> dict | None``; the dict becomes the
job's result. The test suite registers its test-only kinds from ``tests/conftest.py``.
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
    # The template the job page includes when the job has a result (it sees ``job``); without
    # one, the page shows the result as plain data (jobs/_result.html).
    result_template: str | None = None
    # Retention (jobs.services.jobs_sweep_expired): the name of a setting that says after how many
    # days a finished job of this kind is deleted (0 or unset: kept); ``on_expire``, a dotted
    # fn(params: list[dict]), removes what those jobs kept outside the database first.
    keep_days_setting: str | None = None
    on_expire: str | None = None


KINDS: dict[str, JobKind] = {}


def kind_register(kind: str, spec: JobKind) -> None:
    """Add a kind; registering one name twice with a different spec is a programming error."""
    if KINDS.get(kind, spec) != spec:
        raise ValueError(f"Job kind {kind!r} is already registered as {KINDS[kind]}.")
    KINDS[kind] = spec


def kind_label(kind: str) -> str:
    return KINDS[kind].label if kind in KINDS else kind.replace("_", " ").capitalize()


def kind_spec(kind: str) -> JobKind | None:
    return KINDS.get(kind)


def queue_for(kind: str) -> str:
    """The Celery queue of a kind's messages (unknown kinds go to the batch queue)."""
    from django.conf import settings

    lane = KINDS[kind].queue if kind in KINDS else "batch"
    return settings.JOB_QUEUES[lane]


def dotted(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def service_for(kind: str) -> Any:
    return dotted(KINDS[kind].service)


def extra_kinds_register(specs: list[str]) -> None:
    """Kinds given as "kind=dotted.path" (settings.JOB_EXTRA_KINDS): how the soak test gives its
    counting kind to the processes of `make run`, which it does not start itself."""
    for spec in specs:
        kind, _, path = spec.partition("=")
        kind_register(kind, JobKind(label=kind.replace("_", " ").capitalize(), service=path))
