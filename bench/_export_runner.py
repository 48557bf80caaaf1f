"""One export run for bench/export.py, in its own process so peak memory and CPU are its own.

    python bench/_export_runner.py visionport|reference|ceiling PROJECT_ID CONTAINER ACCOUNT_URL KEY
Prints one JSON line: seconds, images, cpu_seconds, requests, server_cpu_seconds, peak_rss_mb.

CPU is ``getrusage`` user + system of this process and of its children (the reference's process
pool; children count once reaped, which ``multiprocessing.Pool``'s exit does), as the difference
across the export call only: interpreter start and ``django.setup()`` are left out.

Requests are counted on the wire of this process and its forked children: every request line
sent (``http.client.HTTPConnection.putrequest``, which urllib3, requests, the azure-core transport,
msrest and the bare http.client connections all go through) adds one to a counter shared across
fork, by destination: the
Azurite port is storage (the image sources live there too), the web's ``/blobs/`` is storage, the
rest of the web is Custom Vision (the sandbox). Only the bench process is patched; no product code
path changes.

The servers' CPU over the same window (Azurite; the web that serves the sandbox, gunicorn and its
workers) is read from /proc for the pids in BENCH_SERVERS: what the export costs the other side.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


KINDS = ("storage", "custom_vision", "other")
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "OTHER")


class RequestCounter:
    """Requests on the wire by (destination kind, method), shared with forked children."""

    def __init__(self, storage_port: int, web_port: int) -> None:
        import multiprocessing

        self.slots = {(k, m): multiprocessing.Value("q", 0) for k in KINDS for m in METHODS}
        self.counting = multiprocessing.Value("b", 0)
        original = http.client.HTTPConnection.putrequest
        slots, counting = self.slots, self.counting

        def counted(conn, method, url, *args, **kwargs):
            if counting.value:
                if conn.port == storage_port or url.startswith("/blobs/"):
                    kind = "storage"
                elif conn.port == web_port:
                    kind = "custom_vision"
                else:
                    kind = "other"
                slot = slots[kind, method if method in METHODS else "OTHER"]
                with slot.get_lock():
                    slot.value += 1
            return original(conn, method, url, *args, **kwargs)

        http.client.HTTPConnection.putrequest = counted

    def start(self) -> None:
        self.counting.value = 1

    def stop(self) -> dict:
        self.counting.value = 0
        out: dict = {}
        for (kind, method), slot in self.slots.items():
            if slot.value:
                out.setdefault(kind, {})[method] = slot.value
        return out


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a server process and its direct children (gunicorn's workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def servers() -> dict[str, int]:
    """The servers whose CPU the bench reports, from BENCH_SERVERS=name:pid,name:pid."""
    pairs = [item.split(":") for item in os.environ.get("BENCH_SERVERS", "").split(",") if item]
    return {name: int(pid) for name, pid in pairs}


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Window:
    """Wall seconds, CPU seconds and requests between ``begin()`` and ``end()``."""

    def __init__(self, account_url: str) -> None:
        from urllib.parse import urlsplit

        web_port = urlsplit(os.environ["VISIONPORT_PUBLIC_URL"]).port
        self.counter = RequestCounter(urlsplit(account_url).port, web_port)

    def begin(self) -> None:
        self.counter.start()
        self.servers = {name: server_cpu(pid) for name, pid in servers().items()}
        self.cpu, self.started = cpu_now(), time.perf_counter()

    def end(self) -> dict:
        seconds, cpu = time.perf_counter() - self.started, cpu_now() - self.cpu
        server_seconds = {
            name: round(server_cpu(pid) - self.servers[name], 3) for name, pid in servers().items()
        }
        return {
            "seconds": seconds,
            "cpu_seconds": round(cpu, 3),
            "requests": self.counter.stop(),
            "server_cpu_seconds": server_seconds,
        }


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # ru_maxrss is KiB on Linux


def cpu_by_section(exporter_class: type) -> dict[str, float]:
    """BENCH_SECTIONS=1: CPU seconds (``time.thread_time``, the calling thread's) per Exporter method."""
    import functools

    spent: dict[str, float] = {}
    for name in ("list_pages", "record_listing", "record_results", "copy_one", "write_annotations", "tick"):
        method = getattr(exporter_class, name)

        def timed(*args, _method=method, _name=name, **kwargs):
            started = time.thread_time()
            try:
                result = _method(*args, **kwargs)
                if _name == "record_listing":  # a generator: the work happens while it is consumed
                    result = list(result)
                return result
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.thread_time() - started

        setattr(exporter_class, name, functools.wraps(method)(timed))
    return spent


def run_visionport(project_id: str, container: str, account_url: str, key: str, window: Window) -> dict:
    import django

    django.setup()
    from django.contrib.auth.models import User

    from jobs.models import Job
    from jobs.runner import JobContext
    from migrator.services.export import Exporter
    from sandbox.keys import sandbox_info
    from workspaces.services import connection_update, workspace_create

    user, _ = User.objects.get_or_create(username="bench")
    workspace = workspace_create(name=f"bench-{time.time()}", owner=user)
    info = sandbox_info()["custom_vision"]
    connection_update(
        workspace=workspace,
        kind="custom_vision",
        actor=user,
        endpoint=info["endpoint"],
        secret=info["training_key"],
    )
    connection_update(
        workspace=workspace,
        kind="storage",
        actor=user,
        storage_auth="account_key",
        endpoint=account_url,
        secret=key,
        container=container,
    )
    job = Job.objects.create(
        workspace=workspace,
        actor=user,
        kind="export_project",
        status="running",
        params={
            "project_id": project_id,
            "folder": "vp/",
            "existing": "overwrite",
            "flavours": ["vision"],
            "multilabel": "all",
            "negative": "category",
        },
    )
    sections = cpu_by_section(Exporter) if os.environ.get("BENCH_SECTIONS") else None
    if os.environ.get("BENCH_TRACEMALLOC"):  # where the memory still held at the end was allocated
        import tracemalloc

        tracemalloc.start()
    window.begin()
    report = Exporter(job, JobContext(job, min_interval=1.0)).run()
    timings = report["timings"]
    if os.environ.get("BENCH_TRACEMALLOC"):
        current, peak = tracemalloc.get_traced_memory()
        print(f"traced: {current / 2**20:.1f} MB held, {peak / 2**20:.1f} MB peak", file=sys.stderr)
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:12]:
            print(stat, file=sys.stderr)
    if sections is not None:
        print({k: round(v, 3) for k, v in sections.items()}, file=sys.stderr)
    return {
        **window.end(),
        "images": report["images"]["copied"],
        "method": f"{report['method']}; copy {timings['copy_seconds']} s, annotation files {timings['write_seconds']} s",
    }


def run_reference(project_id: str, container: str, account_url: str, key: str, window: Window) -> dict:
    import django

    django.setup()
    from azure.storage.blob import ContainerClient
    from cognitive_service_vision_model_customization_python_samples.data import (
        export_cvs_data_to_blob_storage as reference,
    )

    from sandbox.keys import sandbox_info

    # The reference hard-codes https://{account}.blob.core.windows.net; only this benchmark points
    # its container client at Azurite. Nothing else of the reference is changed.
    def azurite_container_client(_url: str, name: str, credential: str) -> ContainerClient:
        return ContainerClient(account_url, name, credential=credential)

    reference.ContainerClient = azurite_container_client
    info = sandbox_info()["custom_vision"]
    os.chdir(Path(os.environ["VISIONPORT_VAR_DIR"]))  # it writes ./train.json
    window.begin()
    reference.export_data(
        "devstoreaccount1", key, container, info["endpoint"], info["training_key"], project_id, 8
    )
    measured = window.end()
    blobs = sum(1 for _ in ContainerClient(account_url, container, credential=key).list_blobs())
    return {**measured, "images": blobs - 1, "method": "server-side copy (reference)"}


def run_ceiling(project_id: str, container: str, account_url: str, key: str, window: Window) -> dict:
    """The Azurite ceiling: what the storage itself sustains for the one call an image needs.

    Bare Copy Blob calls (blobstore.rest, the leanest client we have) of the project's own image
    URLs, 16 threads, as many copies as the project has images (at most 10,000), after 500 not
    timed (Node.js warms up), with no listing, probing, checkpointing or retries. No exporter can
    beat this on this machine.
    """
    import django

    django.setup()
    from concurrent.futures import ThreadPoolExecutor

    from azure.cognitiveservices.vision.customvision.training import CustomVisionTrainingClient
    from msrest.authentication import ApiKeyCredentials

    from blobstore.rest import BlobRest
    from sandbox.keys import sandbox_info

    info = sandbox_info()["custom_vision"]
    client = CustomVisionTrainingClient(
        info["endpoint"], ApiKeyCredentials(in_headers={"Training-key": info["training_key"]})
    )
    urls = [i.original_image_uri for i in client.get_images(project_id, take=256)]
    rest = BlobRest(f"{account_url}/{container}", account=account_url.rsplit("/", 1)[1], key=key)
    count = min(client.get_image_count(project_id), 10000)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: rest.copy(f"warm-up/{i}", urls[i % len(urls)]), range(min(count, 500))))
        window.begin()
        list(pool.map(lambda i: rest.copy(f"ceiling/{i}", urls[i % len(urls)]), range(count)))
    return {**window.end(), "images": count, "method": "bare Copy Blob, 16 threads"}


if __name__ == "__main__":
    which, project_id, container, account_url, key = sys.argv[1:6]
    runner = {"visionport": run_visionport, "reference": run_reference, "ceiling": run_ceiling}[which]
    window = Window(account_url)
    if os.environ.get("BENCH_PROFILE") and which == "visionport":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(runner, project_id, container, account_url, key, window)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        result = runner(project_id, container, account_url, key, window)
    result["peak_rss_mb"] = peak_mb()
    print(json.dumps(result))
