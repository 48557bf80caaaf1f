"""How much does a viewer's progress poll cost? Prints requests/s and latency of the job-live
fragment (the request every open job page makes every 2 s), in-process through the WSGI handler.

    .venv/bin/python bench/poll.py [--viewers 1,4,16] [--seconds 5]

Runs on a throw-away SQLite database in a temp folder (the embedded default), so it measures the
worst case for writes-under-reads. With N viewers polling every 2 s the server must sustain N/2
requests/s; the printed headroom is measured capacity divided by that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("VISIONPORT_VAR_DIR", tempfile.mkdtemp(prefix="visionport-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from jobs.models import Job  # noqa: E402
from workspaces.services import workspace_create  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench")
    workspace = workspace_create(name="Bench", owner=user)
    job = Job.objects.create(
        workspace=workspace,
        actor=user,
        kind="check_connections",
        status="running",
        progress_done=10,
        progress_total=100,
        progress_message="Working",
    )
    url = f"/w/{workspace.pk}/jobs/{job.pk}/"

    probe = Client()
    probe.force_login(user)
    probe.get(url, headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as queries:
        probe.get(url, headers={"HX-Request": "true"})
    print(f"queries per poll: {len(queries)}")

    for viewers in [int(v) for v in args.viewers.split(",")]:
        latencies: list[float] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def viewer(
            stop: float = stop, lock: threading.Lock = lock, latencies: list[float] = latencies
        ) -> None:
            client = Client()
            client.force_login(user)
            mine = []
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                response = client.get(url, headers={"HX-Request": "true"})
                assert response.status_code == 200
                mine.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(mine)
            connection.close()

        threads = [threading.Thread(target=viewer) for _ in range(viewers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rate = len(latencies) / args.seconds
        p50 = statistics.median(latencies) * 1000
        p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
        print(
            f"viewers={viewers:3d}  {rate:7.1f} polls/s  p50={p50:6.1f} ms  p95={p95:6.1f} ms  "
            f"headroom vs 2 s polling: {rate / (viewers / 2):.0f}x"
        )


if __name__ == "__main__":
    main()
