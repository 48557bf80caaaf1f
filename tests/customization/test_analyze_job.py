"""*Analyze errors* end to end: a model trained by the local Vision service on an exported project,
run over its dataset through the prediction API by a real worker, the cost said before it starts,
and the model page's figures, curves and error gallery drawn from what it stored."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from customization.models import AnalyzedImage, DatasetRecord, ErrorAnalysis
from jobs.models import Job
from jobs.services import job_start
from tests.conftest import connect_to_sandbox, login, wait_for_job
from tests.customization.test_flow import _export, _register
from tests.migrator.cvproject import detection_project
from tests.page_text import page_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def test_an_analysis_runs_the_model_over_every_image_and_fills_the_page(
    client, sandboxed, live_server, celery_worker
):
    built = detection_project(live_server.url, "Shapes")
    assert _export(sandboxed, built.project_id, "shapes/").status == Job.Status.SUCCEEDED
    registered = _register(sandboxed, "shapes-ds", "shapes/train.json")
    assert registered.status == Job.Status.SUCCEEDED, registered.error_message
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

    login(client, sandboxed.bob)
    ws = sandboxed.workspace.pk
    model_page = client.get(
        reverse("customization:model", kwargs={"ws_id": ws, "name": "m1"})
    ).content.decode()
    assert (
        "shapes-ds (training dataset: not held out)" in model_page
    )  # no evaluation dataset: the training one
    backbone = train.result["model"]["sandboxDetails"]["backbone"]  # what the local trainer used
    assert f"Backbone {backbone}" in page_text(model_page)
    url = reverse("customization:model_analyze", kwargs={"ws_id": ws, "name": "m1"})
    confirm = client.get(url, {"dataset": "shapes-ds"})
    images = DatasetRecord.objects.get(workspace=sandboxed.workspace, name="shapes-ds").images
    assert images > 0
    text = page_text(confirm.content.decode())
    assert f"{images} images = {images} prediction calls" in text
    assert "This is the model's training dataset: the figures will not be held out." in text

    started = client.post(url, {"dataset": "shapes-ds"})
    job = Job.objects.get(kind="analyze_errors")
    assert started["Location"].endswith(f"/jobs/{job.pk}/")
    assert job.params == {"model": "m1", "dataset": "shapes-ds", "dataset_role": "training", "images": images}
    job = wait_for_job(job, timeout=180)
    assert job.status == Job.Status.SUCCEEDED, (job.error_code, job.error_message)
    assert (job.progress_done, job.progress_total) == (images, images)

    analysis = ErrorAnalysis.objects.get(job=job)
    assert (analysis.workspace, analysis.model_name, analysis.complete) == (sandboxed.workspace, "m1", True)
    assert analysis.images == images and not analysis.held_out
    assert analysis.summary["answered"] == images - analysis.failed  # the page's figures, kept by the job
    rows = list(AnalyzedImage.objects.filter(analysis=analysis))
    assert len(rows) == images and all(not r.problem for r in rows)
    assert analysis.truth_objects == sum(len(r.truth["boxes"]) for r in rows) > 0
    assert any(r.predictions for r in rows)
    for r in rows:
        for p in r.predictions:
            assert len(p) == 6 and 0 <= p[1] <= 1 and all(-0.01 <= v <= 1.01 for v in p[2:])

    job_page = page_text(
        client.get(reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": job.pk})).content.decode()
    )
    assert f"{images} images of shapes-ds through m1: {images} prediction calls" in job_page

    page = client.get(reverse("customization:model", kwargs={"ws_id": ws, "name": "m1"})).content.decode()
    assert 'id="not-held-out"' in page
    assert 'id="pr-table"' in page and 'id="eval-data"' in page
    shown = [int(i) for i in re.findall(r'data-image-id="(\d+)"', page)]
    worst_first = sorted(rows, key=lambda r: (-r.error_score, r.image_id))
    assert shown == [r.image_id for r in worst_first][:24]
    image = client.get(
        reverse(
            "customization:analysis_image",
            kwargs={"ws_id": ws, "name": "m1", "image_id": shown[0]},
        ),
        {"analysis": str(analysis.pk)},
    )
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
