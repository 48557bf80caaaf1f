"""Datasets, training, evaluation and predictions through the dashboard, a real worker and the sandbox."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from PIL import Image

from jobs.models import Job
from jobs.services import job_start
from tests.conftest import connect_to_sandbox, login, wait_for_job
from tests.migrator.cvproject import detection_project
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def _export(personas, project_id: str, folder: str) -> Job:
    job = job_start(
        workspace=personas.workspace,
        actor=personas.alice,
        kind="export_project",
        target="t",
        params={
            "project_id": project_id,
            "folder": folder,
            "flavours": ["vision"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "overwrite",
        },
    )
    return wait_for_job(job, timeout=90)


def _register(personas, name: str, path: str, kind: str = "imageObjectDetection") -> Job:
    job = job_start(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="register_dataset",
        target=name,
        params={
            "name": name,
            "kind": kind,
            "purpose": "training",
            "source": "storage",
            "path": path,
            "url": "",
            "auth": "sas",
            "budget_hours": 0.01,
            "check": "all",
            "export_job": "",
        },
    )
    return wait_for_job(job, timeout=90)


def test_an_export_registers_as_a_dataset_and_trains_evaluates_and_predicts(
    client, sandboxed, live_server, celery_worker
):
    built = detection_project(live_server.url, "Shapes")
    assert _export(sandboxed, built.project_id, "shapes/").status == Job.Status.SUCCEEDED
    registered = _register(sandboxed, "shapes-ds", "shapes/train.json")
    assert registered.status == Job.Status.SUCCEEDED, (registered.error_message, registered.result)
    assert registered.result["validation"]["ok"] is True
    assert registered.result["dataset"]["name"] == "shapes-ds"

    login(client, sandboxed.bob)
    page = client.get(
        reverse("customization:dataset", kwargs={"ws_id": sandboxed.workspace.pk, "name": "shapes-ds"})
    )
    assert page.status_code == 200
    assert "ball" in page.content.decode()

    train = job_start(
        workspace=sandboxed.workspace,
        actor=sandboxed.bob,
        kind="train_model",
        target="m1",
        params={
            "name": "m1",
            "kind": "Generic-Detector",
            "dataset": "shapes-ds",
            "eval_dataset": "",
            "budget_hours": 0.01,
        },
    )
    train = wait_for_job(train, timeout=300)
    assert train.status == Job.Status.SUCCEEDED, (train.error_code, train.error_message)
    model = train.result["model"]
    assert model["status"] == "succeeded"
    assert 0 < model["trainingCostInMinutes"] <= 0.01 * 60 + 0.05
    assert "meanAveragePrecision50" in model["modelPerformance"]
    page = client.get(
        reverse("customization:model", kwargs={"ws_id": sandboxed.workspace.pk, "name": "m1"})
    ).content.decode()
    assert "mAP@50" in page

    evaluate = client.post(
        reverse("customization:model_evaluate", kwargs={"ws_id": sandboxed.workspace.pk, "name": "m1"}),
        {"dataset": "shapes-ds", "evaluation": "again"},
    )
    evaluation = wait_for_job(Job.objects.get(kind="evaluate_model"), timeout=120)
    assert evaluate["Location"].endswith(f"/jobs/{evaluation.pk}/")
    assert evaluation.status == Job.Status.SUCCEEDED, evaluation.error_message
    assert "meanAveragePrecision50" in evaluation.result["evaluation"]["modelPerformance"]

    image = next(iter(built.originals.values()))
    response = client.post(
        reverse("customization:try", kwargs={"ws_id": sandboxed.workspace.pk}),
        {"model": "m1", "image": io.BytesIO(image)},
    )
    predict = Job.objects.get(kind="predict")
    assert response["Location"].endswith(f"/jobs/{predict.pk}/")
    predict = wait_for_job(predict, timeout=60)
    assert predict.status == Job.Status.SUCCEEDED, predict.error_message
    assert predict.result["width"] == 120
    png = client.get(
        reverse(
            "customization:prediction_image", kwargs={"ws_id": sandboxed.workspace.pk, "job_id": predict.pk}
        ),
        {"t": "0"},
    )
    assert png["Content-Type"] == "image/png"
    width, height = Image.open(io.BytesIO(png.content)).size
    assert min(width, height) >= 360  # small images are enlarged for drawing
    assert width * 90 == height * 120  # same aspect ratio


def test_a_file_with_blocking_problems_is_not_registered_and_says_why(
    client, sandboxed, live_server, celery_worker
):
    _, store = storage_for(sandboxed.workspace)
    store.create_container()
    coco = {
        "images": [
            {"id": 1, "width": 100, "height": 100, "file_name": "a.jpg", "coco_url": "http://x/a.jpg"}
        ],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50]}],
        "categories": [{"id": 1, "name": "<script>alert(1)</script>"}],
    }
    store.put("bad/train.json", json.dumps(coco).encode(), "application/json")
    job = _register(sandboxed, "bad-ds", "bad/train.json")
    assert job.status == Job.Status.FAILED
    assert job.error_code == "validation_failed"
    codes = {g["code"] for g in job.result["validation"]["errors"]}
    assert "bbox_pixels" in codes
    login(client, sandboxed.bob)
    page = client.get(
        reverse("jobs:detail", kwargs={"ws_id": sandboxed.workspace.pk, "job_id": job.pk})
    ).content.decode()
    assert "Divide left and width by the image width" in page
    assert "<script>alert(1)</script>" not in page  # hostile names are escaped


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"not an image at all", "not an image Visionport can read"),
        (lambda: _png(20, 20), "needs at least 50×50"),
        (lambda: b"\x89PNG" + b"0" * (6 * 1024 * 1024), "larger than 6 MB"),
    ],
)
def test_uploads_are_validated(make, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customization.forms import TryForm

    form = TryForm({"model": "m"}, {"image": SimpleUploadedFile("x.png", make())}, models=["m"])
    assert not form.is_valid()
    assert message in str(form.errors["image"])


def test_a_decompression_bomb_is_refused():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customization.forms import TryForm

    form = TryForm({"model": "m"}, {"image": SimpleUploadedFile("b.png", _png(10000, 10000))}, models=["m"])
    assert not form.is_valid()
    assert "too many pixels" in str(form.errors["image"]) or "decompression bomb" in str(form.errors["image"])


def _png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (w, h)).save(out, "PNG")
    return out.getvalue()
