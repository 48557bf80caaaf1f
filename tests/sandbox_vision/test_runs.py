"""Who runs a training task: the claim that keeps a redelivered task from training a model twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.vision.models import VisionModel
from sandbox.vision.services.training import LOST_AFTER_SECONDS, _claim

pytestmark = pytest.mark.django_db

Status = VisionModel.Status


def _model(status: str, *, heartbeat_age: float | None = None, cancel: bool = False) -> VisionModel:
    beat = None if heartbeat_age is None else timezone.now() - timedelta(seconds=heartbeat_age)
    return VisionModel.objects.create(
        name=f"m-{VisionModel.objects.count()}",
        status=status,
        model_kind="Generic-Classifier",
        training_dataset_name="d",
        time_budget_hours=1,
        heartbeat=beat,
        cancel_requested=cancel,
    )


def test_a_queued_model_is_claimed_once():
    model = _model(Status.NOT_STARTED)
    assert _claim(str(model.pk)) == "run"
    model.refresh_from_db()
    assert model.status == Status.TRAINING and model.heartbeat is not None
    assert _claim(str(model.pk)) == "busy"  # the same task delivered twice: the live run keeps it


def test_a_run_whose_heartbeat_went_stale_is_taken_over():
    model = _model(Status.TRAINING, heartbeat_age=LOST_AFTER_SECONDS + 5)
    assert _claim(str(model.pk)) == "run"


def test_a_lost_run_that_was_being_cancelled_ends_cancelled():
    model = _model(Status.CANCELLING, heartbeat_age=LOST_AFTER_SECONDS + 5, cancel=True)
    assert _claim(str(model.pk)) == "done"
    model.refresh_from_db()
    assert model.status == Status.CANCELLED and model.error_code == ""


@pytest.mark.parametrize("status", [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED])
def test_a_finished_model_is_left_alone(status):
    model = _model(status, heartbeat_age=LOST_AFTER_SECONDS + 5)
    assert _claim(str(model.pk)) == "done"
    model.refresh_from_db()
    assert model.status == status
