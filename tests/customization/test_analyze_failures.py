"""*Analyze errors* when things go wrong, against the local Vision service and a real worker: an
image that cannot be read is kept with why and the run goes on; a service that fails on image after
image stops the job with a sentence; a model the service does not have fails it at once."""

from __future__ import annotations

import pytest

from customization.models import AnalyzedImage, ErrorAnalysis
from jobs.models import Job
from jobs.services import job_start
from sandbox.vision.models import VisionModel
from tests.conftest import connect_to_sandbox, wait_for_job
from tests.customization.test_flow import _register
from tests.customization.test_gallery import put_dataset
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
