"""Writes to workspaces: creation, members, connection settings."""

from __future__ import annotations

import re
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from workspaces.models import Connection, Membership, Workspace

CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")


class LastAdminError(ValidationError):
    pass


@transaction.atomic
def workspace_create(*, name: str, owner: User) -> Workspace:
    workspace = Workspace.objects.create(name=name)
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.ADMIN)
    return workspace


def generate_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def member_add(
    *, workspace: Workspace, username: str, email: str = "", role: str
) -> tuple[Membership, str | None]:
    """Add a person by username; create the account if it does not exist yet.

    Returns the membership and, for a new account, its generated password (shown once).
    """
    user = User.objects.filter(username=username).first()
    password = None
    if user is None:
        password = generate_password()
        user = User.objects.create_user(username=username, email=email, password=password)
    membership, created = Membership.objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if not created:
        raise ValidationError(f"{username} is already a member of {workspace.name}.")
    return membership, password


def _admins_left(workspace: Workspace, excluding: Membership) -> int:
    return (
        workspace.memberships.select_for_update()
        .filter(role=Membership.Role.ADMIN)
        .exclude(pk=excluding.pk)
        .count()
    )


@transaction.atomic
def member_set_role(*, membership: Membership, role: str) -> None:
    if role != Membership.Role.ADMIN and _admins_left(membership.workspace, membership) == 0:
        raise LastAdminError("A workspace needs at least one admin; make someone else admin first.")
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    if membership.is_admin and _admins_left(membership.workspace, membership) == 0:
        raise LastAdminError("You cannot remove the last admin of a workspace.")
    membership.delete()


def validate_container(name: str) -> str:
    if not CONTAINER_NAME.match(name):
        raise ValidationError(
            "Container names are 3-63 characters: lowercase letters, digits and single hyphens, "
            "starting and ending with a letter or digit."
        )
    return name


@transaction.atomic
def connection_update(
    *,
    workspace: Workspace,
    kind: str,
    actor: User | None,
    endpoint: str = "",
    secret: str | None = None,
    storage_auth: str = "",
    container: str = "",
) -> Connection:
    """Save one connection. ``secret=None`` keeps the stored secret; ``""`` clears it."""
    connection, _ = Connection.objects.select_for_update().get_or_create(workspace=workspace, kind=kind)
    connection.endpoint = endpoint
    connection.storage_auth = storage_auth
    connection.container = container
    if secret is not None:
        connection.set_secret(secret)
    connection.updated_by = actor
    connection.save()
    return connection
