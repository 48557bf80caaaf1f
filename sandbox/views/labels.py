"""POST/DELETE /images/tags and /images/regions."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox.errors import bad_request
from sandbox.http import query_uuids
from sandbox.ids import parse_uuid
from sandbox.selectors import project_get
from sandbox.services.labels import (
    RegionEntry,
    box_check,
    image_regions_create,
    image_regions_delete,
    image_tags_create,
    image_tags_delete,
)
from sandbox.views.body import json_body, json_list
from sandbox.wire import iso, json_response, no_content


def _ids(entry: dict[str, Any], code: str) -> tuple[uuid.UUID, uuid.UUID]:
    image_id, tag_id = parse_uuid(entry.get("imageId")), parse_uuid(entry.get("tagId"))
    if image_id is None or tag_id is None:
        raise bad_request("Each entry needs an imageId and a tagId.", code)
    return image_id, tag_id


def _entries(request: HttpRequest, key: str, code: str) -> list[dict[str, Any]]:
    entries = json_list(json_body(request), key)
    if not entries or not all(isinstance(e, dict) for e in entries):
        raise bad_request(f"{key} must be a non-empty list of objects.", code)
    return entries


def image_tags_post(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    pairs = [_ids(e, "BadRequestImageTags") for e in _entries(request, "tags", "BadRequestImageTags")]
    created, duplicated = image_tags_create(project=project, entries=pairs)

    def out(pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> list[dict[str, str]]:
        return [{"imageId": str(i), "tagId": str(t)} for i, t in pairs]

    # The SDK accepts only 200 here, duplicates or not.
    return json_response({"created": out(created), "duplicated": out(duplicated), "exceeded": []})


def image_tags_delete_view(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    image_ids = query_uuids(request, "imageIds", limit=64)
    tag_ids = query_uuids(request, "tagIds", limit=20)
    if not image_ids or not tag_ids:
        raise bad_request("imageIds and tagIds are required.", "BadRequestInvalidIds")
    image_tags_delete(project=project, image_ids=image_ids, tag_ids=tag_ids)
    return no_content()


def image_regions_post(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    entries = []
    for e in _entries(request, "regions", "BadRequestImageRegions"):
        image_id, tag_id = _ids(e, "BadRequestImageRegions")
        entries.append(
            RegionEntry(
                image_id, tag_id, box_check(e.get("left"), e.get("top"), e.get("width"), e.get("height"))
            )
        )
    created, duplicated, exceeded = image_regions_create(project=project, entries=entries)

    def out(items: list[RegionEntry]) -> list[dict[str, Any]]:
        return [
            {
                "imageId": str(e.image_id),
                "tagId": str(e.tag_id),
                "left": e.box.left,
                "top": e.box.top,
                "width": e.box.width,
                "height": e.box.height,
            }
            for e in items
        ]

    body = {
        "created": [
            {
                "imageId": str(r.image_id),
                "regionId": str(r.id),
                "tagName": r.tag.name,
                "created": iso(r.created),
                "tagId": str(r.tag_id),
                "left": r.left,
                "top": r.top,
                "width": r.width,
                "height": r.height,
            }
            for r in created
        ],
        "duplicated": out(duplicated),
        "exceeded": out(exceeded),
    }
    return json_response(body, 200 if not duplicated and not exceeded else 207)


def image_regions_delete_view(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    region_ids = query_uuids(request, "regionIds", limit=64)
    if not region_ids:
        raise bad_request("regionIds is required.", "BadRequestInvalidIds")
    image_regions_delete(project=project, region_ids=region_ids)
    return no_content()
