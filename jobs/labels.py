"""The words a person reads for the names the code and the Azure services use.

Pages never show ``sas``, ``Generic-Detector``, ``imageObjectDetection`` or a parameter key such as
``budget_hours``: ``name_label`` turns the services' vocabulary into labels, and ``param_rows``
turns a job's parameters into (label, value) rows. Both are independent of the job kind, so a new
kind gets readable rows for the keys it shares with the others and a capitalised key for the rest.
Keys that hold a path on the server (``image_path``) are never shown at all. ``duration_text`` and
``hours_text`` say a length of time the way a person does ("3 min 12 s", "0.05 h (3 min)").
"""

from __future__ import annotations

from collections.abc import Mapping

# The Vision and Custom Vision services' own names, as their JSON carries them.
NAMES: dict[str, str] = {
    # dataset authentication and storage
    "sas": "SAS token",
    "managedIdentity": "Managed identity",
    # model kinds (Vision model customization)
    "Generic-Classifier": "General (classification)",
    "Generic-Detector": "General (object detection)",
    "Product-Recognizer": "Product recognition",
    # annotation kinds and project types
    "imageClassification": "Classification",
    "imageObjectDetection": "Object detection",
    "classification": "Classification",
    "objectDetection": "Object detection",
    "Classification": "Classification",
    "ObjectDetection": "Object detection",
    "Multiclass": "Multiclass",
    "Multilabel": "Multilabel",
    # statuses of models and evaluations
    "notStarted": "Not started",
    "running": "Running",
    "training": "Training",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelling": "Cancelling",
    "cancelled": "Cancelled",
    # dataset purposes
    "evaluation": "Evaluation",
}

PARAM_LABELS: dict[str, str] = {
    "name": "Name",
    "model": "Model",
    "kind": "Kind",
    "dataset": "Dataset",
    "eval_dataset": "Evaluation dataset",
    "budget_hours": "Budget",
    "purpose": "Purpose",
    "source": "Source",
    "path": "Path in storage",
    "url": "URL",
    "auth": "Access to the images",
    "check": "Image check",
    "export_job": "From export job",
    "project_id": "Project id",
    "project_name": "Project",
    "folder": "Folder",
    "flavours": "Files written",
    "validation_share": "Validation share (%)",
    "datastore": "Datastore URI prefix",
    "task": "Task",
    "dataset_role": "Which dataset",
    "images": "Images (prediction calls)",
    "multilabel": "Images with several tags",
    "negative": "Negative tag",
    "existing": "Existing annotation file",
    "content_type": "Image type",
}

# Labels of a parameter's values where the key decides what a value means.
PARAM_VALUES: dict[str, dict[str, str]] = {
    "source": {"storage": "This workspace's storage", "url": "A URL"},
    "check": {"sample": "A sample of 50 images read", "all": "Every image read", "none": "Images not read"},
    "flavours": {"vision": "Azure AI Vision COCO", "standard": "standard COCO", "automl": "Azure ML AutoML"},
    "dataset_role": {
        "evaluation": "The model's evaluation dataset (held out)",
        "training": "The model's training dataset (not held out)",
        "other": "Another dataset",
    },
    "task": {
        "image_classification": "Multiclass classification",
        "image_classification_multilabel": "Multilabel classification",
        "image_object_detection": "Object detection",
    },
    "multilabel": {"skip": "Left out", "first": "First tag kept", "all": "Every tag kept"},
    "negative": {"skip": "Left out", "category": "Kept as a category"},
    "existing": {"version": "Kept; a new version written", "overwrite": "Overwritten"},
}

# What an empty value means, where it means something; other empty values are left out.
PARAM_EMPTY: dict[str, str] = {"eval_dataset": "20% of the training set, held out"}

EMPTY = "—"

# Never on a page: a path on the server says nothing to a user and tells an attacker where files live.
HIDDEN_PARAMS = frozenset({"image_path"})


def name_label(value: object) -> str:
    """The label of a service name; anything else as it is."""
    text = "" if value is None else str(value)
    return NAMES.get(text, text)


def _hidden(key: str) -> bool:
    return key in HIDDEN_PARAMS or key.endswith(("_path", "_file", "_dir"))


def _value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, v) for v in value)
    text = str(value)
    return PARAM_VALUES.get(key, {}).get(text) or name_label(text)


def duration_text(seconds: float) -> str:
    """Seconds as a person says them: "0.4 s", "45 s", "3 min 12 s", "2 h 5 min", "3 d 4 h"."""
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        tenths = round(seconds, 1)
        return f"{tenths:g} s" if tenths < 10 else "10 s"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def hours_text(value: object) -> str:
    """A budget in hours, the unit the forms use, with its duration when under an hour: "0.05 h (3 min)"."""
    try:
        amount = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return EMPTY if value in (None, "") else str(value)
    return f"{amount:g} h ({duration_text(amount * 3600)})" if amount < 1 else f"{amount:g} h"


def param_rows(params: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """A job's parameters as (label, value) rows, in their order, without server paths."""
    params = dict(params or {})
    rows: list[tuple[str, str]] = []
    width, height = params.pop("width", None), params.pop("height", None)
    for key, value in params.items():
        if _hidden(key):
            continue
        label = PARAM_LABELS.get(key) or key.replace("_", " ").capitalize()
        if value in ("", None, [], {}):
            if key in PARAM_EMPTY:
                rows.append((label, PARAM_EMPTY[key]))
            continue
        if key == "budget_hours":
            rows.append((label, hours_text(value)))
        elif key == "content_type" and isinstance(value, str) and value.startswith("image/"):
            rows.append((label, value.removeprefix("image/").upper()))
        else:
            rows.append((label, _value(key, value)))
    if width is not None and height is not None:
        rows.append(("Image size", f"{width} × {height} px"))
    else:
        rows.extend((label, str(v)) for label, v in (("Width", width), ("Height", height)) if v is not None)
    return rows
