"""The Vision stand-in's limits, and its settings as the code uses them (defined in config/settings.py).

The timeout for each URL it reads is the Custom Vision stand-in's: sandbox.conf.url_fetch_timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

API_VERSIONS = ("2023-02-01-preview", "2023-04-01-preview")
NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
NAME_MAX = 255
MAX_TOP = 30
MAX_BUDGET_HOURS = 288.0  # 12 days, the service's limit
ANALYZE_MAX_BYTES = 6 * 1024 * 1024  # synchronous prediction (concept page, quota table)
ANALYZE_MIN_SIDE = 50
ANALYZE_MAX_SIDE = 16000
TRAINING_IMAGE_MAX_BYTES = 20 * 1024 * 1024
# Downloaded training pictures are kept no longer than this a side: twice the largest input the
# trainer uses (the pretrained detector's 320 px), so its own resize still shrinks them.
TRAINING_PICTURE_SIDE = 640
ANNOTATION_MAX_BYTES = 512 * 1024 * 1024
FETCH_WORKERS = 8


def training_queue() -> str:
    """The Celery queue that training and evaluation tasks go to (a worker with the trainer)."""
    return settings.SANDBOX_TRAINING_QUEUE


def trainer_overrides() -> dict[str, Any]:
    """Changes to the trainer's default config, as JSON (e.g. '{"max_steps": 30}' for quick runs)."""
    raw = settings.SANDBOX_TRAINER_CONFIG.strip()
    if not raw:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("SANDBOX_TRAINER_CONFIG must be a JSON object.")
    return value


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "sandbox-models"
