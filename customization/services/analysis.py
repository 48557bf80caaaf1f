"""The *Analyze errors* job: a trained model run over every image of a dataset through the
prediction API (``imageanalysis:analyze``, as Try it out calls it), so the same job works against
Azure and the local service alike. Each image's ground truth and predictions are kept in
``AnalyzedImage``; the model page computes its threshold slider, curves, confusion matrix and
error gallery from them (customization/metrics.py).

Cost: one prediction call per image, said before the job starts. The dataset's COCO files and
images are read as the gallery reads them (``gallery_index``, ``fetch``: the one URL reader, a
SAS only inside the workspace's container). A reduced copy of each image (640 px) is kept under
``VAR_DIR/analyses/<analysis>/`` for the error gallery, so its page never reads the storage again.
"""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from PIL import Image

from customization.analysis_summary import analysis_summary
from customization.client import VisionClient, VisionError
from customization.metrics import DEFAULT_THRESHOLD, image_outcome
from customization.models import AnalyzedImage, ErrorAnalysis
from customization.services.gallery import (
    GalleryError,
    Index,
    Item,
    Unreadable,
    fetch,
    gallery_index,
    workspace_access,
)
from jobs.errors import JobCancelled, JobError
from jobs.models import Job
from jobs.runner import JobContext
from workspaces.models import Workspace

IMAGE_MAX_BYTES = 20 * 1024 * 1024
KEPT_SIDE = 640
ACCESS_RENEW_SECONDS = 1800  # the reading SAS lasts an hour: renew it well before
# Failures that no other image would escape: the job stops and says why.
FATAL_STATUS = {401, 403, 404, 429}
FATAL_CODES = {"vision_unreachable", "vision_not_configured"}
MAX_FAILING = 3  # server errors on this many images in a row: the service is down, not the image
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "BMP": "image/bmp",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}


def analysis_folder(analysis_id: object) -> Path:
    return Path(settings.VAR_DIR) / "analyses" / str(analysis_id)


def analyses_forget(*, workspace: Workspace, model: str) -> None:
    """Delete a model's analyses and their kept images (the model was deleted)."""
    for analysis in ErrorAnalysis.objects.filter(workspace=workspace, model_name=model):
        shutil.rmtree(analysis_folder(analysis.pk), ignore_errors=True)
        analysis.delete()


def _keep(data: bytes, path: Path) -> tuple[int, int, str]:
    """Keep a reduced JPEG of the image; its original size and content type."""
    with Image.open(io.BytesIO(data)) as original:
        size, kind = original.size, CONTENT_TYPES.get(original.format or "", "application/octet-stream")
        original.draft("RGB", (KEPT_SIDE, KEPT_SIDE))
        picture = original.convert("RGB")
    picture.thumbnail((KEPT_SIDE, KEPT_SIDE))
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path, "JPEG", quality=85, subsampling=0)
    return size[0], size[1], kind


def _predictions(kind: str, body: dict, tags: list, objects: list, width: int, height: int) -> list:
    if kind != "imageObjectDetection":
        return [[t.name, round(t.confidence, 6)] for t in tags]
    metadata = body.get("metadata") or {}
    w, h = metadata.get("width") or width, metadata.get("height") or height
    return [
        [
            o.name,
            round(o.confidence, 6),
            *(round(v, 6) for v in (o.box[0] / w, o.box[1] / h, o.box[2] / w, o.box[3] / h)),
        ]
        for o in objects
    ]


def _tags(truth: dict, predictions: list) -> str:
    """The tags the gallery's filter finds the image by: its ground truth, and what the model
    predicted at the page's default threshold."""
    names = [*truth["labels"], *(b[0] for b in truth["boxes"])]
    names += [p[0] for p in predictions if p[1] >= DEFAULT_THRESHOLD]
    return "|" + "|".join(dict.fromkeys(names)) + "|" if names else ""


def _analyze_one(
    client: VisionClient, model: str, kind: str, item: Item, access, folder: Path
) -> tuple[AnalyzedImage, VisionError | None]:
    """The image's row, and the service's error when the service (not the image) failed."""
    truth = {"labels": list(item.labels), "boxes": [list(b) for b in item.boxes]}
    row = AnalyzedImage(image_id=item.id, file_name=item.file_name[:1000], url=item.url[:2000], truth=truth)
    try:
        data = fetch(item.url, access, IMAGE_MAX_BYTES)
        row.width, row.height, content_type = _keep(data, folder / f"{item.id}.jpg")
    except Unreadable as exc:
        row.problem = f"The image could not be read: {exc.reason}"[:500]
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        row.problem = "The image could not be read: not a picture Pillow can decode."
    failure = None
    if not row.problem:
        try:
            body, tags, objects = client.analyze(model, data, content_type)
        except VisionError as exc:
            if exc.status in FATAL_STATUS or exc.code in FATAL_CODES:
                raise
            row.problem = f"The service refused the image: {exc.message}"[:500]
            failure = exc if (exc.status or 0) >= 500 else None
        else:
            row.predictions = _predictions(kind, body or {}, tags, objects, row.width, row.height)
    row.error_score = image_outcome(kind, truth, row.predictions).score
    row.tags = _tags(truth, row.predictions)[:2000]
    return row, failure


def errors_analyze(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``analyze_errors``: every image of the dataset through analyze.

    A job taken over after its worker died goes on from the images it already stored."""
    p = job.params
    client = VisionClient.for_workspace(job.workspace)
    dataset = client.dataset_get(p["dataset"])
    try:
        index = gallery_index(workspace=job.workspace, name=p["dataset"], dataset=dataset)
    except GalleryError as exc:
        raise JobError("dataset_unreadable", exc.message) from exc
    analysis, _ = ErrorAnalysis.objects.get_or_create(
        job=job,
        defaults={
            "workspace": job.workspace,
            "model_name": p["model"],
            "dataset": p["dataset"],
            "dataset_role": p.get("dataset_role") or ErrorAnalysis.Role.OTHER,
            "kind": index.kind,
            "categories": index.categories,
            "images": len(index.items),
            "started_by": job.actor,
        },
    )
    total = len(index.items)
    ctx.log(f"Analyzing {p['model']} on {p['dataset']}: {total} images, one prediction call each.")
    try:
        _analyze_all(job, ctx, client, index, analysis)
    except JobCancelled:
        # Nothing can reach a cancelled analysis (Retry starts a new one): drop its rows and images.
        shutil.rmtree(analysis_folder(analysis.pk), ignore_errors=True)
        analysis.delete()
        raise
    rows = analysis.rows.all()
    analysis.failed = rows.exclude(problem="").count()
    analysis.truth_objects = sum(
        len(r.truth.get("boxes") or r.truth.get("labels") or []) for r in rows.only("truth")
    )
    analysis.complete = True
    analysis.finished_at = timezone.now()
    analysis.save(update_fields=["failed", "truth_objects", "complete", "finished_at"])
    analysis_summary(analysis)  # the page's figures, computed once
    ctx.progress(total, total, f"{total} images analyzed, {analysis.failed} without an answer.")
    return {
        "analysis": str(analysis.pk),
        "model": p["model"],
        "dataset": p["dataset"],
        "dataset_role": analysis.dataset_role,
        "images": total,
        "failed": analysis.failed,
    }


def _analyze_all(
    job: Job, ctx: JobContext, client: VisionClient, index: Index, analysis: ErrorAnalysis
) -> None:
    """Every image not stored yet, in order; stops the job when the service keeps failing."""
    p, total = job.params, len(index.items)
    folder = analysis_folder(analysis.pk)
    done = set(analysis.rows.values_list("image_id", flat=True))
    access, signed_at = workspace_access(job.workspace), time.monotonic()
    failing = 0  # service failures in a row (5xx after the client's retries)
    for n, item in enumerate(index.items):
        ctx.progress(n, total, f"{n} of {total} images analyzed")
        if item.id in done:
            continue
        if time.monotonic() - signed_at > ACCESS_RENEW_SECONDS:
            access, signed_at = workspace_access(job.workspace), time.monotonic()
        try:
            row, failure = _analyze_one(client, p["model"], index.kind, item, access, folder)
        except VisionError as exc:
            if exc.status == 404:
                raise JobError(
                    "model_not_found", f"The service has no model named {p['model']} (any more)."
                ) from exc
            raise
        failing = failing + 1 if failure else 0 if not row.problem else failing
        if failing >= MAX_FAILING:
            raise JobError(
                "service_failing",
                f"The Vision service failed on {failing} images in a row ({failure.message}): "
                "try again later (Retry analyzes every image again).",
            )
        row.analysis = analysis
        row.save()
