"""Creating and deleting images: the /images, /images/files and /images/urls batches.

Each image of a batch gets its own status, as the service answers (ImageCreateStatus): a batch
with any status other than OK is not successful (HTTP 207). Content already in the project is
``OKDuplicate`` and answers with the existing image, whose labels are left as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from blobstore.base import BlobStoreError
from sandbox import conf
from sandbox.errors import bad_request
from sandbox.ids import parse_uuid
from sandbox.imaging import CheckedImage, ImageRejected, image_check
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag
from sandbox.services.labels import Box, tags_conflict
from sandbox.services.projects import project_touch
from sandbox.storage import image_blobs_collect, image_blobs_put, sandbox_store


@dataclass
class ImageInput:
    """One image of a batch: its bytes (or the status that already failed it) and its labels."""

    data: bytes = b""
    source: str | None = None  # answered as sourceUrl: the URL, or the file's name
    tag_ids: list[str] = field(default_factory=list)
    regions: list[tuple[str, Box]] = field(default_factory=list)  # (tagId, box)
    failed: str = ""  # e.g. ErrorSource when a URL could not be fetched


@dataclass
class ImageResult:
    source: str | None
    status: str
    image: SandboxImage | None = None


@dataclass
class _Planned:
    result: ImageResult
    checked: CheckedImage
    tags: list[SandboxTag]
    regions: list[tuple[SandboxTag, Box]]


def _key(tag_id: str) -> str:
    return str(parse_uuid(tag_id) or "")


def _labels(
    item: ImageInput, batch_tag_ids: Sequence[str], tags: dict[str, SandboxTag]
) -> tuple[list[SandboxTag], list[tuple[SandboxTag, Box]]] | str:
    """The image's tags (batch's, its own, its regions') and regions, or the failing status."""
    names = list(dict.fromkeys(_key(t) for t in [*batch_tag_ids, *item.tag_ids]))
    region_keys = [(_key(t), box) for t, box in item.regions]
    if any(t not in tags for t in names) or any(t not in tags for t, _ in region_keys):
        return "ErrorInvalidTag"
    regions = [(tags[t], box) for t, box in region_keys]
    if len(regions) > conf.MAX_REGIONS_PER_IMAGE:
        return "ErrorRegionLimitExceed"
    image_tags = list({tag.pk: tag for tag in [*(tags[t] for t in names), *(r[0] for r in regions)]}.values())
    if tags_conflict(image_tags):
        return "ErrorNegativeAndRegularTagOnSameImage"
    return image_tags, regions


def images_create(
    *,
    project: SandboxProject,
    items: Sequence[ImageInput],
    batch_tag_ids: Sequence[str] = (),
    metadata: dict[str, str] | None = None,
) -> list[ImageResult]:
    if not items:
        raise bad_request("The batch holds no images.", "BadRequestImageBatch")
    if len(items) > conf.MAX_IMAGES_PER_BATCH:
        raise bad_request(
            f"At most {conf.MAX_IMAGES_PER_BATCH} images are allowed in a batch.",
            "BadRequestExceededBatchSize",
        )
    tags = {str(t.pk): t for t in SandboxTag.objects.filter(project=project)}
    known: dict[str, SandboxImage] = {}
    results: list[ImageResult] = []
    planned: list[_Planned] = []
    checked_items: list[tuple[ImageResult, CheckedImage | None, ImageInput]] = []
    for item in items:
        result = ImageResult(item.source, item.failed or "OK")
        checked = None
        if not item.failed:
            try:
                checked = image_check(item.data)
            except ImageRejected as exc:
                result.status = exc.status
        results.append(result)
        checked_items.append((result, checked, item))
    hashes = [c.sha256 for _, c, _ in checked_items if c is not None]
    for image in SandboxImage.objects.filter(project=project, sha256__in=hashes).order_by("created", "id"):
        known.setdefault(image.sha256, image)
    try:
        store = sandbox_store()
    except BlobStoreError:
        store = None  # every image of the batch is then ErrorStorage
    for result, checked, item in checked_items:
        if checked is None:
            continue
        if checked.sha256 in known:
            result.status, result.image = "OKDuplicate", known[checked.sha256]
            continue
        labels = _labels(item, batch_tag_ids, tags)
        if isinstance(labels, str):
            result.status = labels
            continue
        try:
            if store is None:
                raise BlobStoreError("Unreachable", "The sandbox blob store is not available.")
            image_blobs_put(checked, store)
        except BlobStoreError:
            result.status = "ErrorStorage"
            continue
        result.image = SandboxImage(
            project=project,
            width=checked.width,
            height=checked.height,
            sha256=checked.sha256,
            blob_name=checked.blob_name,
            content_type=checked.content_type,
            metadata=dict(metadata or {}),
        )
        known[checked.sha256] = result.image  # the same content twice in one batch: a duplicate
        planned.append(_Planned(result, checked, *labels))
    if planned:
        _rows_create(project, planned)
    return results


def _rows_create(project: SandboxProject, planned: list[_Planned]) -> None:
    now = timezone.now()
    links: list[SandboxImageTag] = []
    regions: list[SandboxRegion] = []
    for index, plan in enumerate(planned):
        image = plan.result.image
        assert image is not None
        image.created = now + timedelta(microseconds=index)  # keeps the batch's order under Newest/Oldest
        image.tagged = bool(plan.tags)
        links += [SandboxImageTag(image=image, tag=tag, created=now) for tag in plan.tags]
        regions += [
            # Distinct instants keep the regions in the order they were sent.
            SandboxRegion(
                image=image,
                tag=tag,
                created=now + timedelta(microseconds=len(regions) + k),
                left=box.left,
                top=box.top,
                width=box.width,
                height=box.height,
            )
            for k, (tag, box) in enumerate(plan.regions)
        ]
    with transaction.atomic():
        SandboxImage.objects.bulk_create([p.result.image for p in planned if p.result.image is not None])
        SandboxImageTag.objects.bulk_create(links)
        SandboxRegion.objects.bulk_create(regions)
    project_touch(project)


def images_delete(*, project: SandboxProject, image_ids: Sequence[uuid.UUID] | None) -> int:
    """Delete the given images (all of the project's when ``image_ids`` is None)."""
    images = SandboxImage.objects.filter(project=project)
    if image_ids is not None:
        images = images.filter(pk__in=list(image_ids))
    blobs = set(images.values_list("blob_name", "sha256", "width", "height").distinct())
    with transaction.atomic():
        SandboxRegion.objects.filter(image__in=images).delete()
        SandboxImageTag.objects.filter(image__in=images).delete()
        deleted, _ = images.delete()
    if deleted:
        project_touch(project)
    image_blobs_collect(blobs)
    return deleted
