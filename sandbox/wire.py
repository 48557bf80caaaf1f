"""JSON as the Custom Vision Training API writes it: camelCase, ISO-8601 with T and Z.

json_response, no_content and iso serve the Vision stand-in too (its shapes are sandbox.vision.wire).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse, JsonResponse

from sandbox.domains import EXPORT_PLATFORMS, Domain
from sandbox.errors import CvError
from sandbox.models import SandboxImage, SandboxImageTag, SandboxProject, SandboxRegion, SandboxTag

APIM_UNAUTHORIZED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
    "key for an active subscription and use a correct regional API endpoint for your resource."
)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_response(data: Any, status: int = 200, etag: str = "") -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False)
    if etag:
        response["ETag"] = f'"{etag}"'
    return response


def error_response(error: CvError) -> JsonResponse:
    return json_response({"code": error.code, "message": error.message}, error.status)


def apim_error(status: int, message: str) -> JsonResponse:
    """The gateway's shape ({"error": {...}}), used for 401 and 429: the SDK then reports the reason."""
    return json_response({"error": {"code": str(status), "message": message}}, status)


def no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def domain_json(domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "type": domain.type,
        "exportable": domain.exportable,
        "enabled": True,
        "exportablePlatforms": list(EXPORT_PLATFORMS) if domain.exportable else [],
        "modelInformation": {
            "estimatedModelSizeInMegabytes": domain.size_mb,
            "description": domain.description,
        },
    }


def project_json(project: SandboxProject) -> dict[str, Any]:
    return {
        "id": str(project.id),
        "name": project.name,
        "description": project.description,
        "settings": {
            "domainId": project.domain_id,
            "classificationType": project.classification_type or None,
            "targetExportPlatforms": list(project.target_export_platforms or []),
            "useNegativeSet": True,
            "detectionParameters": None,
            "imageProcessingSettings": None,
            "exportModelContainerUri": project.export_model_container_uri or None,
            "notificationQueueUri": project.notification_queue_uri or None,
        },
        "created": iso(project.created),
        "lastModified": iso(project.last_modified),
        "thumbnailUri": None,
        "drModeEnabled": False,
        "status": "Succeeded",
    }


def tag_json(tag: SandboxTag, image_count: int) -> dict[str, Any]:
    return {
        "id": str(tag.id),
        "name": tag.name,
        "description": tag.description,
        "type": tag.type,
        "imageCount": image_count,
    }


def image_tag_json(link: SandboxImageTag) -> dict[str, Any]:
    return {"tagId": str(link.tag_id), "tagName": link.tag.name, "created": iso(link.created)}


def region_json(region: SandboxRegion) -> dict[str, Any]:
    return {
        "regionId": str(region.id),
        "tagName": region.tag.name,
        "created": iso(region.created),
        "tagId": str(region.tag_id),
        "left": region.left,
        "top": region.top,
        "width": region.width,
        "height": region.height,
    }


def image_json(
    image: SandboxImage, tags: list[SandboxImageTag], regions: list[SandboxRegion], urls: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": str(image.id),
        "created": iso(image.created),
        "width": image.width,
        "height": image.height,
        **urls,
        "tags": [image_tag_json(link) for link in tags] or None,
        "regions": [region_json(region) for region in regions] or None,
        "metadata": dict(image.metadata) or None,
    }
