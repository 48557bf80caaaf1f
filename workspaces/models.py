"""Workspaces (teams), their members and their Azure connections."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from workspaces import crypto


class Workspace(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")]
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Connection(models.Model):
    """One Azure connection of a workspace; at most one per kind.

    The secret (key, SAS token or connection string) is stored Fernet-encrypted in
    ``secret_encrypted`` and is never rendered back: forms only say whether one is set.
    """

    class Kind(models.TextChoices):
        CUSTOM_VISION = "custom_vision", "Custom Vision (training)"
        STORAGE = "storage", "Blob storage"
        VISION = "vision", "Vision (model customization)"

    class StorageAuth(models.TextChoices):
        LOCAL = "local", "Local files on this server"
        ACCOUNT_KEY = "account_key", "Account URL + account key"
        SAS = "sas", "Account URL + SAS token"
        CONNECTION_STRING = "connection_string", "Connection string"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="connections")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    endpoint = models.URLField(max_length=500, blank=True)
    storage_auth = models.CharField(max_length=20, choices=StorageAuth.choices, blank=True)
    container = models.CharField(max_length=63, blank=True)
    secret_encrypted = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "kind"], name="one_connection_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.workspace}"

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def set_secret(self, value: str) -> None:
        self.secret_encrypted = crypto.encrypt(value)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    @property
    def is_configured(self) -> bool:
        if self.kind == self.Kind.STORAGE:
            if self.storage_auth == self.StorageAuth.LOCAL:
                return bool(self.container)
            if self.storage_auth == self.StorageAuth.CONNECTION_STRING:
                return self.has_secret and bool(self.container)
            return bool(self.endpoint and self.has_secret and self.container)
        return bool(self.endpoint and self.has_secret)
