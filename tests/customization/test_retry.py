"""Retry of every job kind after a failure and after a cancel, through the job page's Retry button,
the real Celery worker and the sandbox over HTTP (jobs.services.job_retry, customization.services.retry)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.urls import reverse

from customization.client import VisionClient
from jobs.models import Job
from jobs.services import job_cancel, job_start
from tests.conftest import connect_to_sandbox, login, wait_for_job
from tests.customization.coco_files import write_dataset
from tests.migrator.cvproject import detection_project
from tests.sandbox_vision.conftest import shape_picture
from workspaces.models import Connection
from workspaces.services import connection_update
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)

BUDGET = 0.003  # hours: 11 s, enough for the test trainer's config (tests/settings.py)


@pytest.fixture
def sandboxed(tx_personas, live_server, client):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    login(client, tx_personas.bob)
    tx_personas.url = live_server.url
    return tx_personas


@contextmanager
def runs_held(settings):
    """The sandbox queues its training and evaluation runs where no worker listens: they stay
    notStarted at the service, as a busy training queue would leave them, until the block ends."""
    queue = settings.SANDBOX_TRAINING_QUEUE
    settings.SANDBOX_TRAINING_QUEUE = f"{settings.CELERY_TASK_DEFAULT_QUEUE}.held"
    try:
        yield
    finally:
        settings.SANDBOX_TRAINING_QUEUE = queue


def _page(client, job: Job) -> str:
    return client.get(
        reverse("jobs:detail", kwargs={"ws_id": job.workspace_id, "job_id": job.pk})
    ).content.decode()


def _retry(client, job: Job) -> Job:
    """Press Retry on the job's page; return the new job, run to its end."""
    response = client.post(reverse("jobs:retry", kwargs={"ws_id": job.workspace_id, "job_id": job.pk}))
    new = Job.objects.filter(retry_of=job).order_by("-created_at").first()
    assert new is not None, [m.message for m in response.wsgi_request._messages]
    assert response["Location"].endswith(f"/jobs/{new.pk}/")
    return wait_for_job(new, timeout=180)


def _cancel(client, job: Job) -> Job:
    client.post(reverse("jobs:cancel", kwargs={"ws_id": job.workspace_id, "job_id": job.pk}))
    return wait_for_job(job, timeout=60)


def _start(personas, kind: str, target: str, params: dict) -> Job:
    return job_start(
        workspace=personas.workspace, actor=personas.bob, kind=kind, target=target, params=params
    )


def _cancelled_before_it_started(personas, kind: str, target: str, params: dict) -> Job:
    with transaction.atomic():  # its message is sent on commit, after the cancel
        job = _start(personas, kind, target, params)
        job_cancel(job=job, actor=personas.bob)
    job = wait_for_job(job)
    assert job.status == Job.Status.CANCELLED
    return job


def _register_params(name: str, path: str, kind: str = "imageClassification") -> dict:
    return {
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
    }


def _register(personas, name: str, path: str) -> Job:
    job = wait_for_job(_start(personas, "register_dataset", name, _register_params(name, path)), timeout=90)
    assert job.status == Job.Status.SUCCEEDED, (job.error_code, job.error_message)
    return job


def _train_params(name: str, dataset: str) -> dict:
    return {
        "name": name,
        "kind": "Generic-Classifier",
        "dataset": dataset,
        "eval_dataset": "",
        "budget_hours": BUDGET,
    }


def _set_key(personas, kind: str, key: str) -> None:
    connection = personas.workspace.connections.get(kind=kind)
    connection_update(
        workspace=personas.workspace, kind=kind, actor=None, endpoint=connection.endpoint, secret=key
    )


# --- Check connections and export: the same params again ---------------------------------------


def test_it_retries_a_connection_check_after_a_failure_and_after_a_cancel(client, sandboxed, celery_worker):
    from sandbox.keys import sandbox_key

    _set_key(sandboxed, Connection.Kind.VISION, "not-the-key")
    failed = wait_for_job(_start(sandboxed, "check_connections", "", {}))
    assert failed.status == Job.Status.FAILED
    assert 'id="job-retry"' in _page(client, failed)
    _set_key(sandboxed, Connection.Kind.VISION, sandbox_key("vision"))
    retried = _retry(client, failed)
    assert retried.status == Job.Status.SUCCEEDED, retried.error_message

    cancelled = _cancelled_before_it_started(sandboxed, "check_connections", "", {})
    assert _retry(client, cancelled).status == Job.Status.SUCCEEDED


def test_it_retries_an_export_after_a_failure_and_after_a_cancel(client, sandboxed, celery_worker):
    from sandbox.keys import sandbox_key

    built = detection_project(sandboxed.url, "Shapes")
    params = {
        "project_id": built.project_id,
        "folder": "shapes/",
        "flavours": ["vision"],
        "multilabel": "skip",
        "negative": "skip",
        "existing": "overwrite",
    }
    _set_key(sandboxed, Connection.Kind.CUSTOM_VISION, "not-the-key")
    failed = wait_for_job(_start(sandboxed, "export_project", "Shapes", params), timeout=90)
    assert failed.status == Job.Status.FAILED
    _set_key(sandboxed, Connection.Kind.CUSTOM_VISION, sandbox_key("customvision"))
    retried = _retry(client, failed)
    assert retried.status == Job.Status.SUCCEEDED, retried.error_message
    assert retried.params == failed.params

    cancelled = _cancelled_before_it_started(sandboxed, "export_project", "Shapes", params)
    assert _retry(client, cancelled).status == Job.Status.SUCCEEDED


# --- Register dataset ---------------------------------------------------------------------------


def test_it_retries_a_registration_after_a_failure_and_after_a_cancel(client, sandboxed, celery_worker):
    failed = wait_for_job(
        _start(sandboxed, "register_dataset", "late-ds", _register_params("late-ds", "late/train.json"))
    )
    assert (failed.status, failed.error_code) == (Job.Status.FAILED, "annotation_unreadable")
    write_dataset(sandboxed.workspace, "late")  # the file arrives in storage
    retried = _retry(client, failed)
    assert retried.status == Job.Status.SUCCEEDED, retried.error_message
    assert retried.result["dataset"]["name"] == "late-ds"

    path = write_dataset(sandboxed.workspace, "other")
    cancelled = _cancelled_before_it_started(
        sandboxed, "register_dataset", "other-ds", _register_params("other-ds", path)
    )
    assert _retry(client, cancelled).status == Job.Status.SUCCEEDED


def test_a_registration_that_failed_validation_offers_no_retry_and_says_what_to_change(
    client, sandboxed, celery_worker
):
    _, store = storage_for(sandboxed.workspace)
    store.create_container()
    coco = {
        "images": [
            {"id": 1, "width": 100, "height": 100, "file_name": "a.jpg", "coco_url": "http://x/a.jpg"}
        ],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50]}],
        "categories": [{"id": 1, "name": "ball"}],
    }
    store.put("bad/train.json", json.dumps(coco).encode(), "application/json")
    job = wait_for_job(
        _start(
            sandboxed,
            "register_dataset",
            "bad-ds",
            _register_params("bad-ds", "bad/train.json", "imageObjectDetection"),
        ),
        timeout=60,
    )
    assert job.error_code == "validation_failed"

    page = _page(client, job)
    assert 'id="job-retry"' not in page
    assert "fix the problems listed below in bad/train.json, then register it again" in page
    register = reverse("customization:dataset_register", kwargs={"ws_id": sandboxed.workspace.pk})
    assert f'href="{register}?name=bad-ds&amp;kind=imageObjectDetection&amp;path=bad%2Ftrain.json"' in page

    response = client.post(
        reverse("jobs:retry", kwargs={"ws_id": sandboxed.workspace.pk, "job_id": job.pk}), follow=True
    )
    assert "fix the problems listed below" in response.content.decode()
    assert not Job.objects.filter(retry_of=job).exists()


# --- Train model: the same name, once the failed model is gone -----------------------------------


def test_it_retries_a_failed_training_under_the_same_name(client, sandboxed, celery_worker):
    failed = wait_for_job(
        _start(sandboxed, "train_model", "m1", _train_params("m1", "later-ds")), timeout=120
    )
    assert (failed.status, failed.error_code) == (Job.Status.FAILED, "datasetNotFound")
    _register(sandboxed, "later-ds", write_dataset(sandboxed.workspace, "later"))
    retried = _retry(client, failed)
    assert retried.status == Job.Status.SUCCEEDED, (retried.error_code, retried.error_message)
    assert retried.params == failed.params
    assert retried.result["model"]["name"] == "m1"
    # The button asked first, saying what the retry does to the failed model.
    assert "If the service still holds the failed model m1, it is deleted first" in _page(client, failed)


def test_it_retries_a_cancelled_training_under_the_same_name(client, sandboxed, celery_worker, settings):
    _register(sandboxed, "shapes-ds", write_dataset(sandboxed.workspace, "shapes"))
    with runs_held(settings):
        job = _start(sandboxed, "train_model", "m2", _train_params("m2", "shapes-ds"))
        wait_for_job(job, lambda j: bool(j.progress_message), timeout=60)  # the service has the model
        cancelled = _cancel(client, job)
    assert cancelled.status == Job.Status.CANCELLED
    assert VisionClient.for_workspace(sandboxed.workspace).model_get("m2")["status"] == "cancelled"

    retried = _retry(client, cancelled)
    assert retried.status == Job.Status.SUCCEEDED, (retried.error_code, retried.error_message)
    assert retried.result["model"]["name"] == "m2"


def test_a_training_retry_never_deletes_a_model_that_trained(client, sandboxed, celery_worker):
    """The job lost its worker, but the service trained the model: Retry opens it, it is not deleted."""
    _register(sandboxed, "shapes-ds", write_dataset(sandboxed.workspace, "shapes"))
    done = wait_for_job(_start(sandboxed, "train_model", "m3", _train_params("m3", "shapes-ds")), timeout=120)
    assert done.status == Job.Status.SUCCEEDED
    Job.objects.filter(pk=done.pk).update(status=Job.Status.FAILED, error_code="worker_lost")
    response = client.post(
        reverse("jobs:retry", kwargs={"ws_id": done.workspace_id, "job_id": done.pk}), follow=True
    )
    assert "finished training at the service after all" in response.content.decode()
    assert VisionClient.for_workspace(sandboxed.workspace).model_get("m3")["status"] == "succeeded"


# --- Evaluate and predict -----------------------------------------------------------------------


def test_it_retries_evaluations_as_a_new_name_and_predictions_as_they_were(
    client, sandboxed, celery_worker, settings
):
    from customization.services.training import prediction_path
    from sandbox.keys import sandbox_key

    _register(sandboxed, "shapes-ds", write_dataset(sandboxed.workspace, "shapes"))
    trained = wait_for_job(
        _start(sandboxed, "train_model", "m", _train_params("m", "shapes-ds")), timeout=120
    )
    assert trained.status == Job.Status.SUCCEEDED, trained.error_message

    # An evaluation on a dataset not registered yet fails; the retry runs it again as e1-2.
    params = {"model": "m", "name": "e1", "dataset": "later-eval"}
    failed = wait_for_job(_start(sandboxed, "evaluate_model", "m on later-eval", params), timeout=60)
    assert (failed.status, failed.error_code) == (Job.Status.FAILED, "datasetNotFound")
    assert "Retry as e1-2" in _page(client, failed)
    _register(sandboxed, "later-eval", write_dataset(sandboxed.workspace, "later-eval"))
    retried = _retry(client, failed)
    assert retried.status == Job.Status.SUCCEEDED, (retried.error_code, retried.error_message)
    assert retried.params == {**params, "name": "e1-2"}
    assert "Retry as e1-3" in _page(client, failed)  # a second retry of the same job takes the next name

    # Cancelled while the service had not started it: the service keeps e2 and the retry is e2-2.
    with runs_held(settings):
        job = _start(
            sandboxed,
            "evaluate_model",
            "m on shapes-ds",
            {"model": "m", "name": "e2", "dataset": "shapes-ds"},
        )
        wait_for_job(job, lambda j: j.progress_message.startswith("Evaluation"), timeout=60)
        cancelled = _cancel(client, job)
    assert cancelled.status == Job.Status.CANCELLED
    retried = _retry(client, cancelled)
    assert retried.status == Job.Status.SUCCEEDED, (retried.error_code, retried.error_message)
    assert retried.params["name"] == "e2-2"

    # A prediction that the service refused (a wrong key) runs again on the kept image.
    data, _ = shape_picture("circle", 99)
    path = prediction_path("retry-test", ".png")
    path.write_bytes(data)
    predict = {"model": "m", "image_path": str(path), "content_type": "image/png", "width": 96, "height": 96}
    _set_key(sandboxed, Connection.Kind.VISION, "not-the-key")
    failed = wait_for_job(_start(sandboxed, "predict", "m", predict), timeout=60)
    assert failed.status == Job.Status.FAILED
    _set_key(sandboxed, Connection.Kind.VISION, sandbox_key("vision"))
    assert _retry(client, failed).status == Job.Status.SUCCEEDED
    cancelled = _cancelled_before_it_started(sandboxed, "predict", "m", predict)
    assert _retry(client, cancelled).status == Job.Status.SUCCEEDED

    # Once the image is gone, the page says to upload it again instead of offering Retry.
    path.unlink()
    page = _page(client, cancelled)
    assert 'id="job-retry"' not in page
    assert "upload it again" in page


# --- What the page offers, from the job's outcome alone --------------------------------------------


def _failed_training(personas, code: str, message: str) -> Job:
    return Job.objects.create(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="train_model",
        target="m",
        params=_train_params("m", "shapes-ds"),
        status=Job.Status.FAILED,
        error_code=code,
        error_message=message,
    )


@pytest.mark.parametrize(
    ("code", "offered", "says"),
    [
        ("notEnoughBudget", "Retry with 0.01 h (36 s)", "with a budget of 0.01 h (36 s)"),
        ("datasetCorrupt", None, "The service cannot train on shapes-ds as it is registered"),
        ("ModelAlreadyExists", None, "A model named m already existed when this job started"),
    ],
)
def test_a_failed_trainings_page_offers_what_can_work(client, sandboxed, code, offered, says):
    page = _page(client, _failed_training(sandboxed, code, "The service said no."))
    assert says in page
    if offered:
        assert f">{offered}</button>" in page
    else:
        assert 'id="job-retry"' not in page
        train = reverse("customization:model_train", kwargs={"ws_id": sandboxed.workspace.pk})
        assert 'id="job-retry-instead"' in page and f'href="{train}?' in page


def test_after_not_enough_budget_the_retry_takes_what_the_service_said_would_do(client, sandboxed):
    """The local service says how much budget a large dataset needs ("allow at least 300 s"): more
    than twice the budget here, so the retry asks for that."""
    job = _failed_training(
        sandboxed,
        "notEnoughBudget",
        "Computing the features of 4000 pictures takes about 180 s on this machine, more than a 36 s "
        "budget leaves for it: allow at least 300 s, or train on fewer pictures.",
    )
    page = _page(client, job)
    assert ">Retry with 0.084 h (5 min 2 s)</button>" in page  # 300 s, up to the next thousandth
