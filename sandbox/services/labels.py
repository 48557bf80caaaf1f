"""Tags and regions on existing images (the /images/tags and /images/regions batches).

Invariant kept here: a region's tag is also one of its image's tags (as the service lists them),
and ``SandboxImage.tagged`` is true exactly when the image has a tag.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sandbox import conf
from sandbox.errors import bad_request
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag
from sandbox.selectors import images_require, tags_require


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class RegionEntry:
    image_id: uuid.UUID
    tag_id: uuid.UUID
    box: Box


def box_check(left: object, top: object, width: object, height: object) -> Box:
    """Normalised coordinates: the box starts inside the image and has a size.

    A box may reach past the right or bottom edge, as Custom Vision accepts such boxes.
    """
    try:
        values = [float(v) for v in (left, top, width, height)]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad_request("Region coordinates must be numbers.", "BadRequestImageRegions") from None
    if any(math.isnan(v) or math.isinf(v) for v in values):
        raise bad_request("Region coordinates must be numbers.", "BadRequestImageRegions")
    x, y, w, h = values
    if not (0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1):
        raise bad_request(
            "Region coordinates are normalised: 0-1, with a width and height.", "BadRequestImageRegions"
        )
    return Box(x, y, w, h)


def images_tagged_refresh(images: QuerySet[SandboxImage]) -> None:
    """Recompute the ``tagged`` flag of these images (two UPDATE statements)."""
    has_tag = Exists(SandboxImageTag.objects.filter(image=OuterRef("pk")))
    images.filter(tagged=True).filter(~has_tag).update(tagged=False)
    images.filter(tagged=False).filter(has_tag).update(tagged=True)


def tags_conflict(tags: Iterable[SandboxTag]) -> bool:
    """A Negative tag cannot share an image with another tag."""
    types = [t.type for t in tags]
    return SandboxTag.Type.NEGATIVE in types and len(types) > 1


def links_add(pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Add (image, tag) links that do not exist yet, and mark those images tagged."""
    wanted = set(pairs)
    if not wanted:
        return
    image_ids = {image_id for image_id, _ in wanted}
    existing = set(SandboxImageTag.objects.filter(image_id__in=image_ids).values_list("image_id", "tag_id"))
    now = timezone.now()
    SandboxImageTag.objects.bulk_create(
        [SandboxImageTag(image_id=i, tag_id=t, created=now) for i, t in sorted(wanted - existing)]
    )
    SandboxImage.objects.filter(pk__in=image_ids, tagged=False).update(tagged=True)


def image_tags_create(
    *, project: SandboxProject, entries: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], list[tuple[uuid.UUID, uuid.UUID]]]:
    """(created, duplicated) (imageId, tagId) pairs."""
    if len(entries) > conf.MAX_TAGS_PER_BATCH:
        raise bad_request(
            f"At most {conf.MAX_TAGS_PER_BATCH} tags are allowed in a batch.", "BadRequestExceededBatchSize"
        )
    images_require(project, [i for i, _ in entries])
    tags = tags_require(project, [t for _, t in entries])
    with transaction.atomic():
        existing = set(
            SandboxImageTag.objects.filter(image_id__in={i for i, _ in entries}).values_list(
                "image_id", "tag_id"
            )
        )
        created: list[tuple[uuid.UUID, uuid.UUID]] = []
        duplicated: list[tuple[uuid.UUID, uuid.UUID]] = []
        for pair in entries:
            (duplicated if pair in existing or pair in created else created).append(pair)
        per_image: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for image_id, tag_id in existing | set(created):
            per_image[image_id].add(tag_id)
        all_tags = {t.pk: t for t in SandboxTag.objects.filter(project=project)} | tags
        for tag_ids in per_image.values():
            if tags_conflict(all_tags[t] for t in tag_ids):
                raise bad_request(
                    "An image cannot have a Negative tag and another tag.",
                    "BadRequestNegativeAndRegularTagOnSameImage",
                )
        links_add(created)
    return created, duplicated


def image_tags_delete(
    *, project: SandboxProject, image_ids: Sequence[uuid.UUID], tag_ids: Sequence[uuid.UUID]
) -> None:
    """Untag; regions of those tags on those images go too (they imply the tag)."""
    with transaction.atomic():
        scope = Q(image__project=project, image_id__in=list(image_ids), tag_id__in=list(tag_ids))
        SandboxRegion.objects.filter(scope).delete()
        SandboxImageTag.objects.filter(scope).delete()
        images_tagged_refresh(SandboxImage.objects.filter(project=project, pk__in=list(image_ids)))


def image_regions_create(
    *, project: SandboxProject, entries: Sequence[RegionEntry]
) -> tuple[list[SandboxRegion], list[RegionEntry], list[RegionEntry]]:
    """(created, duplicated, exceeded). A duplicate has the same image, tag and box."""
    if len(entries) > conf.MAX_REGIONS_PER_BATCH:
        raise bad_request(
            f"At most {conf.MAX_REGIONS_PER_BATCH} regions are allowed in a batch.",
            "BadRequestExceededBatchSize",
        )
    images_require(project, [e.image_id for e in entries])
    tags = tags_require(project, [e.tag_id for e in entries])
    with transaction.atomic():
        existing = SandboxRegion.objects.filter(image_id__in={e.image_id for e in entries})
        seen = {(r.image_id, r.tag_id, Box(r.left, r.top, r.width, r.height)) for r in existing}
        counts: dict[uuid.UUID, int] = defaultdict(int)
        for image_id, _, _ in seen:
            counts[image_id] += 1
        created: list[SandboxRegion] = []
        duplicated: list[RegionEntry] = []
        exceeded: list[RegionEntry] = []
        now = timezone.now()
        for entry in entries:
            key = (entry.image_id, entry.tag_id, entry.box)
            if key in seen:
                duplicated.append(entry)
            elif counts[entry.image_id] >= conf.MAX_REGIONS_PER_IMAGE:
                exceeded.append(entry)
            else:
                seen.add(key)
                counts[entry.image_id] += 1
                created.append(
                    SandboxRegion(
                        image_id=entry.image_id,
                        tag=tags[entry.tag_id],
                        created=now + timedelta(microseconds=len(created)),
                        left=entry.box.left,
                        top=entry.box.top,
                        width=entry.box.width,
                        height=entry.box.height,
                    )
                )
        SandboxRegion.objects.bulk_create(created)
        links_add((r.image_id, r.tag_id) for r in created)
    return created, duplicated, exceeded


def image_regions_delete(*, project: SandboxProject, region_ids: Sequence[uuid.UUID]) -> None:
    """Delete regions; a tag that no region of its image uses any more is removed too."""
    with transaction.atomic():
        regions = SandboxRegion.objects.filter(image__project=project, pk__in=list(region_ids))
        touched = set(regions.values_list("image_id", "tag_id"))
        regions.delete()
        remaining = set(
            SandboxRegion.objects.filter(image_id__in={i for i, _ in touched}).values_list(
                "image_id", "tag_id"
            )
        )
        for image_id, tag_id in touched - remaining:
            SandboxImageTag.objects.filter(image_id=image_id, tag_id=tag_id).delete()
        images_tagged_refresh(SandboxImage.objects.filter(pk__in={i for i, _ in touched}))
