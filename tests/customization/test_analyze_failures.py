"""*Analyze errors* when things go wrong, against the local Vision service and a real worker: an
image that cannot be read is kept with why and the run goes on; a service that fails on image after
image stops the job with a sentence; a model the service does not have fails it at once; a user who
cancels a run mid-way stops it, and what it had stored is dropped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customization.models import AnalyzedImage, ErrorAnalysis
from customization.services.analysis import analysis_folder
from jobs.models import Job
from jobs.services import job_start
from sandbox.vision.models import VisionModel
from tests.conftest import connect_to_sandbox, login, wait_for_job
from tests.customization.test_flow import _register
from tests.customization.test_gallery import put_dataset
from trainer import untrained_model
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(tx_personas, live_server, celery_worker):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    put_dataset(tx_personas, "gal", count=6)
    job = _register(tx_personas, "gal-ds", "gal/train.json")
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    return tx_personas


def _analyze(personas, model: str) -> Job:
    job = job_start(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="analyze_errors",
        target=f"{model} on gal-ds",
        params={"model": model, "dataset": "gal-ds", "dataset_role": "training", "images": 6},
    )
    return wait_for_job(job, timeout=120)


def test_a_model_the_service_does_not_have_fails_the_job_at_once(dataset):
    job = _analyze(dataset, "nobody")
    assert (job.status, job.error_code) == (Job.Status.FAILED, "model_not_found")
    assert "The service has no model named nobody" in job.error_message
    assert not AnalyzedImage.objects.exists()


def test_a_service_failing_image_after_image_stops_the_job_and_unreadable_images_say_why(dataset):
    # A succeeded model with no weights behind it: the service answers 500 to every analyze call.
    VisionModel.objects.create(
        name="broken",
        status="succeeded",
        model_kind="Generic-Detector",
        training_dataset_name="gal-ds",
        time_budget_hours=0.01,
    )
    _, store = storage_for(dataset.workspace)
    store.delete("gal/img-2.png")
    job = _analyze(dataset, "broken")
    assert (job.status, job.error_code) == (Job.Status.FAILED, "service_failing"), job.error_message
    assert "The Vision service failed on 3 images in a row" in job.error_message
    analysis = ErrorAnalysis.objects.get(job=job)
    assert not analysis.complete  # never shown on the model page
    rows = {r.image_id: r.problem for r in AnalyzedImage.objects.filter(analysis=analysis)}
    # 1 and 3 failed at the service, 2 could not be read (not the service's fault: no count); 4 stops it
    assert sorted(rows) == [1, 2, 3]
    assert rows[2].startswith("The image could not be read: Not found")
    assert rows[1].startswith("The service refused the image")


def test_cancelling_an_analysis_mid_run_stops_it_and_drops_what_it_stored(
    client, tx_personas, live_server, celery_worker, tmp_path
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    put_dataset(tx_personas, "many", count=150)
    registered = _register(tx_personas, "many-ds", "many/train.json")
    assert registered.status == Job.Status.SUCCEEDED, registered.error_message
    untrained_model("detector", ["ball"], backbone="scratch").save(tmp_path / "m")
    VisionModel.objects.create(
        name="quick",
        status="succeeded",
        model_kind="Generic-Detector",
        training_dataset_name="many-ds",
        time_budget_hours=0.01,
        model_dir=str(tmp_path / "m"),
    )
    login(client, tx_personas.bob)
    ws = tx_personas.workspace.pk
    client.post(
        reverse("customization:model_analyze", kwargs={"ws_id": ws, "name": "quick"}), {"dataset": "many-ds"}
    )
    job = Job.objects.get(kind="analyze_errors")
    wait_for_job(job, lambda j: AnalyzedImage.objects.count() >= 3 or j.status in Job.TERMINAL, timeout=120)
    analysis = ErrorAnalysis.objects.get(job=job)
    assert analysis_folder(analysis.pk).is_dir()  # the kept copies for the error gallery

    client.post(reverse("jobs:cancel", kwargs={"ws_id": ws, "job_id": job.pk}))
    job = wait_for_job(job, timeout=60)
    assert job.status == Job.Status.CANCELLED, (job.status, job.progress_message)
    assert job.progress_done < 150  # it stopped mid-way, not after the last image
    assert not ErrorAnalysis.objects.exists() and not AnalyzedImage.objects.exists()
    assert not analysis_folder(analysis.pk).exists()
    page = client.get(reverse("customization:model", kwargs={"ws_id": ws, "name": "quick"}))
    html = page.content.decode()
    assert page.status_code == 200 and "Analyze errors on" in html and "Analyze again on" not in html
