"""Reads of the sandbox's Custom Vision data, shaped for the API's lists, pages and counts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet

from sandbox.errors import bad_request, not_found_image, not_found_project, not_found_tag
from sandbox.ids import parse_uuid
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag

TAGGING_STATUSES = ("All", "Tagged", "Untagged")
ORDERS = ("Newest", "Oldest", "Suggested")


@dataclass
class ImageView:
    image: SandboxImage
    tags: list[SandboxImageTag] = field(default_factory=list)
    regions: list[SandboxRegion] = field(default_factory=list)


def project_get(project_id: str) -> SandboxProject:
    pk = parse_uuid(project_id)
    project = SandboxProject.objects.filter(pk=pk).first() if pk else None
    if project is None:
        raise not_found_project()
    return project


def project_list() -> QuerySet[SandboxProject]:
    return SandboxProject.objects.order_by("created", "id")


def tag_get(project: SandboxProject, tag_id: str) -> SandboxTag:
    pk = parse_uuid(tag_id)
    tag = SandboxTag.objects.filter(project=project, pk=pk).first() if pk else None
    if tag is None:
        raise not_found_tag()
    return tag


def tag_image_count(tag: SandboxTag) -> int:
    return SandboxImageTag.objects.filter(tag=tag).count()


def tags_with_counts(project: SandboxProject) -> list[tuple[SandboxTag, int]]:
    rows = SandboxImageTag.objects.filter(tag__project=project).values("tag").annotate(n=Count("id"))
    counts = {row["tag"]: row["n"] for row in rows}
    tags = SandboxTag.objects.filter(project=project).order_by("created", "id")
    return [(tag, counts.get(tag.pk, 0)) for tag in tags]


def images_filtered(
    project: SandboxProject, *, tagging_status: str = "All", tag_ids: Sequence[uuid.UUID] = ()
) -> QuerySet[SandboxImage]:
    """Images of a project by tagging status and tags (any of ``tag_ids``: OR, as the service)."""
    if tagging_status not in TAGGING_STATUSES:
        raise bad_request("taggingStatus must be All, Tagged or Untagged.")
    images = SandboxImage.objects.filter(project=project)
    if tagging_status == "Untagged":
        return images.filter(tagged=False)  # an untagged image has none of the tags either
    if tagging_status == "Tagged":
        images = images.filter(tagged=True)
    if tag_ids:
        images = images.filter(
            Exists(SandboxImageTag.objects.filter(image=OuterRef("pk"), tag_id__in=list(tag_ids)))
        )
    return images


def images_ordered(images: QuerySet[SandboxImage], order_by: str | None) -> QuerySet[SandboxImage]:
    order = order_by or "Newest"
    if order not in ORDERS:
        raise bad_request("orderBy must be Newest, Oldest or Suggested.")
    # Suggested only differs once a trained iteration exists; the sandbox has none.
    if order == "Oldest":
        return images.order_by("created", "id")
    return images.order_by("-created", "-id")


def images_hydrate(images: Sequence[SandboxImage]) -> list[ImageView]:
    """Each image with its tags and regions, in two queries for the whole page."""
    views = {image.pk: ImageView(image) for image in images}
    if views:
        ids = list(views)
        for link in (
            SandboxImageTag.objects.filter(image_id__in=ids).select_related("tag").order_by("created", "id")
        ):
            views[link.image_id].tags.append(link)
        for region in (
            SandboxRegion.objects.filter(image_id__in=ids).select_related("tag").order_by("created", "id")
        ):
            views[region.image_id].regions.append(region)
    return list(views.values())


def images_by_ids(project: SandboxProject, ids: Sequence[uuid.UUID]) -> list[SandboxImage]:
    """In the order asked; ids of other projects or unknown ids are left out."""
    found = {image.pk: image for image in SandboxImage.objects.filter(project=project, pk__in=list(ids))}
    seen: set[uuid.UUID] = set()
    ordered = []
    for pk in ids:
        if pk in found and pk not in seen:
            seen.add(pk)
            ordered.append(found[pk])
    return ordered


def images_require(project: SandboxProject, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SandboxImage]:
    found = {image.pk: image for image in SandboxImage.objects.filter(project=project, pk__in=list(set(ids)))}
    if len(found) != len(set(ids)):
        raise not_found_image()
    return found


def tags_require(project: SandboxProject, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SandboxTag]:
    found = {tag.pk: tag for tag in SandboxTag.objects.filter(project=project, pk__in=list(set(ids)))}
    if len(found) != len(set(ids)):
        raise not_found_tag()
    return found


def regions_by_image(image_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[SandboxRegion]]:
    grouped: dict[uuid.UUID, list[SandboxRegion]] = defaultdict(list)
    for region in SandboxRegion.objects.filter(image_id__in=list(image_ids)):
        grouped[region.image_id].append(region)
    return grouped
