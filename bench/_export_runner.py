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
    connection_update(workspace=workspace, kind="custom_vision", actor=user,
                      endpoint=info["endpoint"], secret=info["training_key"])
    connection_update(workspace=workspace, kind="storage", actor=user, storage_auth="account_key",
                      endpoint=account_url, secret=key, container=container)
    job = Job.objects.create(workspace=workspace, actor=user, kind="export_project", status="running",
                             params={"project_id": project_id, "folder": "vp/", "existing": "overwrite",
                                     "flavours": ["vision"], "multilabel": "all", "negative": "category"})
    started = time.perf_counter()
    report = Exporter(job, JobContext(job, min_interval=1.0)).run()
    return {"seconds": time.perf_counter() - started, "images": report["images"]["copied"],
            "method": report["method"]}


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
    reference.export_data("devstoreaccount1", key, container, info["endpoint"], info["training_key"], project_id, 8)
    seconds = time.perf_counter() - started
    blobs = sum(1 for _ in ContainerClient(account_url, container, credential=key).list_blobs())
    return {"seconds": seconds, "images": blobs - 1, "method": "server-side copy (reference)"}


if __name__ == "__main__":
    which, project_id, container, account_url, key = sys.argv[1:6]
    runner = run_visionport if which == "visionport" else run_reference
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
