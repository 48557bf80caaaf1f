from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from django.conf import settings

        from jobs import workers  # noqa: F401 (connects the worker heartbeat to Celery's signals)
        from jobs.registry import extra_kinds_register

        extra_kinds_register(settings.JOB_EXTRA_KINDS)

        from django.db.models.signals import post_migrate

        from jobs.counts import triggers_install

        post_migrate.connect(triggers_install, sender=self, dispatch_uid="jobs_count_triggers")
