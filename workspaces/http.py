"""Typed request, the decorator that resolves the workspace of every workspace URL, and the
render that picks a page or its htmx fragment."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
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

        wrapper.admin_only = admin_only  # read by the test that walks the URLconf
        return wrapper

    return decorator


def page_or_fragment(
    request: HttpRequest, template: str, fragment: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The whole page, or only its ``fragment`` (a partial) for an htmx request that swaps it in.

    A history restore is an htmx request too (htmx sends HX-Request when the page it goes back to
    is not in its cache) and must get the whole page, layout included. ``Vary: HX-Request`` keeps
    a cache from answering one with the other.
    """
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    response = render(request, f"{template}#{fragment}" if partial else template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
