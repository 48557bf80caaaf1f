from __future__ import annotations

from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        from jobs.registry import JobKind, kind_register

        kind_register(
            "check_connections",
            JobKind(
                label="Check connections",
                service="workspaces.connection_checks.connections_check",
                queue="interactive",
                result_template="workspaces/_connections_result.html",
            ),
        )
