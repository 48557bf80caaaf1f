from __future__ import annotations

from django.apps import AppConfig


class MigratorConfig(AppConfig):
    name = "migrator"
    verbose_name = "Custom Vision migration"
