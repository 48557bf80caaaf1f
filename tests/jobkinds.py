"""Job kinds used only by the test suite: ``register()`` adds them, in the test process
(tests/conftest.py) and in the Celery workers the suite starts (tests/run_worker.py)."""

from __future__ import annotations

import time

from jobs.errors import JobError


def count(job, ctx) -> dict:
    """Count to params["steps"], sleeping params["delay"] seconds per step."""
    steps = int(job.params.get("steps", 5))
    delay = float(job.params.get("delay", 0.1))
    for i in range(steps):
        ctx.progress(i, steps, f"Step {i + 1} of {steps}")
        time.sleep(delay)
    ctx.progress(steps, steps, "Counted.")
    return {"counted": steps}


def crash(job, ctx) -> None:
    ctx.progress(1, 2, "About to crash")
    raise RuntimeError("simulated bug in a service")


def expected_failure(job, ctx) -> None:
    raise JobError("source_missing", "The source file is missing: upload it again.", detail="looked in /x")


def waits(job, ctx) -> dict:
    """Park params["waits"] times for params["delay"] seconds, as a training job waits on its service."""
    waits = int(job.params.get("waits", 3))
    done = ctx.state.get("done", 0)
    if done < waits:
        ctx.state["done"] = done + 1
        ctx.progress(done, waits, f"Waited {done} of {waits} times")
        ctx.wait(float(job.params.get("delay", 0.5)))
    return {"waited": done, "resumed": ctx.resumed}


TEST_KINDS = {
    "test_count": "tests.jobkinds.count",
    "test_crash": "tests.jobkinds.crash",
    "test_expected": "tests.jobkinds.expected_failure",
    "test_waits": "tests.jobkinds.waits",
}


def register() -> None:
    from jobs.registry import JobKind, kind_register

    for kind, service in TEST_KINDS.items():
        kind_register(kind, JobKind(label=kind.replace("_", " ").capitalize(), service=service))
