"""What the soak test runs against a `make run` on its own data folder (config.settings, not the
test settings): producers of jobs, and the prediction-while-training scenario.

    python -m tests.soak.driver produce COUNT SECONDS   # trickle COUNT jobs in over SECONDS
    python -m tests.soak.driver mission                 # print JSON: prediction seconds while 2 train
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import close_old_connections  # noqa: E402

from jobs.models import Job  # noqa: E402
from jobs.services import job_start  # noqa: E402
from workspaces.models import Workspace  # noqa: E402

# The kinds a soak sends: a real connection check (HTTP to the sandbox, writes to storage) on the
# interactive queue, and a short counting job on the batch queue.
SOAK_KINDS = (("check_connections", {}), ("test_count", {"steps": 3, "delay": 0.02}))


def _who() -> tuple[Workspace, User]:
    return Workspace.objects.get(name="Demo workspace"), User.objects.get(username="admin")


def produce(count: int, seconds: float) -> None:
    workspace, admin = _who()
    rng = random.Random(os.getpid())
    pause = seconds / max(1, count)
    for index in range(count):
        kind, params = SOAK_KINDS[0] if index % 4 else SOAK_KINDS[1]
        for attempt in range(20):  # SQLite may be busy for a moment under six producers and the workers
            try:
                job = job_start(workspace=workspace, actor=admin, kind=kind, params=params)
                break
            except django.db.OperationalError:
                close_old_connections()
                time.sleep(0.2 * (attempt + 1))
        else:
            raise SystemExit("could not start a job: the database stayed locked")
        print(job.pk, flush=True)
        time.sleep(rng.uniform(0.5, 1.5) * pause)


def _wait(job: Job, timeout: float) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in Job.TERMINAL:
            return job
        time.sleep(0.05)
    raise SystemExit(f"{job.kind} {job.pk} still {job.status} after {timeout} s: {job.progress_message}")


def _start(kind: str, target: str, params: dict) -> Job:
    workspace, admin = _who()
    return job_start(workspace=workspace, actor=admin, kind=kind, target=target, params=params)


def _ok(job: Job) -> Job:
    if job.status != Job.Status.SUCCEEDED:
        raise SystemExit(f"{job.kind} {job.target} {job.status}: {job.error_code} {job.error_message}")
    return job


def _export(folder: str, name: str = "") -> Job:
    from sandbox.models import SandboxProject
    from sandbox.services.seed import DETECTOR

    project = SandboxProject.objects.get(name=name or DETECTOR)
    return _start(
        "export_project",
        project.name,
        {
            "project_id": str(project.pk),
            "project_name": project.name,
            "folder": folder,
            "flavours": ["vision"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "overwrite",
        },
    )


def _predict(model: str, image: bytes) -> float:
    """Seconds from the job's start to its success, as the dashboard's Try it out starts it."""
    from customization.services.training import prediction_path

    path = prediction_path(uuid.uuid4(), ".png")
    path.write_bytes(image)
    started = time.monotonic()
    job = _start("predict", model, {"model": model, "image_path": str(path), "content_type": "image/png"})
    _ok(_wait(job, 60))
    return time.monotonic() - started


def _picture() -> bytes:
    import io

    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(picture).ellipse((60, 60, 140, 140), fill="red")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _signed_in_session(user: User):
    """A requests session with the user's Django session cookie, as a browser holds it."""
    from importlib import import_module

    import requests
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    return session


def gallery_while_healthz(dataset: str) -> dict:
    """Open a fresh dataset page and its thumbnails 8 at a time, as a browser does, while /healthz
    is asked every 50 ms: thumbnail work must never hold every web thread (issue 9)."""
    import re
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from django.conf import settings

    workspace, admin = _who()
    base = settings.VISIONPORT_PUBLIC_URL
    session = _signed_in_session(admin)
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            started = time.monotonic()
            requests.get(f"{base}/healthz", timeout=30)
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    started = time.monotonic()
    page = session.get(f"{base}/w/{workspace.pk}/datasets/{dataset}/", timeout=60)
    urls = [
        u.replace("&amp;", "&")
        for u in re.findall(r'<img src="([^"]+/gallery/\d+\.jpg\?v=[0-9a-f]+)"', page.text)
    ]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda u: session.get(f"{base}{u}", timeout=60).status_code, urls))
    elapsed = time.monotonic() - started
    done.set()
    poller.join()
    latencies.sort()
    return {
        "thumbnails": len(urls),
        "thumbnail_statuses": sorted(set(statuses)),
        "page_and_thumbnails_s": round(elapsed, 2),
        "healthz_max_s": round(latencies[-1], 3),
        "healthz_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "healthz_asked": len(latencies),
    }


def mission() -> None:
    """Export, register, train a model; then predict while two trainings and an export run."""
    _ok(_wait(_export("soak/"), 300))
    _ok(
        _wait(
            _start(
                "register_dataset",
                "soak-ds",
                {
                    "name": "soak-ds",
                    "kind": "imageObjectDetection",
                    "purpose": "training",
                    "source": "storage",
                    "path": "soak/train.json",
                    "url": "",
                    "auth": "sas",
                    "budget_hours": 0.05,
                    "check": "all",
                    "export_job": "",
                },
            ),
            300,
        )
    )

    gallery = gallery_while_healthz("soak-ds")

    def train(name: str, hours: float) -> Job:
        return _start(
            "train_model",
            name,
            {
                "name": name,
                "kind": "Generic-Detector",
                "dataset": "soak-ds",
                "eval_dataset": "",
                "budget_hours": hours,
            },
        )

    # Every core is burnt during the soak: 36 s is too little to load 56 pictures at half speed.
    _ok(_wait(train("soak-ready", 0.03), 600))
    image = _picture()
    warm = [_predict("soak-ready", image) for _ in range(4)]  # both web processes load the model
    from sandbox.services.seed import seed_benchmark

    seed_benchmark(name="Soak big", images=5000, detector=True)  # an export that lasts a while
    busy = [train("soak-long-1", 0.05), train("soak-long-2", 0.05), _export("soak-big/", "Soak big")]
    time.sleep(3)
    states = {job.target: Job.objects.get(pk=job.pk).status for job in busy}
    measured = [_predict("soak-ready", image) for _ in range(3)]
    still = {job.target: Job.objects.get(pk=job.pk).status for job in busy}
    for job in busy:
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    print(
        json.dumps(
            {
                "warm_up_s": warm,
                "prediction_s": measured,
                "busy_before": states,
                "busy_after": still,
                "gallery": gallery,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(int(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1] == "mission":
        mission()
