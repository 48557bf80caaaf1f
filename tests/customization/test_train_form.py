"""The train form refuses what cannot train, before any job: a budget below the service's minimum,
a model kind that does not fit the dataset, a name the service already holds; the model page's
"evaluate on another dataset" refuses a dataset of another kind (customization.training_rules)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customization.client import VisionClient
from customization.forms import TrainForm
from customization.models import DatasetRecord
from customization.training_rules import hours_text, is_azure_endpoint, kind_mismatch, minimum_hours
from jobs.models import Job
from tests.conftest import connect_to_sandbox, login
from tests.customization.coco_files import write_dataset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandboxed(tx_personas, live_server, client):
    """Two datasets registered at the sandbox (no worker: registration reads the files at once)."""
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    login(client, tx_personas.bob)
    vision = VisionClient.for_workspace(tx_personas.workspace)
    from workspaces.storage import storage_for

    _, store = storage_for(tx_personas.workspace)
    for name, kind in (("cls-ds", "imageClassification"), ("det-ds", "imageObjectDetection")):
        path = write_dataset(tx_personas.workspace, name, kind)
        vision.dataset_register(
            name, kind=kind, annotation_urls=[store.url(path)], sas=store.container_sas(expires_in=3600)
        )
    tx_personas.vision = vision
    return tx_personas


def _train(client, personas, **fields) -> str:
    data = {
        "name": "m",
        "kind": "Generic-Detector",
        "dataset": "det-ds",
        "eval_dataset": "",
        "budget_hours": "0.05",
        **fields,
    }
    response = client.post(
        reverse("customization:model_train", kwargs={"ws_id": personas.workspace.pk}), data
    )
    assert response.status_code == 200, "the form was accepted"
    assert not Job.objects.filter(kind="train_model").exists()
    return response.content.decode()


def test_it_refuses_a_budget_below_the_local_services_minimum(client, sandboxed):
    page = _train(client, sandboxed, budget_hours="0.001")
    assert "0.001 h (4 s) is too short for the local service: it needs at least 0.01 h (36 s)" in page


def test_its_default_budget_is_above_the_minimum_and_the_page_says_whose_figures_are_whose(client, sandboxed):
    page = client.get(
        reverse("customization:model_train", kwargs={"ws_id": sandboxed.workspace.pk})
    ).content.decode()
    assert 'value="0.05"' in page and minimum_hours(azure=False, kind="Generic-Detector") <= 0.05
    assert "trains on <strong>the local service</strong>" in page
    assert "It needs at least <strong>0.01 h (36 s)</strong>" in page
    assert "Azure's</strong> minimums" in page


def test_it_accepts_the_minimum_and_starts_the_training(client, sandboxed):
    response = client.post(
        reverse("customization:model_train", kwargs={"ws_id": sandboxed.workspace.pk}),
        {
            "name": "m",
            "kind": "Generic-Detector",
            "dataset": "det-ds",
            "eval_dataset": "",
            "budget_hours": "0.01",
        },
    )
    job = Job.objects.get(kind="train_model")
    assert response["Location"].endswith(f"/jobs/{job.pk}/")
    _cancel_and_wait(job)


def _cancel_and_wait(job: Job) -> None:
    """Cancel the training and wait for a running worker to let go of it: a session's worker that
    is still training when the test ends keeps the database from being flushed."""
    import time

    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    began = time.monotonic()
    while time.monotonic() - began < 120:
        job.refresh_from_db()
        if job.status in Job.TERMINAL or (job.status == Job.Status.QUEUED and time.monotonic() - began > 5):
            return  # ended, or no worker runs in this session
        time.sleep(0.5)


def test_it_refuses_a_detector_on_a_classification_dataset_and_says_which_kinds_fit(client, sandboxed):
    page = _train(client, sandboxed, dataset="cls-ds")
    assert (
        "cls-ds is a classification dataset, and an object detector needs an object detection dataset: "
        "classifiers fit classification datasets, object detectors and product recognizers fit object "
        "detection datasets. Pick an object detection dataset, or train a classifier on this one."
    ) in page


def test_it_refuses_a_classifier_on_a_detection_dataset_and_an_evaluation_dataset_of_another_kind(
    client, sandboxed
):
    page = _train(client, sandboxed, kind="Generic-Classifier", dataset="det-ds")
    assert "or train an object detector or a product recognizer on this one" in page
    page = _train(client, sandboxed, kind="Product-Recognizer", eval_dataset="cls-ds")
    assert (
        "cls-ds is a classification dataset, and a product recognizer needs an object detection dataset"
        in page
    )


def test_it_refuses_a_name_the_service_already_holds(client, sandboxed, settings):
    settings.SANDBOX_TRAINING_QUEUE = "nowhere"  # the model stays notStarted: no worker in this test
    sandboxed.vision.model_train("taken", dataset="det-ds", kind="Generic-Detector", budget_hours=0.01)
    sandboxed.vision.model_cancel("taken")
    page = _train(client, sandboxed, name="taken")
    assert "The cancelled model taken holds this name at the service: delete it on its page" in page


def test_evaluating_on_a_dataset_of_another_kind_is_refused_before_any_job(client, sandboxed, settings):
    settings.SANDBOX_TRAINING_QUEUE = "nowhere"
    sandboxed.vision.model_train("det", dataset="det-ds", kind="Generic-Detector", budget_hours=0.01)
    url = reverse("customization:model_evaluate", kwargs={"ws_id": sandboxed.workspace.pk, "name": "det"})
    response = client.post(url, {"dataset": "cls-ds", "evaluation": "e"}, follow=True)
    assert "cls-ds is a classification dataset, and an object detector needs an object detection dataset" in (
        response.content.decode()
    )
    assert not Job.objects.filter(kind="evaluate_model").exists()


# --- Azure's minimum (no Azure to reach from here: the form on its own) --------------------------


def test_on_azure_it_refuses_less_than_the_faqs_minimum_for_the_datasets_size():
    record = DatasetRecord(name="shapes", images=71, per_category={"ball": 71})
    data = {
        "name": "m",
        "kind": "Generic-Detector",
        "dataset": "shapes",
        "eval_dataset": "",
        "budget_hours": "0.05",
    }
    form = TrainForm(
        data, datasets={"shapes": "imageObjectDetection"}, records={"shapes": record}, azure=True
    )
    assert not form.is_valid()
    assert form.errors["budget_hours"] == [
        "0.05 h (3 min) is too short: Azure needs at least 0.474 h (28 min) to train an object detector on the 71 "
        "images of shapes (0.0066667 h per image). 0.948–2.37 h usually trains well."
    ]
    data["budget_hours"] = "0.474"  # the minimum as the calculator shows it is accepted
    assert TrainForm(
        data, datasets={"shapes": "imageObjectDetection"}, records={"shapes": record}, azure=True
    ).is_valid()


def test_which_service_a_workspace_trains_on_is_read_from_its_endpoint():
    assert is_azure_endpoint("https://myvision.cognitiveservices.azure.com/")
    assert is_azure_endpoint("https://westeurope.api.cognitive.microsoft.com")
    assert not is_azure_endpoint("http://127.0.0.1:8000")
    assert not is_azure_endpoint("https://visionport.example.org")
    assert hours_text(0.474) == "0.474 h (28 min)"
    assert kind_mismatch("d", "imageObjectDetection", "Product-Recognizer") == ""
