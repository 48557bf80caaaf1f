"""Workspace pages: home redirect, overview, creation, settings (connections and members)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.selectors import jobs_visible_to
from jobs.services import job_start
from workspaces.forms import MemberAddForm, MemberRoleForm, WorkspaceForm, connection_form
from workspaces.http import SESSION_KEY, WorkspaceRequest, workspace_view
from workspaces.models import Connection, Membership
from workspaces.selectors import connections_by_kind, memberships_for_user
from workspaces.services import (
    connection_update,
    member_add,
    member_remove,
    member_set_role,
    workspace_create,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(memberships_for_user(user=request.user))
    if not memberships:
        return render(request, "workspaces/no_workspace.html", {"form": WorkspaceForm()})
    last = request.session.get(SESSION_KEY)
    chosen = next((m for m in memberships if str(m.workspace_id) == last), memberships[0])
    return redirect("workspaces:overview", ws_id=chosen.workspace_id)


@require_http_methods(["GET", "POST"])
def workspace_new(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = workspace_create(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, f"Workspace {workspace.name} created. Set up its connections next.")
        return redirect("workspaces:settings", ws_id=workspace.pk)
    return render(request, "workspaces/workspace_new.html", {"form": form})


@workspace_view()
@require_GET
def overview(request: WorkspaceRequest) -> HttpResponse:
    recent = jobs_visible_to(request.membership).select_related("actor")[:8]
    return render(
        request,
        "workspaces/overview.html",
        {"connections": connections_by_kind(workspace=request.workspace), "recent_jobs": recent},
    )


def _settings_context(request: WorkspaceRequest, **overrides) -> dict:
    connections = connections_by_kind(workspace=request.workspace)
    forms = {kind: connection_form(kind, conn) for kind, conn in connections.items()}
    forms.update(overrides.pop("forms", {}))
    return {
        "connections": [(connections[k], forms[k]) for k in connections],
        "memberships": request.workspace.memberships.select_related("user"),
        "add_form": overrides.pop("add_form", MemberAddForm()),
        "role_choices": Membership.Role.choices,
        **overrides,
    }


@workspace_view()
@require_GET
def workspace_settings(request: WorkspaceRequest) -> HttpResponse:
    return render(request, "workspaces/settings.html", _settings_context(request))


@workspace_view(admin_only=True)
@require_POST
def connection_save(request: WorkspaceRequest, kind: str) -> HttpResponse:
    if kind not in Connection.Kind.values:
        return HttpResponse(status=404)
    connection = connections_by_kind(workspace=request.workspace)[kind]
    form = connection_form(kind, connection, request.POST)
    if not form.is_valid():
        messages.error(request, "The connection was not saved: correct the fields marked below.")
        context = _settings_context(request, forms={kind: form})
        return render(request, "workspaces/settings.html", context, status=400)

    connection_update(
        workspace=request.workspace,
        kind=kind,
        actor=request.user,
        endpoint=form.cleaned_data.get("endpoint", ""),
        secret=form.secret_value(),
        storage_auth=form.cleaned_data.get("storage_auth", ""),
        container=form.cleaned_data.get("container", ""),
    )
    messages.success(request, f"{connection.get_kind_display()} saved. Run Check connections to test it.")
    return redirect("workspaces:settings", ws_id=request.workspace.pk)


@workspace_view()
@require_POST
def connections_check_start(request: WorkspaceRequest) -> HttpResponse:
    job = job_start(
        workspace=request.workspace,
        actor=request.user,
        kind="check_connections",
        target=request.workspace.name,
    )
    return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)


@workspace_view(admin_only=True)
@require_POST
def member_add_view(request: WorkspaceRequest) -> HttpResponse:
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership, password = member_add(workspace=request.workspace, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("username", exc)
        else:
            if password:
                # Monospace, so that l, 1 and I read apart, and a Copy button (static/js/app.js).
                messages.warning(
                    request,
                    format_html(
                        'Account {} created with the password <code class="secret" id="new-password">{}</code> '
                        '<button type="button" class="btn btn-sm" data-copy="#new-password" id="copy-password">'
                        "Copy</button> (shown once: pass it on; they can change it after logging in).",
                        membership.user.username,
                        password,
                    ),
                )
            else:
                messages.success(request, f"{membership.user.username} added.")
            return redirect("workspaces:settings", ws_id=request.workspace.pk)
    return render(request, "workspaces/settings.html", _settings_context(request, add_form=form), status=400)


@workspace_view(admin_only=True)
@require_POST
def member_update_view(request: WorkspaceRequest, membership_id: uuid.UUID) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user", "workspace"),
        pk=membership_id,
        workspace=request.workspace,
    )
    try:
        if request.POST.get("action") == "remove":
            member_remove(membership=membership)
            messages.success(request, f"{membership.user.username} removed from the workspace.")
        else:
            form = MemberRoleForm(request.POST)
            if form.is_valid():
                member_set_role(membership=membership, role=form.cleaned_data["role"])
                messages.success(
                    request, f"{membership.user.username} is now {membership.get_role_display().lower()}."
                )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    if membership.user_id == request.user.pk and not membership.pk:
        return redirect("home")
    return redirect("workspaces:settings", ws_id=request.workspace.pk)
