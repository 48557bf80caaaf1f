"""Registering a COCO file as a dataset: validate first, then register with the service."""

from __future__ import annotations

import json
import re

import requests

from blobstore.base import BlobStoreError
from customization.client import VisionClient
from customization.models import DatasetRecord
from customization.validation import check_images, check_sas_expiry, sas_expiry, validate_coco
from jobs.errors import JobError
from jobs.models import Job
from jobs.runner import JobContext
from migrator.services.export import storage_for
from outbound.endpoints import validate_endpoint

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$")
SAS_MARGIN_HOURS = 48


def _read_coco(job: Job) -> tuple[object, str, str]:
    """(parsed COCO, annotation URL for the service, SAS or "")."""
    params = job.params
    if params["source"] == "storage":
        _, store = storage_for(job.workspace)
        try:
            raw = store.get(params["path"])
        except BlobStoreError as exc:
            raise JobError("annotation_unreadable", f"Cannot read {params['path']}: {exc.message}") from exc
        sas = ""
        if params.get("auth") == "sas":
            hours = float(params.get("budget_hours") or 1) + SAS_MARGIN_HOURS
            try:
                sas = store.container_sas(expires_in=int(hours * 3600))
            except BlobStoreError as exc:
                raise JobError("cannot_sign", exc.message) from exc
        url = store.url(params["path"])
    else:
        url = validate_endpoint(params["url"])
        try:
            response = requests.get(url, timeout=60)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise JobError("annotation_unreadable", f"Cannot download {url}: {exc}") from exc
        raw, sas = response.content, ""
    try:
        return json.loads(raw), url, sas
    except ValueError as exc:
        raise JobError("annotation_not_json", f"The annotation file is not valid JSON: {exc}") from exc


def dataset_register(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``register_dataset``."""
    params = job.params
    if not NAME.match(params["name"]):
        raise JobError(
            "bad_name", "Dataset names start with a letter or digit and use letters, digits, '.', '_', '-'."
        )
    ctx.progress(0, 4, "Reading the COCO file…")
    coco, url, sas = _read_coco(job)
    ctx.progress(1, 4, "Validating…")
    report = validate_coco(coco, kind=params["kind"], purpose=params.get("purpose", "training"))
    if sas:
        check_sas_expiry(report, sas, float(params.get("budget_hours") or 1))
    images = coco.get("images") if isinstance(coco, dict) else None
    if report.ok and isinstance(images, list) and params.get("check", "sample") != "none":
        ctx.progress(2, 4, "Reading images with the service's credentials…")
        session = requests.Session()

        def fetch(image_url: str) -> bytes:
            response = session.get(f"{image_url}?{sas}" if sas else image_url, timeout=30)
            response.raise_for_status()
            return response.content

        checked = check_images(
            report, images, fetch=fetch, sample=None if params.get("check") == "all" else 50
        )
        ctx.log(f"Read and decoded {checked} images.")
    result = {"validation": report.as_dict()}
    if not report.ok:
        count, kinds = sum(g.count for g in report.errors), len(report.errors)
        raise JobError(
            "validation_failed",
            f"The file has {count} blocking problem{'s' if count != 1 else ''} of {kinds} "
            f"kind{'s' if kinds != 1 else ''}; nothing was registered. Fix {'them' if count != 1 else 'it'} "
            "(see the report below) and try again.",
            result=result,
        )
    ctx.progress(3, 4, "Registering with the Vision service…")
    client = VisionClient.for_workspace(job.workspace)
    try:
        dataset = client.dataset_register(
            params["name"],
            kind=params["kind"],
            annotation_urls=[url],
            sas=sas or None,
            properties={"registeredBy": "visionport", "job": str(job.pk)},
        )
    except JobError as exc:
        exc.result = result
        raise
    DatasetRecord.objects.update_or_create(
        workspace=job.workspace,
        name=params["name"],
        defaults={
            "kind": params["kind"],
            "purpose": params.get("purpose", "training"),
            "annotation_url": url,
            "source": params.get("path") or params.get("url"),
            "auth": "sas" if sas else "managedIdentity",
            "sas_expires_at": sas_expiry(sas) if sas else None,
            "images": report.images,
            "per_category": report.per_category,
            "report": result["validation"],
            "registered_by": job.actor,
            "job": job,
            "export_job_id": params.get("export_job") or None,
        },
    )
    result["dataset"] = dataset
    ctx.progress(4, 4, f"Registered {params['name']}.")
    return result


def dataset_records(workspace) -> dict[str, DatasetRecord]:  # noqa: ANN001
    return {
        r.name: r for r in DatasetRecord.objects.filter(workspace=workspace).select_related("registered_by")
    }
