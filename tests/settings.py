"""Test settings: the product's settings plus what the suite needs, shared with the Celery worker
the suite starts (it runs with DJANGO_SETTINGS_MODULE=tests.settings too)."""

from __future__ import annotations

import os
from pathlib import Path

_BASE = Path(__file__).resolve().parent.parent
# One state directory per test session (SQLite files, blobs, sandbox models), so that two test
# runs on one machine never share a database file; tests/conftest.py removes it at the end.
if "VISIONPORT_VAR_DIR" not in os.environ:
    os.environ["VISIONPORT_VAR_DIR"] = str(_BASE / "var" / f"test-{os.getpid()}")
    os.environ["VISIONPORT_TEST_VAR_DIR_OWNED"] = "1"
# One queue per test session, so a stale message from an earlier run is never picked up.
os.environ.setdefault("CELERY_QUEUE", f"visionport-test-{os.getpid()}")
# The sandbox's training tasks go to the same queue, so the one test worker runs them too.
os.environ.setdefault("SANDBOX_TRAINING_QUEUE", os.environ["CELERY_QUEUE"])
# Tiny budgets must still train in tests, on a loaded 2-core machine; models named "diverge-..." get an
# absurd learning rate, so that their training diverges (tests/sandbox_vision/test_diverged.py).
os.environ.setdefault(
    "SANDBOX_TRAINER_CONFIG",
    '{"min_steps": 1, "threads": 1, "batch_size": 8, "byModelNamePrefix": {"diverge-": {"lr": 1e12}}}',
)
os.environ.setdefault("JOB_HEARTBEAT_SECONDS", "1")
os.environ.setdefault("JOB_LOST_AFTER_SECONDS", "4")
# The live server listens on a port chosen once per session, so the Celery worker (another process)
# knows the sandbox's and the signed blob URLs' base before the server starts.
if "DJANGO_LIVE_TEST_SERVER_ADDRESS" not in os.environ:
    import socket

    with socket.socket() as _s:
        _s.bind(("127.0.0.1", 0))
        os.environ["DJANGO_LIVE_TEST_SERVER_ADDRESS"] = f"127.0.0.1:{_s.getsockname()[1]}"
os.environ.setdefault("VISIONPORT_PUBLIC_URL", f"http://{os.environ['DJANGO_LIVE_TEST_SERVER_ADDRESS']}")
# Playwright's sync API runs an event loop in the test thread; the ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # for speed
JOB_PROGRESS_MIN_INTERVAL = 0.2

# The worker subprocess is pointed at the test database through this variable.
if os.environ.get("TEST_WORKER_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["TEST_WORKER_DB_NAME"]

# No collectstatic in tests: serve static files from the finders, without the manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns when it is missing)
