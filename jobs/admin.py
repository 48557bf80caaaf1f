from __future__ import annotations

from django.contrib import admin

from jobs.models import Job, JobEvent


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    readonly_fields = ["at", "level", "message"]
    can_delete = False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "workspace", "actor", "status", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["id", "target", "actor__username"]
    readonly_fields = [f.name for f in Job._meta.fields]
    inlines = [JobEventInline]

    def has_add_permission(self, request) -> bool:
        return False
