"""Typed request and the decorator that resolves the workspace of every workspace URL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from workspaces.models import Membership, Workspace
from workspaces.selectors import membership_get_for_user

SESSION_KEY = "workspace_id"


class WorkspaceRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
    workspace: Workspace
    membership: Membership


View = Callable[..., HttpResponse]


def workspace_view(*, admin_only: bool = False) -> Callable[[View], View]:
    """Resolve ``ws_id`` from the URL to the user's membership (404 to outsiders).

    ``admin_only`` views answer 403 to members of the workspace: they may know it exists.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: WorkspaceRequest, ws_id: uuid.UUID, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = membership_get_for_user(user=request.user, workspace_id=ws_id)
            if admin_only and not membership.is_admin:
                raise PermissionDenied("Only workspace admins can do this.")
            request.workspace = membership.workspace
            request.membership = membership
            if request.session.get(SESSION_KEY) != str(ws_id):
                request.session[SESSION_KEY] = str(ws_id)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
