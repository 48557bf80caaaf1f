"""JSON as the Vision model customization API writes it: camelCase, every field the samples parse.

The samples' parsers need (docs/wire-formats.md §2.3): a dataset's ``annotationFileUris`` non-empty and
``authentication.kind`` in {managedIdentity, sas}; a model's ``trainingParameters.modelKind``
always present and ``timeBudgetInHours`` > 0; an ``error`` with only code and message.
"""

from __future__ import annotations

from typing import Any

from sandbox.vision.models import VisionDataset, VisionEvaluation, VisionModel
from sandbox.wire import iso


def dataset_json(dataset: VisionDataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "annotationKind": dataset.annotation_kind,
        "annotationFileUris": list(dataset.annotation_file_uris),
        # The SAS token is a secret: it is kept, never written back (the samples read it as optional).
        "authentication": {"kind": dataset.auth_kind},
        "customProperties": dict(dataset.custom_properties or {}),
        "createdDateTime": iso(dataset.created),
        "updatedDateTime": iso(dataset.updated),
        "eTag": dataset.etag,
    }


def _error(code: str, message: str) -> dict[str, str] | None:
    return {"code": code, "message": message} if code else None


def model_json(model: VisionModel) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": model.name,
        "status": model.status,
        "createdDateTime": iso(model.created),
        "updatedDateTime": iso(model.updated),
        "trainingParameters": {
            "trainingDatasetName": model.training_dataset_name,
            "timeBudgetInHours": model.time_budget_hours,
            "modelKind": model.model_kind,
        },
        "trainingCostInMinutes": model.training_cost_minutes,
        "modelPerformance": model.performance,
    }
    if model.test_dataset_name:
        data["evaluationParameters"] = {"testDatasetName": model.test_dataset_name}
    error = _error(model.error_code, model.error_message)
    if error:
        data["error"] = error
    if model.details:
        data["sandboxDetails"] = model.details
    return data


def evaluation_json(evaluation: VisionEvaluation, model_name: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": evaluation.name,
        "modelName": model_name,
        "evaluationParameters": {"testDatasetName": evaluation.test_dataset_name},
        "status": evaluation.status,
        "createdDateTime": iso(evaluation.created),
        "updatedDateTime": iso(evaluation.updated),
        "modelPerformance": evaluation.performance,
    }
    error = _error(evaluation.error_code, evaluation.error_message)
    if error:
        data["error"] = error
    if evaluation.details:
        data["sandboxDetails"] = evaluation.details
    return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def performance_json(trainer_kind: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """ModelPerformance from the trainer's metrics: IC fills AP and top-1/5, OD the three mAPs.

    Top-5 is null with 5 classes or fewer (it would be a meaningless 1.0); calibrationECE is not
    computed by the sandbox and is always null.
    """
    per_class: dict[str, dict[str, Any]] = metrics.get("per_class") or {}
    performance: dict[str, Any] = dict.fromkeys(
        (
            "accuracyTop1",
            "accuracyTop5",
            "averagePrecision",
            "calibrationECE",
            "meanAveragePrecision30",
            "meanAveragePrecision50",
            "meanAveragePrecision75",
        )
    )
    if trainer_kind == "classifier":
        performance["accuracyTop1"] = _round(metrics.get("top1"))
        performance["accuracyTop5"] = _round(metrics.get("top5"))
        performance["averagePrecision"] = _round(metrics.get("average_precision"))
        tags = {
            name: {"accuracy": _round(row.get("recall")), "averagePrecision50": _round(row.get("ap"))}
            for name, row in per_class.items()
        }
    else:
        performance["meanAveragePrecision30"] = _round(metrics.get("map30"))
        performance["meanAveragePrecision50"] = _round(metrics.get("map50"))
        performance["meanAveragePrecision75"] = _round(metrics.get("map75"))
        tags = {
            name: {"accuracy": None, "averagePrecision50": _round(row.get("ap50"))}
            for name, row in per_class.items()
        }
    performance["tagPerformance"] = tags
    return performance
