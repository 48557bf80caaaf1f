"""What registration reads, and where its token goes: only the endpoint rule's hosts, no redirects,
a size cap, and the workspace's SAS only inside its own container (issue 9).

Each test runs the registration job in this process (``job_run``, the worker's own entry point),
against a small HTTP server on loopback that records every request it gets.
"""

from __future__ import annotations

import json

import pytest

from jobs.models import Job
from jobs.runner import job_run
from tests.conftest import connect_to_sandbox
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)

COCO = {
    "images": [
        {
            "id": n,
            "width": 64,
            "height": 64,
            "file_name": f"{n}.png",
            "coco_url": f"https://x.invalid/{n}.png",
        }
        for n in range(1, 13)
    ],
    "annotations": [{"id": n, "image_id": n, "category_id": n % 2 + 1} for n in range(1, 13)],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
}


@pytest.fixture
def workspace(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    _, store = storage_for(tx_personas.workspace)
    store.create_container()
    return tx_personas


def _run(personas, **params) -> Job:
    defaults = {
        "name": "ds",
        "kind": "imageClassification",
        "purpose": "training",
        "source": "storage",
        "path": "reg/train.json",
        "url": "",
        "auth": "sas",
        "budget_hours": 1,
        "check": "all",
        "export_job": "",
    }
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="register_dataset",
        target="ds",
        params={**defaults, **params},
    )
    job_run(job.pk)
    job.refresh_from_db()
    return job


def _put_coco(personas, image_url: str) -> None:
    """The COCO file in the workspace's container, its images at ``image_url`` + n."""
    coco = json.loads(json.dumps(COCO))
    for image in coco["images"]:
        image["coco_url"] = f"{image_url}{image['id']}.png"
    _, store = storage_for(personas.workspace)
    store.put("reg/train.json", json.dumps(coco).encode(), "application/json")


def _codes(job: Job) -> set[str]:
    return {g["code"] for g in (job.result or {}).get("validation", {}).get("errors", [])}


def test_the_workspace_sas_never_goes_to_a_host_outside_its_container(workspace, recorder, settings):
    settings.VISIONPORT_ALLOWED_HTTP_HOSTS = ["localhost"]  # the outside host is reachable…
    _put_coco(workspace, recorder.url("/"))
    job = _run(workspace, auth="sas")
    assert job.status == Job.Status.FAILED and job.error_code == "validation_failed"
    assert "image_outside_container" in _codes(job)
    assert not any("sig=" in path for path in recorder.requests)  # …but gets no token


def test_the_image_check_reads_no_private_or_metadata_address(workspace, recorder):
    for url in (recorder.url("/", host="127.0.0.1"), "http://169.254.169.254/latest/"):
        _put_coco(workspace, url)
        job = _run(workspace, auth="managedIdentity")
        assert job.status == Job.Status.FAILED, job.error_message
        assert "image_unreachable" in _codes(job)
        shown = json.dumps(job.result["validation"])
        assert "this machine" in shown or "cloud metadata" in shown
    assert recorder.requests == []


def test_the_annotation_download_follows_no_redirect(workspace, recorder, settings):
    settings.VISIONPORT_ALLOWED_HTTP_HOSTS = ["localhost"]
    recorder.routes["/coco.json"] = (200, {"Content-Type": "application/json"}, json.dumps(COCO).encode())
    recorder.routes["/moved"] = (302, {"Location": recorder.url("/coco.json", host="127.0.0.1")}, b"")
    job = _run(workspace, source="url", url=recorder.url("/moved"), path="", auth="managedIdentity")
    assert job.error_code == "annotation_unreadable"
    assert "redirect" in job.error_message and "final URL" in job.error_message
    assert recorder.requests == ["/moved"]


def test_the_annotation_download_stops_at_its_size_cap(workspace, recorder, settings, monkeypatch):
    import customization.services.datasets as datasets

    settings.VISIONPORT_ALLOWED_HTTP_HOSTS = ["localhost"]
    monkeypatch.setattr(datasets, "ANNOTATION_MAX_BYTES", 1000)
    recorder.routes["/big.json"] = (200, {}, json.dumps({**COCO, "pad": "x" * 5000}).encode())
    job = _run(workspace, source="url", url=recorder.url("/big.json"), path="", auth="managedIdentity")
    assert job.error_code == "annotation_unreadable"
    assert "Larger than" in job.error_message


def test_a_coco_url_on_another_port_of_this_machine_is_not_read(workspace, recorder):
    recorder.routes["/coco.json"] = (200, {}, json.dumps(COCO).encode())
    job = _run(
        workspace,
        source="url",
        url=recorder.url("/coco.json", host="127.0.0.1"),
        path="",
        auth="managedIdentity",
    )
    assert job.error_code == "annotation_unreadable"
    assert "this machine" in job.error_message
    assert recorder.requests == []


def test_a_coco_nested_too_deep_is_named_not_unexpected(workspace):
    _, store = storage_for(workspace.workspace)
    store.put("reg/train.json", b"[" * 100_000 + b"]" * 100_000, "application/json")
    job = _run(workspace, auth="managedIdentity")
    assert job.error_code == "annotation_too_deep", job.error_detail
