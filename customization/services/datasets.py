"""Registering a COCO file as a dataset: validate first, then register with the service."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import requests

from azureclient.errors import ServiceError
from blobstore.base import BlobStoreError
from customization.client import VisionClient
from customization.models import DatasetRecord
from customization.services.gallery import gallery_forget
from customization.validation import Report, check_images, check_sas_expiry, sas_expiry
from customization.validation_fast import CocoImage, validate_coco_bytes
from jobs.errors import JobError
from jobs.models import Job
from jobs.runner import JobContext
from outbound.reader import Token, Unreadable, read_url, without_query
from workspaces.models import Workspace
from workspaces.storage import storage_for

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$")
SAS_MARGIN_HOURS = 48


ANNOTATION_MAX_BYTES = 512 * 1024 * 1024
IMAGE_MAX_BYTES = 20 * 1024 * 1024 + 1  # one byte over the quota, so check_images names the size


@dataclass(frozen=True)
class Source:
    """A COCO file as read: its bytes, its URL for the service, and the container it lies in."""

    raw: bytes
    url: str
    token: Token  # the read-only SAS handed to the service (empty query: managed identity)


def _container_base(workspace) -> str:
    """The workspace's container URL ending in /, or "" when it has no storage."""
    try:
        _, store = storage_for(workspace)
    except JobError:
        return ""
    return store.url("x")[:-1]


def _validated(raw: bytes, kind: str, purpose: str) -> tuple[Report, list]:
    """The validation report and the image entries, or the parse error as a sentence."""
    try:
        validated = validate_coco_bytes(raw, kind=kind, purpose=purpose)
    except RecursionError as exc:
        raise JobError(
            "annotation_too_deep", "The annotation file nests lists or objects too deeply to be COCO."
        ) from exc
    except ValueError as exc:
        raise JobError("annotation_not_json", f"The annotation file is not valid JSON: {exc}") from exc
    return validated.report, validated.images


def _read_coco(job: Job) -> Source:
    params = job.params
    if params["source"] != "storage":
        base = _container_base(job.workspace)
        try:
            raw = read_url(params["url"], limit=ANNOTATION_MAX_BYTES, timeout=60, loopback_origins=[base])
        except Unreadable as exc:
            raise JobError(
                "annotation_unreadable", f"Cannot download {without_query(params['url'])}: {exc.reason}"
            ) from exc
        return Source(raw, params["url"].strip(), Token(base, ""))
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
    return Source(raw, store.url(params["path"]), Token(store.url("x")[:-1], sas))


def _check_images(report, images: list, source: Source, check: str) -> int:
    """Read images as the service will (the SAS only inside the container); how many were read."""
    session = requests.Session()
    loopback = [source.token.base]
    if source.token.query:
        outside = [
            i
            for i in images
            if isinstance(i, dict | CocoImage)
            and isinstance(i.get("coco_url") or i.get("absolute_url"), str)
            and not source.token.applies(i.get("coco_url") or i.get("absolute_url"))
        ]
        if outside:
            report.add(
                "image_outside_container",
                "error",
                "Images lie outside the workspace's container, and the service would send the SAS to them.",
                "Copy the images into the container (an export does), or register with managed identity.",
                f"{len(outside)} image{'s' if len(outside) != 1 else ''}, e.g. id {outside[0].get('id')}",
            )
            return 0

    def fetch(image_url: str) -> bytes:
        try:
            return read_url(
                image_url,
                limit=IMAGE_MAX_BYTES,
                timeout=30,
                token=source.token,
                loopback_origins=loopback,
                session=session,
            )
        except Unreadable as exc:
            raise OSError(exc.reason) from exc

    return check_images(report, images, fetch=fetch, sample=None if check == "all" else 50)


def _export_job_id(job: Job) -> str | None:
    """The export this file came from, when it is a job of this workspace (else nothing is linked)."""
    value = job.params.get("export_job") or ""
    try:
        return str(Job.objects.get(pk=uuid.UUID(str(value)), workspace=job.workspace).pk) if value else None
    except (ValueError, Job.DoesNotExist):
        return None


def dataset_register(job: Job, ctx: JobContext) -> dict:
    """Job service for kind ``register_dataset``."""
    params = job.params
    if not NAME.match(params["name"]):
        raise JobError(
            "bad_name", "Dataset names start with a letter or digit and use letters, digits, '.', '_', '-'."
        )
    ctx.progress(0, 4, "Reading the COCO file…")
    source = _read_coco(job)
    url, sas = source.url, source.token.query
    ctx.progress(1, 4, "Validating…")
    report, images = _validated(source.raw, params["kind"], params.get("purpose", "training"))
    if sas:
        check_sas_expiry(report, sas, float(params.get("budget_hours") or 1))
    if report.ok and images and params.get("check", "sample") != "none":
        ctx.progress(2, 4, "Reading images with the service's credentials…")
        checked = _check_images(report, images, source, params.get("check", "sample"))
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
    except ServiceError as exc:  # the job's result keeps the validation report
        raise JobError(exc.code, exc.message, exc.detail, result=result) from exc
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
            "export_job_id": _export_job_id(job),
        },
    )
    result["dataset"] = dataset
    ctx.progress(4, 4, f"Registered {params['name']}.")
    return result


def dataset_delete(*, workspace: Workspace, name: str) -> None:
    """Delete the dataset at the service, then Visionport's record and gallery cache of it.

    VisionError when the workspace has no Vision connection or the service refuses: nothing is
    deleted here then."""
    VisionClient.for_workspace(workspace).dataset_delete(name)
    workspace.datasets.filter(name=name).delete()
    gallery_forget(workspace=workspace, name=name)
