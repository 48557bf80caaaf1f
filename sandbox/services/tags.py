"""Tags of a sandbox project."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from sandbox.errors import bad_request
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag
from sandbox.services.labels import images_tagged_refresh
from sandbox.services.projects import project_touch

MAX_NAME = 256
SINGLE_TYPES = {
    SandboxTag.Type.NEGATIVE: "BadRequestMultipleNegativeTag",
    SandboxTag.Type.GENERAL_PRODUCT: "BadRequestMultipleGeneralProductTag",
}


def _validate(project: SandboxProject, name: str, tag_type: str, exclude: SandboxTag | None) -> None:
    if not name or len(name) > MAX_NAME:
        raise bad_request("A tag name of 1 to 256 characters is required.", "BadRequestTagName")
    if tag_type not in SandboxTag.Type.values:
        raise bad_request(f"Unknown tag type {tag_type}.", "BadRequestTagType")
    others = SandboxTag.objects.filter(project=project)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.annotate(lname=Lower("name")).filter(lname=name.lower()).exists():
        raise bad_request(f"A tag named {name} already exists.", "BadRequestTagNameNotUnique")
    if tag_type in SINGLE_TYPES and others.filter(type=tag_type).exists():
        raise bad_request(f"A project can have only one {tag_type} tag.", SINGLE_TYPES[tag_type])


def tag_create(
    *, project: SandboxProject, name: str, description: str = "", tag_type: str = ""
) -> SandboxTag:
    name = (name or "").strip()
    tag_type = tag_type or SandboxTag.Type.REGULAR
    _validate(project, name, tag_type, None)
    try:
        tag = SandboxTag.objects.create(
            project=project, name=name, description=description or "", type=tag_type
        )
    except IntegrityError:  # a concurrent create with the same name
        raise bad_request(f"A tag named {name} already exists.", "BadRequestTagNameNotUnique") from None
    project_touch(project)
    return tag


def tag_update(
    *, tag: SandboxTag, name: str | None, description: str | None, tag_type: str | None
) -> SandboxTag:
    """PATCH semantics: fields sent as null keep their value."""
    new_name = tag.name if name is None else name.strip()
    new_type = tag.type if tag_type is None else tag_type
    _validate(tag.project, new_name, new_type, tag)
    tag.name, tag.type = new_name, new_type
    if description is not None:
        tag.description = description
    tag.save(update_fields=["name", "type", "description"])
    project_touch(tag.project)
    return tag


def tag_delete(*, tag: SandboxTag) -> None:
    """Delete the tag and its use on images (tags and regions); images may become untagged."""
    with transaction.atomic():
        SandboxRegion.objects.filter(tag=tag).delete()
        SandboxImageTag.objects.filter(tag=tag).delete()
        tag.delete()
        images_tagged_refresh(SandboxImage.objects.filter(project_id=tag.project_id))
    project_touch(tag.project)
