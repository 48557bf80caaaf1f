from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox import conf
from sandbox.errors import bad_request
from sandbox.http import no_iteration, query_bool, query_int, query_uuids
from sandbox.selectors import images_by_ids, images_filtered, images_ordered, project_get
from sandbox.services.images import images_delete
from sandbox.views.render import images_json
from sandbox.wire import json_response, no_content

MAX_SKIP = 2**31 - 1


def _page(request: HttpRequest, project_id: str, tagging_status: str) -> HttpResponse:
    project = project_get(project_id)
    no_iteration(request)
    tag_ids = query_uuids(request, "tagIds", limit=20)
    take = query_int(request, "take", conf.DEFAULT_TAKE, 0, conf.MAX_TAKE)
    skip = query_int(request, "skip", 0, 0, MAX_SKIP)
    images = images_filtered(project, tagging_status=tagging_status, tag_ids=tag_ids)
    page = list(images_ordered(images, request.GET.get("orderBy"))[skip : skip + take])
    return json_response(images_json(page))


def _count(request: HttpRequest, project_id: str, tagging_status: str) -> HttpResponse:
    project = project_get(project_id)
    no_iteration(request)
    tag_ids = query_uuids(request, "tagIds")
    return json_response(images_filtered(project, tagging_status=tagging_status, tag_ids=tag_ids).count())


def images_get(request: HttpRequest, project_id: str) -> HttpResponse:
    return _page(request, project_id, request.GET.get("taggingStatus") or "All")


def images_tagged(request: HttpRequest, project_id: str) -> HttpResponse:
    return _page(request, project_id, "Tagged")


def images_untagged(request: HttpRequest, project_id: str) -> HttpResponse:
    return _page(request, project_id, "Untagged")


def images_count(request: HttpRequest, project_id: str) -> HttpResponse:
    return _count(request, project_id, request.GET.get("taggingStatus") or "All")


def images_tagged_count(request: HttpRequest, project_id: str) -> HttpResponse:
    return _count(request, project_id, "Tagged")


def images_untagged_count(request: HttpRequest, project_id: str) -> HttpResponse:
    return _count(request, project_id, "Untagged")


def images_by_id(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    no_iteration(request)
    ids = query_uuids(request, "imageIds", limit=conf.MAX_TAKE)
    return json_response(images_json(images_by_ids(project, ids)))


def images_delete_view(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    if query_bool(request, "allImages"):
        images_delete(project=project, image_ids=None)
    else:
        ids = query_uuids(request, "imageIds", limit=conf.MAX_TAKE)
        if not ids:
            raise bad_request("imageIds or allImages=true is required.", "BadRequestInvalidIds")
        images_delete(project=project, image_ids=ids)
    return no_content()
