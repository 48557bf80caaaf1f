"""Check connections, end to end: a real worker calls the sandbox over HTTP and Azurite."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient

from jobs.models import Job
from jobs.services import job_start
from tests.conftest import AZURITE_KEY, connect_to_sandbox, wait_for_job
from workspaces.models import Connection
from workspaces.services import connection_update

pytestmark = pytest.mark.django_db(transaction=True)


def _run_check(personas) -> Job:
    job = job_start(workspace=personas.workspace, actor=personas.alice, kind="check_connections")
    return wait_for_job(job)


def _reports(job: Job) -> dict[str, dict]:
    return {c["kind"]: c for c in job.result["connections"]}


def test_it_succeeds_when_every_connection_works(tx_personas, celery_worker, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    job = _run_check(tx_personas)
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    reports = _reports(job)
    assert {k: r["status"] for k, r in reports.items()} == {
        "custom_vision": "ok",
        "storage": "ok",
        "vision": "ok",
    }
    assert reports["custom_vision"]["summary"] == "Works: 0 projects visible."
    assert (job.progress_done, job.progress_total) == (3, 3)


def test_it_reports_a_wrong_training_key_in_words_a_user_can_act_on(tx_personas, celery_worker, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    connection_update(
        workspace=tx_personas.workspace,
        kind="custom_vision",
        actor=None,
        endpoint=f"{live_server.url}/sandbox",
        secret="not-the-key",
    )
    job = _run_check(tx_personas)
    assert job.status == Job.Status.FAILED
    assert job.error_code == "connection_check_failed"
    assert "Custom Vision (training)" in job.error_message
    report = _reports(job)["custom_vision"]
    assert report["status"] == "failed"
    assert "key was rejected" in report["summary"]
    assert "Key 1 or Key 2" in report["summary"]
    assert _reports(job)["vision"]["status"] == "ok"  # the others are still checked


def test_it_reports_an_unreachable_endpoint(tx_personas, celery_worker, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    connection_update(
        workspace=tx_personas.workspace, kind="vision", actor=None, endpoint="http://127.0.0.1:9", secret="k"
    )  # discard port: nothing listens
    report = _reports(_run_check(tx_personas))["vision"]
    assert report["status"] == "failed"
    assert report["summary"].startswith("Cannot reach http://127.0.0.1:9")


def test_it_reports_an_endpoint_that_is_not_the_api(tx_personas, celery_worker, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    connection_update(
        workspace=tx_personas.workspace,
        kind="custom_vision",
        actor=None,
        endpoint=f"{live_server.url}/not-here",
        secret="k",
    )
    report = _reports(_run_check(tx_personas))["custom_vision"]
    assert "404" in report["summary"]
    assert "Check the endpoint URL" in report["summary"]


def test_it_marks_missing_connections_as_not_set_up(tx_personas, celery_worker):
    job = _run_check(tx_personas)
    assert job.status == Job.Status.SUCCEEDED
    assert {r["status"] for r in job.result["connections"]} == {"not_configured"}


def test_it_checks_azure_blob_storage_with_an_account_key(tx_personas, celery_worker, live_server, azurite):
    BlobServiceClient(azurite, credential=AZURITE_KEY).get_container_client("migrations").create_container()
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    connection_update(
        workspace=tx_personas.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=AZURITE_KEY,
        container="migrations",
    )
    job = _run_check(tx_personas)
    report = _reports(job)["storage"]
    assert report["status"] == "ok", report
    assert [s["name"] for s in report["steps"]] == ["Container", "Write", "Read", "List", "Delete"]
    leftovers = list(
        BlobServiceClient(azurite, credential=AZURITE_KEY).get_container_client("migrations").list_blobs()
    )
    assert leftovers == []  # the probe blob is cleaned up


def test_it_reports_a_missing_container(tx_personas, celery_worker, azurite):
    connection_update(
        workspace=tx_personas.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=AZURITE_KEY,
        container="does-not-exist",
    )
    report = _reports(_run_check(tx_personas))["storage"]
    assert report["status"] == "failed"
    assert "container does-not-exist does not exist" in report["summary"]


def test_it_reports_a_wrong_storage_key(tx_personas, celery_worker, azurite):
    wrong = AZURITE_KEY[:-8] + "AAAAAAA="
    connection_update(
        workspace=tx_personas.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.ACCOUNT_KEY,
        endpoint=azurite,
        secret=wrong,
        container="migrations",
    )
    report = _reports(_run_check(tx_personas))["storage"]
    assert report["status"] == "failed"
    assert "rejected the credentials" in report["summary"]


def test_it_reports_a_read_only_sas_token(tx_personas, celery_worker, azurite):
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    service = BlobServiceClient(azurite, credential=AZURITE_KEY)
    container = service.get_container_client("readonly")
    if not container.exists():
        container.create_container()
    sas = generate_container_sas(
        "devstoreaccount1",
        "readonly",
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    connection_update(
        workspace=tx_personas.workspace,
        kind="storage",
        actor=None,
        storage_auth=Connection.StorageAuth.SAS,
        endpoint=azurite,
        secret=sas,
        container="readonly",
    )
    report = _reports(_run_check(tx_personas))["storage"]
    assert report["status"] == "failed"
    assert not report["steps"][-1]["ok"]
    assert "lack a permission" in report["summary"] or "rejected" in report["summary"], report


def test_an_endpoint_that_redirects_gets_no_key_sent_on(tx_personas, celery_worker, recorder):
    """requests would resend the Ocp-Apim-Subscription-Key header to wherever a redirect points."""
    target = recorder.url("/elsewhere", host="127.0.0.1")
    recorder.routes["/computervision/datasets"] = (302, {"Location": target}, b"")
    connection_update(
        workspace=tx_personas.workspace,
        kind=Connection.Kind.VISION,
        actor=None,
        endpoint=recorder.url(""),
        secret="the-vision-key",
    )
    job = _run_check(tx_personas)
    vision = _reports(job)["vision"]
    assert vision["status"] != "ok"
    assert "redirect" in str(vision)
    assert [p.split("?")[0] for p in recorder.requests] == ["/computervision/datasets"]
