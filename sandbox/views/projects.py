from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.domains import DOMAINS, domain_find
from sandbox.errors import CvError, bad_request
from sandbox.http import query_list
from sandbox.selectors import project_get, project_list
from sandbox.services.projects import project_create, project_delete
from sandbox.views.body import json_body
from sandbox.wire import domain_json, json_response, no_content, project_json


def domain_list(request: HttpRequest) -> HttpResponse:
    return json_response([domain_json(d) for d in DOMAINS])


def domain_detail(request: HttpRequest, domain_id: str) -> HttpResponse:
    domain = domain_find(domain_id)
    if domain is None:
        raise CvError(404, "NotFoundDomain", "Domain not found")
    return json_response(domain_json(domain))


def projects_get(request: HttpRequest) -> HttpResponse:
    return json_response([project_json(p) for p in project_list()])


def projects_post(request: HttpRequest) -> HttpResponse:
    if "name" not in request.GET:
        raise bad_request("The name parameter is required.", "BadRequestProjectName")
    options = json_body(request, allow_empty=True)
    project = project_create(
        name=request.GET["name"],
        description=request.GET.get("description", ""),
        domain_id=request.GET.get("domainId", ""),
        classification_type=request.GET.get("classificationType", ""),
        target_export_platforms=query_list(request, "targetExportPlatforms"),
        export_model_container_uri=str(options.get("exportModelContainerUri") or ""),
        notification_queue_uri=str(options.get("notificationQueueUri") or ""),
    )
    return json_response(project_json(project))


def project_get_view(request: HttpRequest, project_id: str) -> HttpResponse:
    return json_response(project_json(project_get(project_id)))


def project_delete_view(request: HttpRequest, project_id: str) -> HttpResponse:
    project_delete(project_get(project_id))
    return no_content()
