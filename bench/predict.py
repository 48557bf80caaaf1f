"""From upload to boxes on screen: how long does a Try it out prediction take, first and next?

    .venv/bin/python bench/predict.py [--models 2] [--next 12] [--budget-hours 0.01]

Starts the processes `make run` starts (web with 2 gunicorn workers, the interactive and batch
workers, the trainer, beat and the embedded broker, through config.supervisor and the Procfile) on
a fresh data folder and a free port, exports the demo detector project, registers it and trains
``--models`` small detectors through the dashboard's jobs. Right after each training succeeds it
uploads a picture on Try it out as a browser does (the form POST, the redirect to the job page,
htmx's polls of the job fragment at the page's own interval, then the drawn image), once (the
first prediction of a fresh model) and then ``--next`` times. Prints each time from the POST to
the drawn image received, and the median split:

- post: the upload's POST (form check, image kept, job queued) and its redirect answered;
- queue: from the job row's creation to a worker's claim;
- service: the analyze call the job makes (its ``latency_ms``), of which ``load`` (model from
  the LRU or disk) and ``inference`` come from the sandbox's log line;
- seen: from the job's end to the page's poll that shows it (the poll interval's share);
- draw: the image with its boxes (``try/<job>/image.png``).

Then ``--restarts`` times it stops the web's gunicorn master (config.supervisor starts it again)
and predicts with the first model as soon as the web answers: the first prediction a process
serves. Stops exactly the processes it started. The machine's load average is printed, since a busy
machine makes every figure larger.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = Path(tempfile.mkdtemp(prefix="visionport-bench-predict-"))
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")


def free_port(start: int = 8765) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port from 8765")


PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}"
ENV = {k: os.environ[k] for k in KEEP_ENV if k in os.environ} | {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "VISIONPORT_VAR_DIR": str(VAR),
    "VISIONPORT_BIND": f"127.0.0.1:{PORT}",
    "VISIONPORT_PUBLIC_URL": BASE,
    "SANDBOX_TRAINER_CONFIG": '{"min_steps": 1, "threads": 1, "batch_size": 8}',
    "PYTHONUNBUFFERED": "1",
}
os.environ.update(ENV)
for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LOG = VAR / "run.log"


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)


def start_stack() -> subprocess.Popen:
    for args in (("migrate", "--noinput", "-v0"), ("collectstatic", "--noinput", "-v0"), ("bootstrap",)):
        manage(*args)
    manage("seed_sandbox")
    return subprocess.Popen(
        [PYTHON, "-m", "config.supervisor", "Procfile"],
        cwd=ROOT,
        env=ENV,
        stdout=LOG.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_stack(process: subprocess.Popen) -> None:
    """SIGINT to the supervisor's own process group (it stops its children), as Ctrl-C does."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(process: subprocess.Popen) -> None:
    import requests

    from jobs.models import WorkerSeen

    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the processes exited; see {LOG}")
        try:
            up = requests.get(f"{BASE}/accounts/login/", timeout=5).status_code == 200
        except requests.RequestException:
            up = False
        alive = {h.split("@")[0] for h in WorkerSeen.objects.values_list("hostname", flat=True)}
        if up and {"worker", "interactive", "trainer"} <= alive:
            time.sleep(10)  # what a person takes to log in: the web processes finish their start
            return
        time.sleep(1)
    raise SystemExit(f"not up within 240 s; see {LOG}")


def job_run(kind: str, target: str, params: dict, timeout: float = 600):
    from django.contrib.auth.models import User

    from jobs.models import Job
    from jobs.services import job_start
    from workspaces.models import Workspace

    job = job_start(
        workspace=Workspace.objects.get(name="Demo workspace"),
        actor=User.objects.get(username="admin"),
        kind=kind,
        target=target,
        params=params,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in Job.TERMINAL:
            if job.status != Job.Status.SUCCEEDED:
                raise SystemExit(f"{kind} {target}: {job.status} {job.error_code} {job.error_message}")
            return job
        time.sleep(0.1)
    raise SystemExit(f"{kind} {target} still {job.status} after {timeout} s")


def dataset_prepare() -> str:
    from sandbox.models import SandboxProject
    from sandbox.services.seed import DETECTOR

    project = SandboxProject.objects.get(name=DETECTOR)
    job_run(
        "export_project",
        project.name,
        {
            "project_id": str(project.pk),
            "project_name": project.name,
            "folder": "bench/",
            "flavours": ["vision"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "overwrite",
        },
    )
    job_run(
        "register_dataset",
        "bench-ds",
        {
            "name": "bench-ds",
            "kind": "imageObjectDetection",
            "purpose": "training",
            "source": "storage",
            "path": "bench/train.json",
            "url": "",
            "auth": "sas",
            "budget_hours": 0.05,
            "check": "all",
            "export_job": "",
        },
    )
    return "bench-ds"


def train(name: str, dataset: str, hours: float) -> None:
    job_run(
        "train_model",
        name,
        {
            "name": name,
            "kind": "Generic-Detector",
            "dataset": dataset,
            "eval_dataset": "",
            "budget_hours": hours,
        },
    )


def picture(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), (235, 235 - seed % 20, 225))
    draw = ImageDraw.Draw(image)
    left = 30 + (seed * 37) % 100
    draw.ellipse((left, 60, left + 90, 150), fill=(200, 40, 40))
    draw.rectangle((20, 170, 90, 240), fill=(40, 40, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def session_for_admin():
    """A requests session holding the admin's Django session cookie, as a logged-in browser does."""
    from importlib import import_module

    import requests
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User

    user = User.objects.get(username="admin")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    return session


TRIGGER = re.compile(r'hx-trigger="[^"]*?every (\d+(?:\.\d+)?)(ms|s)\b')
STATUS = re.compile(r'id="job-live" data-status="(\w+)"')
IMAGE = re.compile(r'<img[^>]+src="([^"]+/image\.png\?t=[^"]+)"')


def analyze_lines(model: str) -> list[tuple[float, float]]:
    pattern = re.compile(rf"analyze {re.escape(model)}: load ([\d.]+) ms, inference ([\d.]+) ms")
    return [(float(a), float(b)) for a, b in pattern.findall(LOG.read_text(errors="replace"))]


def predict_once(session, workspace_id: str, model: str, image: bytes, seen: int) -> dict:
    """One prediction as a browser makes it; the times in ms, and the split."""
    from jobs.models import Job

    try_url = f"{BASE}/w/{workspace_id}/try/"
    form = session.get(try_url, timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    started = time.time()
    posted = session.post(
        try_url,
        data={"model": model, "csrfmiddlewaretoken": token},
        files={"image": ("bench.png", image, "image/png")},
        allow_redirects=False,
        timeout=60,
    )
    post_done = time.time()
    assert posted.status_code == 302, posted.text[:500]
    job_url = BASE + posted.headers["Location"]
    page = session.get(job_url, timeout=60).text
    polls = 0
    while True:
        status = STATUS.search(page)[1]
        if status in ("succeeded", "failed", "cancelled"):
            break
        every = TRIGGER.search(page)
        interval = float(every[1]) / (1000 if every[2] == "ms" else 1)
        time.sleep(interval)  # htmx waits the interval after each swap, then asks again
        page = session.get(job_url, headers={"HX-Request": "true"}, timeout=60).text
        polls += 1
    shown = time.time()
    assert status == "succeeded", page[:2000]
    drawn = session.get(BASE + IMAGE.search(page)[1].replace("&amp;", "&"), timeout=60)
    assert drawn.status_code == 200
    ended = time.time()
    job = Job.objects.get(pk=posted.headers["Location"].rstrip("/").split("/")[-1])
    deadline = time.monotonic() + 5
    while len(lines := analyze_lines(model)) <= seen and time.monotonic() < deadline:
        time.sleep(0.05)
    load, inference = lines[seen] if len(lines) > seen else (float("nan"), float("nan"))
    return {
        "total": (ended - started) * 1000,
        "post": (post_done - started) * 1000,
        "queue": (job.started_at.timestamp() - job.created_at.timestamp()) * 1000,
        "service": float(job.result["latency_ms"]),
        "load": load,
        "inference": inference,
        "seen": (shown - job.finished_at.timestamp()) * 1000,
        "draw": (ended - shown) * 1000,
        "polls": polls,
    }


def web_restart(process: subprocess.Popen) -> float:
    """SIGTERM the gunicorn master (config.supervisor starts it again after 1 s, as after a crash);
    seconds until the new one answers /healthz."""
    import requests

    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    (master,) = [pid for pid in children if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    os.kill(int(master), signal.SIGTERM)
    killed = time.monotonic()
    while Path(f"/proc/{master}").exists():
        time.sleep(0.05)
    while True:
        try:
            if requests.get(f"{BASE}/healthz", timeout=5).status_code == 200:
                return time.monotonic() - killed
        except requests.RequestException:
            pass
        time.sleep(0.05)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


SPLIT = ("post", "queue", "service", "load", "inference", "seen", "draw", "polls")


def row(label: str, runs: list[dict]) -> str:
    totals = [r["total"] for r in runs]
    split = " | ".join(f"{statistics.median(r[k] for r in runs):.0f}" for k in SPLIT)
    return f"| {label} | {len(runs)} | {statistics.median(totals):.0f} | {p95(totals):.0f} | {split} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=2, help="fresh models to train (default 2)")
    parser.add_argument("--next", type=int, default=12, help="predictions after the first, per model")
    parser.add_argument("--budget-hours", type=float, default=0.01)
    parser.add_argument(
        "--restarts", type=int, default=3, help="web restarts, each followed at once by a prediction"
    )
    args = parser.parse_args()

    process = start_stack()
    try:
        import django

        django.setup()
        from workspaces.models import Workspace

        wait_ready(process)
        dataset = dataset_prepare()
        session = session_for_admin()
        workspace_id = str(Workspace.objects.get(name="Demo workspace").pk)
        first: list[dict] = []
        following: list[dict] = []
        for index in range(args.models):
            model = f"bench-{index + 1}"
            train(model, dataset, args.budget_hours)
            first.append(predict_once(session, workspace_id, model, picture(0), 0))
            for n in range(args.next):
                following.append(predict_once(session, workspace_id, model, picture(n + 1), n + 1))
            print(f"{model}: first {first[-1]['total']:.0f} ms", flush=True)
        restarted: list[dict] = []
        for n in range(args.restarts):
            up = web_restart(process)
            seen = len(analyze_lines("bench-1"))
            restarted.append(predict_once(session, workspace_id, "bench-1", picture(50 + n), seen))
            print(f"web restarted (answering after {up:.1f} s): {restarted[-1]['total']:.0f} ms", flush=True)
    finally:
        stop_stack(process)

    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; times in ms (medians)")
    print("| prediction | n | p50 | p95 | " + " | ".join(SPLIT) + " |")
    print("|---|---|---|---|" + "---|" * len(SPLIT))
    print(row("first of a fresh model", first))
    print(row("next", following))
    if restarted:
        print(row("first after a web restart", restarted))
    for r in first:
        print("first:", " ".join(f"{k}={r[k]:.0f}" for k in ("total", *SPLIT)))


if __name__ == "__main__":
    main()
