"""Start a Celery worker for the test suite, with the loopback guard installed."""

from __future__ import annotations

import sys

from tests import loopback_guard

loopback_guard.install()

from config.celery import app  # noqa: E402

if __name__ == "__main__":
    import django

    django.setup()
    from tests import jobkinds

    jobkinds.register()
    app.worker_main(["worker", *sys.argv[1:]])
