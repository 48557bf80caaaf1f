from __future__ import annotations

from django.contrib import admin

from workspaces.models import Connection, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Read-only here: secrets are entered on the workspace's Settings page and never shown."""

    list_display = ["workspace", "kind", "endpoint", "container", "updated_at"]
    list_filter = ["kind"]
    fields = ["workspace", "kind", "endpoint", "storage_auth", "container", "updated_at", "updated_by"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
