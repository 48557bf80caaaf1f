"""Evaluations: a trained model scored on a registered dataset, in a Celery task like training.

Failure codes are the documented ones: modelNotFound (no trained model), datasetNotFound,
incorrectModelKind (the dataset's annotation kind does not fit the model), datasetCorrupt,
datasetEmpty (no ground truth) and internalServerError.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sandbox.tasks import vision_evaluate_model_task
from sandbox.vision.body import pick_object, pick_str
from sandbox.vision.errors import RunFailed, VisionApiError, invalid_argument
from sandbox.vision.models import VisionEvaluation, VisionModel
from sandbox.vision.services.datasets import name_check
from sandbox.vision.services.loading import dataset_load, samples_for
from sandbox.vision.services.prediction import model_load
from sandbox.vision.services.training import enqueue
from sandbox.vision.wire import performance_json

logger = logging.getLogger(__name__)
Status = VisionEvaluation.Status


def evaluation_create(*, model: VisionModel, name: str, data: dict[str, Any]) -> VisionEvaluation:
    name_check(name, "evaluation")
    parameters = pick_object(data, "evaluationParameters")
    if parameters is None:
        raise invalid_argument("evaluationParameters is required.")
    dataset = pick_str(parameters, "testDatasetName", required=True)
    if VisionEvaluation.objects.filter(model=model, name=name).exists():
        raise VisionApiError(
            409, "EvaluationAlreadyExists", f"Model '{model.name}' already has an evaluation '{name}'."
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            evaluation = VisionEvaluation.objects.create(
                model=model, name=name, test_dataset_name=dataset, created=now, updated=now
            )
            enqueue(
                vision_evaluate_model_task,
                evaluation.pk,
                lambda message: _fail(evaluation.pk, "internalServerError", message),
            )
    except IntegrityError:
        raise VisionApiError(
            409, "EvaluationAlreadyExists", f"Model '{model.name}' already has an evaluation '{name}'."
        ) from None
    return evaluation


def evaluation_delete(*, evaluation: VisionEvaluation) -> None:
    if evaluation.status not in VisionEvaluation.TERMINAL:
        raise VisionApiError(
            409, "Conflict", f"Evaluation '{evaluation.name}' is {evaluation.status}; wait until it ends."
        )
    evaluation.delete()


def _fail(evaluation_id: object, code: str, message: str) -> None:
    VisionEvaluation.objects.filter(pk=evaluation_id, status__in=[Status.NOT_STARTED, Status.RUNNING]).update(
        status=Status.FAILED, error_code=code, error_message=message[:2000], updated=timezone.now()
    )


def evaluation_run(evaluation_id: str) -> None:
    if not VisionEvaluation.objects.filter(
        pk=evaluation_id, status__in=[Status.NOT_STARTED, Status.RUNNING]
    ).update(status=Status.RUNNING, updated=timezone.now()):
        return
    evaluation = VisionEvaluation.objects.select_related("model").get(pk=evaluation_id)
    try:
        performance, details = _evaluate(evaluation.model, evaluation.test_dataset_name)
    except RunFailed as exc:
        _fail(evaluation_id, exc.code, exc.message)
        return
    except Exception as exc:
        logger.exception("Sandbox: evaluation %s of model %s failed", evaluation.name, evaluation.model.name)
        _fail(
            evaluation_id,
            "internalServerError",
            f"The sandbox's evaluation failed unexpectedly ({type(exc).__name__}).",
        )
        return
    VisionEvaluation.objects.filter(pk=evaluation_id, status=Status.RUNNING).update(
        status=Status.SUCCEEDED, performance=performance, details=details, updated=timezone.now()
    )


def _evaluate(model: VisionModel, dataset_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    model.refresh_from_db()
    if (
        model.status != VisionModel.Status.SUCCEEDED
        or not model.model_dir
        or not Path(model.model_dir).is_dir()
    ):
        raise RunFailed(
            "modelNotFound", f"Model '{model.name}' has no trained model to evaluate (status {model.status})."
        )
    try:
        from trainer import evaluate
    except ImportError as exc:
        raise RunFailed("internalServerError", f"The local trainer cannot be imported ({exc}).") from exc
    loaded = dataset_load(
        dataset_name,
        annotation_kind=model.annotation_kind,
        purpose="evaluation",
        wrong_kind_code="incorrectModelKind",
    )
    trained = model_load(model)
    samples, dropped = samples_for(loaded, model.trainer_kind, trained.class_names)
    ground_truth = [s for s in samples if s.label is not None or s.boxes]
    if not ground_truth:
        raise RunFailed(
            "datasetEmpty",
            f"Dataset '{dataset_name}' has no ground-truth annotations for this model's classes.",
        )
    metrics = evaluate(trained, samples)
    return performance_json(model.trainer_kind, metrics), {
        "images": len(samples),
        **loaded.skipped,
        **dropped,
    }
