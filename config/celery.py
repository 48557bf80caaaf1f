"""The Celery application. Tasks are thin: they take a job id and hand it to the job runner."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("visionport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
