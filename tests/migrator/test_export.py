"""Exports end to end: a real worker reads the sandbox over HTTP and writes to local storage or Azurite."""

from __future__ import annotations

import json
import uuid

import pytest
from azure.storage.blob import BlobServiceClient
from pycocotools.coco import COCO

from jobs.models import Job
from jobs.services import job_retry, job_start
from migrator.models import ExportItem
from tests.conftest import AZURITE_KEY, connect_to_sandbox, wait_for_job
from tests.migrator.coco_rules import vision_coco_problems
from tests.migrator.cvproject import classification_project, detection_project
from workspaces.models import Connection
from workspaces.services import connection_update
from workspaces.storage import store_for_connection

pytestmark = pytest.mark.django_db(transaction=True)


def _export(personas, project_id: str, folder: str, **params) -> Job:
    job = job_start(
        workspace=personas.workspace,
        actor=personas.alice,
        kind="export_project",
        target="t",
        params={
            "project_id": project_id,
            "folder": folder,
            "flavours": ["vision", "standard"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "version",
            **params,
        },
    )
    return wait_for_job(job, timeout=90)


def _store(personas):
    return store_for_connection(personas.workspace.connections.get(kind="storage"))


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def test_it_exports_a_classification_project_image_by_image(sandboxed, live_server, celery_worker, tmp_path):
    built = classification_project(live_server.url)
    job = _export(sandboxed, built.project_id, "pets/")
    assert job.status == Job.Status.SUCCEEDED, (job.error_message, job.error_detail)
    store = _store(sandboxed)
    copied = {b.name for b in store.list(prefix="pets/images/")}
    assert len(copied) == len(built.originals) == 12  # every image, tagged, untagged and negative
    for image_id, data in built.originals.items():
        ext = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        assert store.get(f"pets/images/{image_id}{ext}") == data  # byte for byte, right extension

    vision = json.loads(store.get("pets/train.json"))
    assert vision_coco_problems(vision, "Classification") == []
    assert [c["name"] for c in vision["categories"]] == ["cat", "dog"]  # no Negative, no empty 'bird'
    by_file = {i["file_name"]: i["id"] for i in vision["images"]}
    labelled = {k: v for k, v in built.labels.items() if v and v != ["Negative"]}
    assert len(vision["images"]) == len(labelled) == 8
    names = {c["id"]: c["name"] for c in vision["categories"]}
    for ann in vision["annotations"]:
        image_id = next(f for f, i in by_file.items() if i == ann["image_id"]).split("/")[-1].split(".")[0]
        assert built.labels[image_id] == [names[ann["category_id"]]]

    standard_path = tmp_path / "standard.json"
    standard_path.write_bytes(store.get("pets/train.standard.json"))
    assert len(COCO(str(standard_path)).getImgIds()) == 8

    report = json.loads(store.get("pets/export-report.json"))
    assert report["images"]["listed"] == 12
    assert report["images"]["copied"] == 12
    assert report["left_out_of_annotations"] == {"negative": 2, "untagged": 2}
    assert report["categories_before"]["Negative"] == 2
    assert report["annotations_after"] == {"cat": 4, "dog": 4}
    assert job.result["files"]["vision"] == "pets/train.json"


def test_it_exports_a_detection_project_with_clamped_boxes(sandboxed, live_server, celery_worker):
    built = detection_project(live_server.url)
    job = _export(sandboxed, built.project_id, "shapes/")
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    vision = json.loads(_store(sandboxed).get("shapes/train.json"))
    assert vision_coco_problems(vision, "ObjectDetection") == []
    assert len(vision["annotations"]) == 9
    assert job.result["clamped_boxes"] == 1
    assert max(a["bbox"][0] + a["bbox"][2] for a in vision["annotations"]) <= 1.0


def test_a_rerun_writes_a_new_version_and_copies_nothing_again(sandboxed, live_server, celery_worker):
    built = classification_project(live_server.url)
    assert _export(sandboxed, built.project_id, "v/").status == Job.Status.SUCCEEDED
    second = _export(sandboxed, built.project_id, "v/")
    assert second.status == Job.Status.SUCCEEDED
    assert second.result["images"]["copied"] == 0
    assert second.result["images"]["already_copied"] == 12
    assert second.result["files"]["vision"] == "v/train.v2.json"  # never skipped, never clobbered
    third = _export(sandboxed, built.project_id, "v/", existing="overwrite")
    assert third.result["files"]["vision"] == "v/train.json"


def test_it_survives_faults_and_a_rate_limit_and_accounts_for_every_image(
    sandboxed, live_server, celery_worker
):
    from sandbox.services.faults import faults_clear, faults_set

    built = classification_project(live_server.url)
    faults_set(error_rate=0.1, tps_limit=40, retry_after=False, latency_ms=5)
    try:
        job = _export(sandboxed, built.project_id, "faulty/")
    finally:
        faults_clear()
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    assert job.result["images"]["copied"] == 12
    assert len(list(_store(sandboxed).list(prefix="faulty/images/"))) == 12


def test_a_killed_export_resumes_on_retry_and_writes_the_same_files(sandboxed, live_server, celery_worker):
    from sandbox.services.faults import faults_clear, faults_set

    built = classification_project(live_server.url, per_class=30)  # 64 images
    clean = _export(sandboxed, built.project_id, "clean/")
    assert clean.status == Job.Status.SUCCEEDED
    faults_set(latency_ms=400)  # every call and image fetch: slow enough to kill it half way
    try:
        job = job_start(
            workspace=sandboxed.workspace,
            actor=sandboxed.alice,
            kind="export_project",
            target="t",
            params={
                "project_id": built.project_id,
                "folder": "killed/",
                "flavours": ["vision", "standard"],
                "multilabel": "skip",
                "negative": "skip",
                "existing": "version",
            },
        )
        wait_for_job(job, lambda j: j.progress_done >= 3, timeout=60)
        celery_worker.kill()
    finally:
        faults_clear()
    import time

    from django.conf import settings

    from jobs.services import jobs_sweep_lost

    time.sleep(settings.JOB_LOST_AFTER_SECONDS + 1)
    assert jobs_sweep_lost() == 1
    celery_worker.start()
    copied_before = ExportItem.objects.filter(destination__endswith="/killed/", status="copied").count()
    assert 3 <= copied_before < 64
    retry = wait_for_job(job_retry(job=Job.objects.get(pk=job.pk), actor=sandboxed.alice), timeout=90)
    assert retry.status == Job.Status.SUCCEEDED, retry.error_message
    assert retry.result["images"]["already_copied"] == copied_before
    store = _store(sandboxed)
    assert len(list(store.list(prefix="killed/images/"))) == 64
    for name in ("train.json", "train.standard.json"):
        a = json.loads(store.get(f"clean/{name}"))
        b = json.loads(store.get(f"killed/{name}"))
        a.pop("info"), b.pop("info")
        assert json.dumps(b).replace("killed/", "clean/") == json.dumps(a)


def test_expired_image_urls_are_fetched_again(sandboxed, live_server):
    from jobs.runner import JobContext
    from migrator.services.export import Exporter
    from sandbox.models import SandboxImage
    from sandbox.storage import sandbox_store

    built = classification_project(live_server.url)
    job = Job.objects.create(
        workspace=sandboxed.workspace,
        actor=sandboxed.alice,
        kind="export_project",
        status=Job.Status.RUNNING,
        params={"project_id": built.project_id, "folder": "x/"},
    )
    exporter = Exporter(job, JobContext(job))
    image_id = next(iter(built.originals))
    # The same blob signed with an expiry in the past: what a stale listing hands out.
    expired = sandbox_store().signed_url(SandboxImage.objects.get(pk=image_id).blob_name, expires_in=-10)
    result = exporter.copy_one(image_id, expired)
    assert result.error == ""
    assert exporter.counts["urls_refreshed"] == 1
    assert _store(sandboxed).get(result.blob_name) == built.originals[image_id]


def test_a_wrong_training_key_fails_with_a_clear_error(sandboxed, live_server, celery_worker):
    built = classification_project(live_server.url)
    connection_update(
        workspace=sandboxed.workspace,
        kind="custom_vision",
        actor=None,
        endpoint=f"{live_server.url}/sandbox",
        secret="wrong",
    )
    job = _export(sandboxed, built.project_id, "nokey/")
    assert job.status == Job.Status.FAILED
    assert job.error_code == "cv_unauthorized"
    assert "rejected the training key" in job.error_message


def test_a_missing_container_fails_with_a_clear_error(sandboxed, live_server, celery_worker, azurite):
    built = classification_project(live_server.url)
    connection_update(
        workspace=sandboxed.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=AZURITE_KEY,
        container="no-such-container",
    )
    job = _export(sandboxed, built.project_id, "x/")
    assert job.status == Job.Status.FAILED
    assert job.error_code == "container_not_found"
    assert "no-such-container does not exist" in job.error_message


def test_it_exports_to_azurite(sandboxed, live_server, celery_worker, azurite):
    container = f"exp{uuid.uuid4().hex[:10]}"
    BlobServiceClient(azurite, credential=AZURITE_KEY).create_container(container)
    connection_update(
        workspace=sandboxed.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=AZURITE_KEY,
        container=container,
    )
    built = detection_project(live_server.url)
    job = _export(sandboxed, built.project_id, "shapes/")
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    store = _store(sandboxed)
    assert len(list(store.list(prefix="shapes/images/"))) == 7
    vision = json.loads(store.get("shapes/train.json"))
    assert vision_coco_problems(vision, "ObjectDetection") == []
    assert vision["images"][0]["coco_url"].startswith(f"{azurite}/{container}/shapes/images/")
    assert store.properties(vision["images"][0]["file_name"]).content_type == "image/jpeg"


@pytest.fixture
def in_azurite(sandboxed, settings, azurite):
    """The sandbox keeps its images in Azurite and the export writes there too: server-side copy works."""
    settings.SANDBOX_BLOB_ACCOUNT_URL = azurite
    settings.SANDBOX_BLOB_ACCOUNT_KEY = AZURITE_KEY
    settings.SANDBOX_BLOB_CONTAINER = "sandbox-images-export"
    container = f"exp{uuid.uuid4().hex[:10]}"
    BlobServiceClient(azurite, credential=AZURITE_KEY).create_container(container)
    connection_update(
        workspace=sandboxed.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=AZURITE_KEY,
        container=container,
    )
    return sandboxed


def _exporter(personas, project_id: str, folder: str):
    from jobs.runner import JobContext
    from migrator.services.export import Exporter

    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.alice,
        kind="export_project",
        status=Job.Status.RUNNING,
        params={"project_id": project_id, "folder": folder, "multilabel": "skip", "negative": "skip"},
    )
    return Exporter(job, JobContext(job))


def test_a_source_that_names_its_type_costs_one_storage_request(in_azurite, live_server, monkeypatch):
    import http.client
    from urllib.parse import urlsplit

    built = classification_project(live_server.url)
    exporter = _exporter(in_azurite, built.project_id, "fast/")
    storage_port = urlsplit(in_azurite.workspace.connections.get(kind="storage").endpoint).port
    sent: list[str] = []
    putrequest = http.client.HTTPConnection.putrequest

    def counted(conn, method, url, *args, **kwargs):
        if conn.port == storage_port:
            sent.append(method)
        return putrequest(conn, method, url, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "putrequest", counted)
    report = exporter.run()
    monkeypatch.undo()
    assert report["method"] == "server-side copy"
    assert report["images"]["copied"] == 12
    # One Copy Blob per image and no probe; the rest is per export: the container's and train.json's
    # existence (a GET and a HEAD), two annotation files and the report (3 PUTs).
    assert sorted(sent) == ["GET", "HEAD"] + ["PUT"] * (12 + 3), sent
    store = _store(in_azurite)
    for image_id, data in built.originals.items():
        ext = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        assert store.get(f"fast/images/{image_id}{ext}") == data
        assert store.properties(f"fast/images/{image_id}{ext}").content_type == f"image/{ext[1:]}".replace(
            "jpg", "jpeg"
        )


def test_an_expired_url_on_the_fast_path_is_fetched_again_and_the_copy_stays_server_side(
    in_azurite, live_server
):
    from sandbox.models import SandboxImage
    from sandbox.storage import sandbox_store

    built = classification_project(live_server.url)
    exporter = _exporter(in_azurite, built.project_id, "x/")
    image_id = next(iter(built.originals))
    expired = sandbox_store().signed_url(SandboxImage.objects.get(pk=image_id).blob_name, expires_in=-10)
    result = exporter.copy_one(image_id, expired)
    assert result.error == ""
    assert exporter.counts["urls_refreshed"] == 1
    assert exporter.server_copy  # an expired source is not "the service cannot reach it"
    assert _store(in_azurite).get(result.blob_name) == built.originals[image_id]
