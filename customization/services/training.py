"""Training, evaluation and prediction jobs: thin loops over the Vision REST API."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from customization.client import VisionClient
from customization.models import ModelRecord
from jobs.errors import JobCancelled, JobError
from jobs.models import Job
from jobs.runner import JobContext

POLL_SECONDS = 2.0
TERMINAL = {"succeeded", "failed", "cancelled"}


def _record(job: Job, model: dict) -> None:
    ModelRecord.objects.filter(workspace=job.workspace, name=model["name"]).update(
        status=model.get("status", ""), cost_minutes=model.get("trainingCostInMinutes"),
        performance=model.get("modelPerformance") or {},
    )


def model_train(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``train_model``: start training, follow it, cancel it if asked."""
    p = job.params
    client = VisionClient.for_workspace(job.workspace)
    ModelRecord.objects.update_or_create(
        workspace=job.workspace, name=p["name"],
        defaults={"kind": p["kind"], "dataset": p["dataset"], "eval_dataset": p.get("eval_dataset", ""),
                  "budget_hours": p["budget_hours"], "started_by": job.actor, "job": job, "status": "notStarted"},
    )
    model = client.model_train(p["name"], dataset=p["dataset"], kind=p["kind"], budget_hours=p["budget_hours"],
                               eval_dataset=p.get("eval_dataset", ""))
    ctx.log(f"Training {p['name']} ({p['kind']}) on {p['dataset']}, budget {p['budget_hours']} h.")
    budget_s = max(1, int(float(p["budget_hours"]) * 3600))
    started = time.monotonic()
    try:
        while model.get("status") not in TERMINAL:
            elapsed = int(time.monotonic() - started)
            ctx.progress(min(elapsed, budget_s), budget_s, f"{model.get('status')}, {elapsed} s elapsed")
            time.sleep(POLL_SECONDS)
            model = client.model_get(p["name"])
    except JobCancelled:
        client.model_cancel(p["name"])
        ctx.log("Asked the service to cancel the training.", "warning")
        for _ in range(60):
            model = client.model_get(p["name"])
            if model.get("status") in TERMINAL:
                break
            time.sleep(1)
        _record(job, model)
        raise
    _record(job, model)
    ctx.progress(budget_s, budget_s, f"Training {model['status']}.")
    if model["status"] != "succeeded":
        error = model.get("error") or {}
        raise JobError(error.get("code") or model["status"],
                       error.get("message") or f"Training ended {model['status']}.", result={"model": model})
    return {"model": model}


def model_evaluate(job: Job, ctx: JobContext) -> dict:
    p = job.params
    client = VisionClient.for_workspace(job.workspace)
    evaluation = client.evaluation_start(p["model"], p["name"], p["dataset"])
    while evaluation.get("status") not in {"succeeded", "failed"}:
        ctx.progress(0, 1, f"Evaluation {evaluation.get('status')}…")
        time.sleep(POLL_SECONDS)
        evaluation = client.evaluation_get(p["model"], p["name"])
    if evaluation["status"] != "succeeded":
        error = evaluation.get("error") or {}
        raise JobError(str(error.get("code") or "evaluation_failed"), str(error.get("message") or "Evaluation failed."),
                       result={"evaluation": evaluation})
    return {"evaluation": evaluation}


def prediction_path(job_id: object, extension: str) -> Path:
    folder = Path(settings.VAR_DIR) / "predictions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}{extension}"


def predict(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``predict``: the uploaded image (kept for review) through analyze."""
    p = job.params
    image = Path(p["image_path"]).read_bytes()
    client = VisionClient.for_workspace(job.workspace)
    started = time.perf_counter()
    body, tags, objects = client.analyze(p["model"], image, p["content_type"])
    latency = round((time.perf_counter() - started) * 1000)
    ctx.progress(1, 1, f"{len(tags)} tags, {len(objects)} objects in {latency} ms.")
    return {
        "model": p["model"], "latency_ms": latency, "raw": body,
        "tags": [{"name": t.name, "confidence": t.confidence} for t in tags],
        "objects": [{"name": o.name, "confidence": o.confidence, "box": list(o.box)} for o in objects],
        "width": (body.get("metadata") or {}).get("width"), "height": (body.get("metadata") or {}).get("height"),
    }
