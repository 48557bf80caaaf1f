"""One export run for bench/export.py, in its own process so peak memory is its own.

    python bench/_export_runner.py visionport|reference PROJECT_ID CONTAINER
Prints one JSON line: seconds, images, peak_rss_mb.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # ru_maxrss is KiB on Linux


def run_visionport(project_id: str, container: str, account_url: str, key: str) -> dict:
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
    started = time.perf_counter()
    report = Exporter(job, JobContext(job, min_interval=1.0)).run()
    timings = report["timings"]
    return {
        "seconds": time.perf_counter() - started,
        "images": report["images"]["copied"],
        "method": f"{report['method']}; copy {timings['copy_seconds']} s, annotation files {timings['write_seconds']} s",
    }


def run_reference(project_id: str, container: str, account_url: str, key: str) -> dict:
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
    started = time.perf_counter()
    reference.export_data(
        "devstoreaccount1", key, container, info["endpoint"], info["training_key"], project_id, 8
    )
    seconds = time.perf_counter() - started
    blobs = sum(1 for _ in ContainerClient(account_url, container, credential=key).list_blobs())
    return {"seconds": seconds, "images": blobs - 1, "method": "server-side copy (reference)"}


def run_ceiling(project_id: str, container: str, account_url: str, key: str) -> dict:
    """What the storage itself sustains: bare Copy Blob calls of the project's images, 16 at a time,
    with no listing, probing, checkpointing or retries. No exporter can beat this on this machine."""
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
    count = 3000
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: rest.copy(f"ceiling/{i}", urls[i % len(urls)]), range(count)))
    return {"seconds": time.perf_counter() - started, "images": count, "method": "bare Copy Blob, 16 threads"}


if __name__ == "__main__":
    which, project_id, container, account_url, key = sys.argv[1:6]
    runner = {"visionport": run_visionport, "reference": run_reference, "ceiling": run_ceiling}[which]
    if os.environ.get("BENCH_PROFILE") and which == "visionport":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(runner, project_id, container, account_url, key)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        result = runner(project_id, container, account_url, key)
    result["peak_rss_mb"] = peak_mb()
    print(json.dumps(result))
