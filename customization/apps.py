from __future__ import annotations

from django.apps import AppConfig


class CustomizationConfig(AppConfig):
    name = "customization"
    verbose_name = "Model customization"
