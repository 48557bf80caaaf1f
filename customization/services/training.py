"""Training, evaluation and prediction jobs: thin loops over the Vision REST API."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User

from customization.client import VisionClient
from customization.models import ModelRecord
from jobs.errors import JobCancelled, JobError
from jobs.labels import duration_text, name_label
from jobs.models import Job
from jobs.runner import JobContext
from jobs.services import job_start
from workspaces.models import Workspace

POLL_SECONDS = 2.0  # between two checks of a parked training or evaluation
CANCEL_WAIT_SECONDS = 60  # how long a cancelled training may take to stop at the service
TERMINAL = {"succeeded", "failed", "cancelled"}


def _record(job: Job, model: dict) -> None:
    ModelRecord.objects.filter(workspace=job.workspace, name=model["name"]).update(
        status=model.get("status", ""),
        cost_minutes=model.get("trainingCostInMinutes"),
        performance=model.get("modelPerformance") or {},
    )


def training_progress(status: object, elapsed: float) -> str:
    """The job's progress line: the service's status in words, and the time so far."""
    if status == "notStarted":
        return f"Waiting for the service to start training, {duration_text(elapsed)} so far"
    return f"{name_label(status)}, {duration_text(elapsed)} elapsed"


def model_train(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``train_model``: start training, follow it, cancel it if asked.

    One step per wake-up (see jobs.runner): the first run starts the training and parks the job;
    each later run reads the model once, records progress and parks again, so a training holds no
    worker while it trains. A cancel asks the service to stop and waits (parked) until it has.
    """
    p = job.params
    client = VisionClient.for_workspace(job.workspace)
    budget_s = max(1, int(float(p["budget_hours"]) * 3600))
    if "started" not in ctx.state:
        ModelRecord.objects.update_or_create(
            workspace=job.workspace,
            name=p["name"],
            defaults={
                "kind": p["kind"],
                "dataset": p["dataset"],
                "eval_dataset": p.get("eval_dataset", ""),
                "budget_hours": p["budget_hours"],
                "started_by": job.actor,
                "job": job,
                "status": "notStarted",
            },
        )
        model = client.model_train(
            p["name"],
            dataset=p["dataset"],
            kind=p["kind"],
            budget_hours=p["budget_hours"],
            eval_dataset=p.get("eval_dataset", ""),
        )
        ctx.log(f"Training {p['name']} ({p['kind']}) on {p['dataset']}, budget {p['budget_hours']} h.")
        ctx.state["started"] = time.time()
        ctx.progress(0, budget_s, training_progress(model.get("status"), 0))
        ctx.wait(POLL_SECONDS)
    model = client.model_get(p["name"])
    if "cancelling" in ctx.state:
        if model.get("status") in TERMINAL or time.time() - ctx.state["cancelling"] > CANCEL_WAIT_SECONDS:
            _record(job, model)
            raise JobCancelled()
        ctx.wait(1)
    if model.get("status") not in TERMINAL:
        elapsed = int(time.time() - ctx.state["started"])
        try:
            waiting = model.get("status") == "notStarted"  # the budget runs only once it trains
            done = 0 if waiting else min(elapsed, budget_s)
            ctx.progress(done, budget_s, training_progress(model.get("status"), elapsed))
        except JobCancelled:
            client.model_cancel(p["name"])
            ctx.log("Asked the service to cancel the training.", "warning")
            ctx.state["cancelling"] = time.time()
            ctx.wait(1)
        ctx.wait(POLL_SECONDS)
    _record(job, model)
    ctx.progress(budget_s, budget_s, f"Training {model['status']}.")
    if model["status"] != "succeeded":
        error = model.get("error") or {}
        raise JobError(
            error.get("code") or model["status"],
            error.get("message") or f"Training ended {model['status']}.",
            result={"model": model},
        )
    return {"model": model}


def model_evaluate(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``evaluate_model``: start the evaluation, then check it once per wake-up."""
    p = job.params
    client = VisionClient.for_workspace(job.workspace)
    if "started" not in ctx.state:
        evaluation = client.evaluation_start(p["model"], p["name"], p["dataset"])
        ctx.state["started"] = time.time()
    else:
        evaluation = client.evaluation_get(p["model"], p["name"])
    if evaluation.get("status") not in {"succeeded", "failed"}:
        ctx.progress(0, 1, f"Evaluation {evaluation.get('status')}…")
        ctx.wait(POLL_SECONDS)
    if evaluation["status"] != "succeeded":
        error = evaluation.get("error") or {}
        raise JobError(
            str(error.get("code") or "evaluation_failed"),
            str(error.get("message") or "Evaluation failed."),
            result={"evaluation": evaluation},
        )
    return {"evaluation": evaluation}


def prediction_path(job_id: object, extension: str) -> Path:
    folder = Path(settings.VAR_DIR) / "predictions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}{extension}"


def prediction_files_delete(params: list[dict]) -> None:
    """Remove the uploads kept for these prediction jobs (retention: jobs.services.jobs_sweep_expired)."""
    folder = (Path(settings.VAR_DIR) / "predictions").resolve()
    for p in params:
        path = Path(str(p.get("image_path") or "")).resolve()
        if path.parent == folder:  # only files this app kept, whatever the params say
            path.unlink(missing_ok=True)


# The upload's format (as TryForm read it) to the extension the kept file gets.
IMAGE_EXTENSIONS = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "BMP": ".bmp",
    "GIF": ".gif",
    "TIFF": ".tif",
    "WEBP": ".webp",
}


def prediction_start(*, workspace: Workspace, actor: User, model: str, image: dict, file_name: str) -> Job:
    """Keep the uploaded image on the server (for the result page) and start a ``predict`` job on it.

    ``image`` is TryForm's cleaned upload; ``file_name`` the name it was uploaded as."""
    path = prediction_path(uuid.uuid4(), IMAGE_EXTENSIONS[image["format"]])
    path.write_bytes(image["data"])
    return job_start(
        workspace=workspace,
        actor=actor,
        kind="predict",
        target=model,
        params={
            "model": model,
            "image_path": str(path),  # never shown (jobs/labels.py); the page shows the name uploaded
            "image_name": Path(file_name or "").name[:200],
            "content_type": image["content_type"],
            "width": image["width"],
            "height": image["height"],
        },
    )


def predict(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``predict``: the uploaded image (kept for review) through analyze."""
    p = job.params
    try:
        image = Path(p["image_path"]).read_bytes()
    except OSError:
        # Not the exception itself: its text names the file's place on the server, and the job page shows it.
        raise JobError(
            "image_gone", "The uploaded image is no longer kept on the server: upload it again on Try it out."
        ) from None
    client = VisionClient.for_workspace(job.workspace)
    started = time.perf_counter()
    body, tags, objects = client.analyze(p["model"], image, p["content_type"])
    latency = round((time.perf_counter() - started) * 1000)
    ctx.progress(1, 1, f"{len(tags)} tags, {len(objects)} objects in {latency} ms.")
    return {
        "model": p["model"],
        "latency_ms": latency,
        "raw": body,
        "tags": [{"name": t.name, "confidence": t.confidence} for t in tags],
        "objects": [{"name": o.name, "confidence": o.confidence, "box": list(o.box)} for o in objects],
        "width": (body.get("metadata") or {}).get("width"),
        "height": (body.get("metadata") or {}).get("height"),
    }
