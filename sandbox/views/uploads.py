"""POST /images (multipart or raw bytes), /images/files (base64) and /images/urls."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_header_parameters

from sandbox import conf
from sandbox.errors import CvError, bad_request
from sandbox.http import query_list, read_body
from sandbox.imaging import ImageRejected
from sandbox.multipart import MultipartError, multipart_parse
from sandbox.selectors import project_get
from sandbox.services.fetch import url_fetch
from sandbox.services.images import ImageInput, ImageResult, images_create
from sandbox.services.labels import Box, box_check
from sandbox.views.body import json_body, json_list
from sandbox.views.render import images_json
from sandbox.wire import json_response


def _summary(results: list[ImageResult]) -> HttpResponse:
    rendered = {
        item["id"]: item
        for item in images_json(list({r.image.pk: r.image for r in results if r.image}.values()))
    }
    successful = all(r.status == "OK" for r in results)
    body = {
        "isBatchSuccessful": successful,
        "images": [
            {
                "sourceUrl": r.source,
                "status": r.status,
                "image": rendered.get(str(r.image.pk)) if r.image else None,
            }
            for r in results
        ],
    }
    return json_response(body, 200 if successful else 207)


def images_post(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    content_type = request.META.get("CONTENT_TYPE", "")
    media_type, _ = parse_header_parameters(content_type)
    body = read_body(request)
    if media_type == "multipart/form-data":
        try:
            parts = [p for p in multipart_parse(body, content_type) if p.data or p.filename is not None]
        except MultipartError as exc:
            raise bad_request(f"The multipart body cannot be read: {exc}", "BadRequestImageBatch") from None
        items = [ImageInput(data=p.data, source=p.filename) for p in parts]
    elif media_type == "application/octet-stream" or media_type.startswith("image/"):
        items = [ImageInput(data=body)]
    else:
        raise CvError(415, "UnsupportedMediaType", "Send multipart/form-data or application/octet-stream.")
    results = images_create(project=project, items=items, batch_tag_ids=query_list(request, "tagIds"))
    return _summary(results)


def _str_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{key} must be a list of ids.")
    return value


def _regions(entry: dict[str, Any]) -> list[tuple[str, Box]]:
    regions = []
    for region in json_list(entry, "regions"):
        if not isinstance(region, dict):
            raise bad_request("Each region must be an object.", "BadRequestImageRegions")
        box = box_check(region.get("left"), region.get("top"), region.get("width"), region.get("height"))
        regions.append((str(region.get("tagId") or ""), box))
    return regions


def _batch(request: HttpRequest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = json_body(request)
    entries = json_list(data, "images")
    if not all(isinstance(e, dict) for e in entries):
        raise bad_request("Each image must be an object.", "BadRequestImageBatch")
    if len(entries) > conf.MAX_IMAGES_PER_BATCH:
        raise bad_request(
            f"At most {conf.MAX_IMAGES_PER_BATCH} images are allowed in a batch.",
            "BadRequestExceededBatchSize",
        )
    return data, entries


def _metadata(data: dict[str, Any]) -> dict[str, str]:
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad_request("metadata must map names to strings.", "BadRequestImageMetadataValue")
    return metadata


def images_files_post(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    data, entries = _batch(request)
    items = []
    for entry in entries:
        item = ImageInput(
            source=entry.get("name"),
            tag_ids=_str_list(entry.get("tagIds"), "tagIds"),
            regions=_regions(entry),
        )
        try:
            item.data = base64.b64decode(entry.get("contents") or "", validate=True)
        except (binascii.Error, ValueError, TypeError):
            item.failed = "ErrorImageFormat"
        items.append(item)
    results = images_create(
        project=project,
        items=items,
        batch_tag_ids=_str_list(data.get("tagIds"), "tagIds"),
        metadata=_metadata(data),
    )
    return _summary(results)


def images_urls_post(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    data, entries = _batch(request)
    items = []
    for entry in entries:
        url = str(entry.get("url") or "")
        item = ImageInput(
            source=url, tag_ids=_str_list(entry.get("tagIds"), "tagIds"), regions=_regions(entry)
        )
        try:
            item.data = url_fetch(url)
        except ImageRejected as exc:
            item.failed = exc.status
        items.append(item)
    results = images_create(
        project=project,
        items=items,
        batch_tag_ids=_str_list(data.get("tagIds"), "tagIds"),
        metadata=_metadata(data),
    )
    return _summary(results)
