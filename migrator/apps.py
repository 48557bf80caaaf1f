from __future__ import annotations

from django.apps import AppConfig


class MigratorConfig(AppConfig):
    name = "migrator"
    verbose_name = "Custom Vision migration"

    def ready(self) -> None:
        from jobs.registry import JobKind, kind_register

        kind_register(
            "export_project",
            JobKind(
                label="Export project",
                service="migrator.services.export.project_export",
                result_template="migrator/_export_result.html",
            ),
        )
        kind_register(
            "automl_validate",
            JobKind(
                label="Validate AutoML data",
                service="migrator.services.automl.automl_validate",
                result_template="migrator/_automl_validate_result.html",
            ),
        )
