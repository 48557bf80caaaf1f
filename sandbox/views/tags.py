from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.errors import bad_request
from sandbox.http import no_iteration
from sandbox.selectors import project_get, tag_get, tag_image_count, tags_with_counts
from sandbox.services.tags import tag_create, tag_delete, tag_update
from sandbox.views.body import json_body
from sandbox.wire import json_response, no_content, tag_json


def tags_get(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    no_iteration(request)
    return json_response([tag_json(tag, count) for tag, count in tags_with_counts(project)])


def tags_post(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_get(project_id)
    tag = tag_create(
        project=project,
        name=request.GET.get("name", ""),
        description=request.GET.get("description", ""),
        tag_type=request.GET.get("type", ""),
    )
    return json_response(tag_json(tag, 0))


def tag_get_view(request: HttpRequest, project_id: str, tag_id: str) -> HttpResponse:
    tag = tag_get(project_get(project_id), tag_id)
    no_iteration(request)
    return json_response(tag_json(tag, tag_image_count(tag)))


def tag_patch(request: HttpRequest, project_id: str, tag_id: str) -> HttpResponse:
    tag = tag_get(project_get(project_id), tag_id)
    body = json_body(request)
    fields = {key: body.get(key) for key in ("name", "description", "type")}
    if any(value is not None and not isinstance(value, str) for value in fields.values()):
        raise bad_request("name, description and type must be strings.")
    tag = tag_update(tag=tag, name=fields["name"], description=fields["description"], tag_type=fields["type"])
    return json_response(tag_json(tag, tag_image_count(tag)))


def tag_delete_view(request: HttpRequest, project_id: str, tag_id: str) -> HttpResponse:
    tag_delete(tag=tag_get(project_get(project_id), tag_id))
    return no_content()
