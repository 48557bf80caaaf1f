"""Gunicorn hooks (``gunicorn -c python:config.gunicorn``): what the web processes do once at boot."""

from __future__ import annotations

import contextlib
import os
import threading


def _sandbox_enabled() -> bool:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    return bool(settings.SANDBOX_ENABLED)


def when_ready(server) -> None:
    """With the local Vision service on, import the trainer (torch) once, in the master.

    The local service answers predictions in the web processes. Imported here, before the master
    forks them, torch is already in every worker it starts (a restarted one too) and its pages
    are shared between them; the import (4 s idle, 7 s beside two trainings) otherwise fell on the
    first prediction that reached each process. The master runs no torch operation itself, so the
    forked workers start torch's threads afresh.
    """
    if _sandbox_enabled():
        with contextlib.suppress(ImportError):  # no torch here: analyze answers that it cannot import it
            import trainer  # noqa: F401


def post_worker_init(worker) -> None:
    """Keep this process's models warm in a thread: one throw-away inference per model kind, the
    models that succeeded last loaded, and each model that succeeds from now on loaded within a
    second (sandbox.vision.services.prediction.models_keep_warm), so no prediction loads one.
    """
    if _sandbox_enabled():
        from sandbox.vision.services.prediction import models_keep_warm

        threading.Thread(target=models_keep_warm, name="models-warm", daemon=True).start()
