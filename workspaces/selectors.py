"""Reads of workspace objects. Every lookup is scoped to the requesting user: outsiders get 404."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from workspaces.models import Connection, Membership, Workspace


def membership_get_for_user(*, user: AbstractBaseUser, workspace_id: uuid.UUID | str) -> Membership:
    """The user's membership of a workspace, or Http404 if there is none (existence is not leaked)."""
    try:
        return Membership.objects.select_related("workspace").get(workspace_id=workspace_id, user_id=user.pk)
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such workspace") from exc


def memberships_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user.pk).select_related("workspace").order_by("workspace__name")


def connections_by_kind(*, workspace: Workspace) -> dict[str, Connection]:
    """All kinds, with an unsaved blank Connection for the kinds not set up yet."""
    found = {c.kind: c for c in workspace.connections.all()}
    return {
        kind: found.get(kind) or Connection(workspace=workspace, kind=kind) for kind in Connection.Kind.values
    }
