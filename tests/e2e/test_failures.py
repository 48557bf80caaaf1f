"""What a person sees in the browser when things go wrong, and the sandbox's fault settings page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from customization.models import DatasetRecord
from jobs.models import Job
from jobs.services import job_start
from sandbox.keys import sandbox_key
from sandbox.services.faults import faults_clear, faults_get, faults_set
from sandbox.vision.models import VisionDataset
from tests.conftest import PASSWORD, connect_to_sandbox, wait_for_job
from tests.e2e.conftest import log_in, shot
from tests.migrator.cvproject import detection_project, picture
from workspaces.services import connection_update
from workspaces.storage import storage_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _faults_off() -> Iterator[None]:
    """Faults are shared by every workspace and test: always leave them off."""
    yield
    faults_clear()


def _projects_api(base_url: str) -> requests.Response:
    return requests.get(
        f"{base_url}/sandbox/customvision/v3.4-preview/training/projects",
        headers={"Training-Key": sandbox_key("customvision")},
        timeout=10,
    )


def test_staff_set_and_clear_sandbox_faults_in_the_page(page: Page, live_server, transactional_db):
    User.objects.create_user("sam", "sam@example.org", PASSWORD, is_staff=True)
    log_in(page, live_server.url, "sam")
    page.click("summary:has-text('sam')")
    page.click("#nav-sandbox-faults")
    expect(page.locator("h1")).to_have_text("Sandbox faults")
    expect(page.locator("#faults-scope")).to_contain_text("apply to every workspace")
    expect(page.locator("#faults-current .badge")).to_have_text("All off")

    page.fill("#id_latency_ms", "20000")
    page.click("#faults-form button[type=submit]")
    expect(page.locator(".alert-error")).to_have_text("Nothing was changed: correct the fields marked below.")
    expect(page.locator(".field.has-error")).to_contain_text(
        "Enter a number of milliseconds from 0 to 10000."
    )
    assert not faults_get(fresh=True).active

    page.fill("#id_latency_ms", "150")
    page.fill("#id_tps_limit", "1")
    page.uncheck("#id_retry_after")
    page.fill("#id_error_percent", "0")
    page.fill("#id_drop_percent", "0")
    page.click("#faults-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Sandbox faults saved.")
    current = page.locator("#faults-current")
    expect(current.locator(".badge")).to_have_text("Faults on")
    expect(current).to_contain_text("150 ms")
    expect(current).to_contain_text("1 request/s per server process, then 429 without Retry-After")
    shot(page, "sandbox-faults")

    assert _projects_api(live_server.url).status_code == 200
    throttled = _projects_api(live_server.url)
    assert throttled.status_code == 429 and "Retry-After" not in throttled.headers

    page.click("#faults-off button")
    expect(page.locator(".alert-success")).to_have_text("All sandbox faults are off.")
    expect(page.locator("#faults-current .badge")).to_have_text("All off")
    assert not faults_get(fresh=True).active
    assert _projects_api(live_server.url).status_code == 200


def test_a_wrong_key_and_an_unreachable_endpoint_are_explained(page: Page, live_server, tx_personas):
    ws = tx_personas.workspace
    connect_to_sandbox(ws, live_server.url)
    connection_update(
        workspace=ws,
        kind="custom_vision",
        actor=None,
        endpoint=f"{live_server.url}/sandbox",
        secret="wrong-key",
    )
    log_in(page, live_server.url, "alice")
    page.click("nav.mainnav >> text=Projects")
    alert = page.locator(".alert-error")
    expect(alert).to_contain_text("Custom Vision rejected the training key (401)")
    expect(page.locator("main")).to_contain_text("Connection settings")
    shot(page, "fail-01-wrong-key")

    connection_update(
        workspace=ws, kind="custom_vision", actor=None, endpoint="http://127.0.0.1:9/sandbox", secret="k"
    )
    page.reload()
    expect(alert).to_contain_text("Cannot reach Custom Vision at http://127.0.0.1:9/sandbox")
    shot(page, "fail-02-unreachable")


def test_an_invalid_coco_file_is_reported_and_not_registered(
    page: Page, live_server, tx_personas, celery_worker
):
    ws = tx_personas.workspace
    connect_to_sandbox(ws, live_server.url)
    _, store = storage_for(ws)
    store.create_container()
    coco = {
        "images": [
            {"id": 1, "width": 100, "height": 100, "file_name": "a.jpg", "coco_url": "http://x/a.jpg"},
            {"id": 3, "width": 5, "height": 5, "file_name": "b.jpg"},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50]},
            {"id": 2, "image_id": 9, "category_id": 1, "bbox": [0.1, 0.1, 0.2, 0.2]},
        ],
        "categories": [{"id": 1, "name": "cat"}],
    }
    store.put("bad/train.json", json.dumps(coco).encode(), "application/json")

    log_in(page, live_server.url, "bob")
    page.click("nav.mainnav >> text=Datasets")
    page.click("text=Register a dataset")
    page.fill("#id_name", "bad-ds")
    page.select_option("#id_kind", "imageObjectDetection")
    page.fill("#id_path", "bad/train.json")
    page.select_option("#id_check", "none")
    page.click("#register-form button[type=submit]")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "failed", timeout=60_000)
    report = page.locator("#validation")
    expect(report).to_contain_text("6 blocking problems of 6 kinds")
    for code in ("bbox_pixels", "image_url", "image_size_range", "image_ids_dense", "annotation_image"):
        expect(report.locator(f".alert-error[data-code={code}]")).to_be_visible()
    expect(report).to_contain_text("Divide left and width by the image width")
    expect(page.locator("#job-error")).to_be_visible()
    shot(page, "fail-03-invalid-coco")

    assert not VisionDataset.objects.filter(name="bad-ds").exists()
    assert not DatasetRecord.objects.filter(name="bad-ds").exists()
    page.click("nav.mainnav >> text=Datasets")
    expect(page.locator("main")).not_to_contain_text("bad-ds")


def test_try_it_out_refuses_a_corrupt_or_tiny_image_and_keeps_the_choice(
    page: Page, live_server, tx_personas, celery_worker, tmp_path
):
    ws = tx_personas.workspace
    connect_to_sandbox(ws, live_server.url)
    built = detection_project(live_server.url, "Shapes")
    export = wait_for_job(
        job_start(
            workspace=ws,
            actor=tx_personas.alice,
            kind="export_project",
            target="Shapes",
            params={
                "project_id": built.project_id,
                "folder": "shapes/",
                "flavours": ["vision"],
                "multilabel": "skip",
                "negative": "skip",
                "existing": "overwrite",
            },
        ),
        timeout=90,
    )
    assert export.status == Job.Status.SUCCEEDED, export.error_message
    params = {
        "name": "shapes-ds",
        "kind": "imageObjectDetection",
        "purpose": "training",
        "source": "storage",
        "path": "shapes/train.json",
        "url": "",
        "auth": "sas",
        "budget_hours": 0.01,
        "check": "none",
        "export_job": "",
    }
    registered = wait_for_job(
        job_start(
            workspace=ws, actor=tx_personas.alice, kind="register_dataset", target="shapes-ds", params=params
        ),
        timeout=90,
    )
    assert registered.status == Job.Status.SUCCEEDED, registered.error_message
    train = wait_for_job(
        job_start(
            workspace=ws,
            actor=tx_personas.alice,
            kind="train_model",
            target="shapes-m",
            params={
                "name": "shapes-m",
                "kind": "Generic-Detector",
                "dataset": "shapes-ds",
                "eval_dataset": "",
                "budget_hours": 0.01,
            },
        ),
        timeout=300,
    )
    assert train.status == Job.Status.SUCCEEDED, train.error_message

    corrupt = tmp_path / "photo.jpg"
    corrupt.write_bytes(picture(1)[:200])  # a JPEG cut short, as a failed download leaves it
    tiny = tmp_path / "tiny.png"
    tiny.write_bytes(picture(2, "PNG", size=(40, 30)))
    log_in(page, live_server.url, "bob")
    page.click("nav.mainnav >> text=Try it out")
    page.set_input_files("#id_image", str(corrupt))
    page.click("#try-form button[type=submit]")
    errors = page.locator("#try-form .errorlist")
    expect(errors).to_have_text("This file is not an image Visionport can read.")
    expect(page.locator("#id_model")).to_have_value("shapes-m")
    shot(page, "fail-04-try-corrupt")

    page.set_input_files("#id_image", str(tiny))
    page.click("#try-form button[type=submit]")
    expect(errors).to_contain_text("The image is 40×30; the service needs at least 50×50.")
    shot(page, "fail-05-try-tiny")
    assert not Job.objects.filter(kind="predict").exists()


def test_a_job_cancelled_from_its_page_says_cancelled(page: Page, live_server, tx_personas, celery_worker):
    ws = tx_personas.workspace
    connect_to_sandbox(ws, live_server.url)
    built = detection_project(live_server.url, "Shapes")
    faults_set(latency_ms=700)  # a slow service, so the export is still running when the person cancels
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/w/{ws.pk}/projects/{built.project_id}/")
    page.fill("#id_folder", "cancelled/")
    page.click("#export-form button[type=submit]")
    live = page.locator("#job-live")
    expect(live).to_have_attribute("data-status", "running", timeout=30_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#job-live button:has-text('Cancel')")
    expect(live).to_have_attribute("data-status", "cancelled", timeout=30_000)
    expect(page.locator("#job-status")).to_have_text("Cancelled")
    expect(page.locator("#job-events")).to_contain_text("Cancel requested by bob.")
    expect(page.locator("#job-live button:has-text('Retry')")).to_be_visible()
    shot(page, "fail-06-job-cancelled")
    assert Job.objects.get(kind="export_project").status == Job.Status.CANCELLED
