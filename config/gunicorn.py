"""Gunicorn hooks (``gunicorn -c python:config.gunicorn``): what each web process does once at boot."""

from __future__ import annotations

import threading


def post_worker_init(worker) -> None:
    """With the local Vision service on, import the trainer (torch) in the background.

    The local service answers predictions in the web process; without this, the first prediction
    that reaches each process pays the torch import (4 s idle, 7 s beside two trainings) on top of
    loading its model. A request that needs the trainer meanwhile waits on the import lock.
    """
    from django.conf import settings

    if settings.SANDBOX_ENABLED:
        from sandbox.vision.services.prediction import trainer_import

        threading.Thread(target=trainer_import, name="trainer-import", daemon=True).start()
