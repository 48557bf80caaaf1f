"""Custom Vision project browser, export start, and downloads of what exports wrote."""

from __future__ import annotations

import mimetypes
import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from blobstore.base import BlobStoreError
from jobs.errors import JobError
from jobs.services import job_start
from migrator.cv import CustomVisionError
from migrator.forms import AutomlValidateForm, ExportForm
from migrator.services.automl import datastore_remember, datastore_remembered
from migrator.services.browse import Browser
from migrator.services.export import default_folder
from workspaces.http import WorkspaceRequest, workspace_view
from workspaces.selectors import connections_by_kind
from workspaces.storage import storage_for

INLINE_TYPES = {
    "application/json",
    "text/plain",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/bmp",
    "image/webp",
}


@workspace_view()
@require_GET
def project_list(request: WorkspaceRequest) -> HttpResponse:
    connection = connections_by_kind(workspace=request.workspace)["custom_vision"]
    projects, error = [], ""
    if connection.is_configured:
        try:
            projects = Browser(request.workspace).projects()
        except CustomVisionError as exc:
            error = exc.message
    return render(
        request,
        "migrator/project_list.html",
        {"connection": connection, "projects": projects, "error": error},
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def project_detail(request: WorkspaceRequest, project_id: uuid.UUID) -> HttpResponse:
    try:
        detail = Browser(request.workspace).project(str(project_id))
    except CustomVisionError as exc:
        if exc.code == "cv_project_not_found":
            raise Http404(exc.message) from exc
        # 502 when Custom Vision failed; a workspace without the connection is no gateway failure.
        status = 200 if exc.code == "cv_not_configured" else 502
        return render(
            request,
            "migrator/project_list.html",
            {
                "error": exc.message,
                "projects": [],
                "connection": connections_by_kind(workspace=request.workspace)["custom_vision"],
            },
            status=status,
        )
    summary = detail.summary
    form = ExportForm(
        request.POST or None,
        initial={
            "folder": default_folder(summary.name, summary.id),
            "datastore": datastore_remembered(request.workspace),
        },
    )
    if request.method == "POST" and form.is_valid():
        if "automl" in form.cleaned_data["flavours"]:
            datastore_remember(workspace=request.workspace, uri=form.cleaned_data["datastore"])
        job = job_start(
            workspace=request.workspace,
            actor=request.user,
            kind="export_project",
            target=summary.name,
            params={"project_id": summary.id, "project_name": summary.name, **form.cleaned_data},
        )
        return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    return render(request, "migrator/project_detail.html", {"detail": detail, "p": summary, "form": form})


@workspace_view()
@require_GET
def storage_file(request: WorkspaceRequest, name: str) -> HttpResponse:
    """Download a file from the workspace's storage (export reports and annotation files)."""
    try:
        _, store = storage_for(request.workspace)
        data = store.get(name)
    except (JobError, BlobStoreError) as exc:
        raise Http404(str(exc)) from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    # Only inert types open in the browser: storage may hold HTML or SVG that would run as our origin.
    if request.GET.get("download") or content_type not in INLINE_TYPES:
        response["Content-Disposition"] = f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
    return response


@workspace_view()
@require_http_methods(["GET", "POST"])
def automl_validate(request: WorkspaceRequest) -> HttpResponse:
    """Validate an AutoML JSONL file (and its MLTable) already in the workspace's storage, as a job."""
    initial = {"path": request.GET.get("path", ""), "datastore": datastore_remembered(request.workspace)}
    form = AutomlValidateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        path = form.cleaned_data["path"]
        try:
            _, store = storage_for(request.workspace)
            found = store.exists(path)
        except (JobError, BlobStoreError) as exc:
            form.add_error(None, getattr(exc, "message", str(exc)))
        else:
            if not found:
                form.add_error("path", f"There is no file {path} in the workspace's storage.")
        if form.is_valid():
            job = job_start(
                workspace=request.workspace,
                actor=request.user,
                kind="automl_validate",
                target=path.rsplit("/", 1)[-1],
                params=form.cleaned_data,
            )
            return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    return render(request, "migrator/automl_validate.html", {"form": form})
