"""Custom Vision project browser and export (the migration capability fills these pages)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from workspaces.http import WorkspaceRequest, workspace_view
from workspaces.selectors import connections_by_kind


@workspace_view()
@require_GET
def project_list(request: WorkspaceRequest) -> HttpResponse:
    connection = connections_by_kind(workspace=request.workspace)["custom_vision"]
    return render(request, "migrator/project_list.html", {"connection": connection})
