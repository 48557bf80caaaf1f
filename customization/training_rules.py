"""What a training needs before it starts: a dataset of a kind that fits the model, and a budget
the service will accept. The train form, its budget calculator, the model page's "evaluate on
another dataset" and the retry of a training all read these functions, so they agree.

**Kinds.** A classifier trains on a classification dataset (``imageClassification``); an object
detector and a product recognizer train on an object detection dataset (``imageObjectDetection``).
Anything else is accepted by the service and fails later (``datasetCorrupt`` for a training,
``incorrectModelKind`` for an evaluation), so the forms refuse it first.

**Budgets**, always in hours (the unit of ``timeBudgetInHours``), shown with a duration beside them.
Two services can be on the other end of a workspace's Vision connection, and they need different
budgets:

- **Azure** needs the minimum of its FAQ (docs/wire-formats.md §2.3): 0.0003334 h per image for a
  classifier, 0.0066667 h per image for a detector, 0.0003334 h per image and box for a product
  recognizer. Less fails with ``notEnoughBudget``. It suggests 2 to 5 times the minimum.
- **The local service** (the Vision sandbox, whose trainer runs on this machine's CPU) trains for
  the budget in wall-clock time and refuses a budget that cannot fit its minimum number of
  training steps ("Allow at least 16 s"). It measures that figure when a run starts (step time on
  this machine, the time to load the images), so the dashboard, which talks to the service only
  over the wire and never imports it, cannot ask for it beforehand. It uses a documented floor
  instead, LOCAL_MINIMUM_HOURS: 0.01 h (36 s), about twice what the demo datasets need on two quiet
  cores (16 s for a classifier, about 20 s for a detector). A busy machine or a dataset of
  thousands of images can need more; the run then stops within seconds with ``notEnoughBudget``,
  saying how much, and its Retry offers twice the budget, or that figure when it is more. Azure's
  FAQ figures do not apply there.

Which service it is, is read from the Vision endpoint: Azure's hosts end in ``.azure.com``,
``.azure.cn``, ``.azure.us`` or ``.microsoft.com``; anything else is treated as the local service.
See docs/architecture.md (Training budgets).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlsplit

from workspaces.models import Connection, Workspace

CLASSIFICATION = "imageClassification"
OBJECT_DETECTION = "imageObjectDetection"
FITS = {
    "Generic-Classifier": CLASSIFICATION,
    "Generic-Detector": OBJECT_DETECTION,
    "Product-Recognizer": OBJECT_DETECTION,
}
MODEL_NAMES = {
    "Generic-Classifier": "a classifier",
    "Generic-Detector": "an object detector",
    "Product-Recognizer": "a product recognizer",
}
DATASET_NAMES = {CLASSIFICATION: "a classification dataset", OBJECT_DETECTION: "an object detection dataset"}

AZURE_HOURS_PER_IMAGE = {
    "Generic-Classifier": 0.0003334,
    "Generic-Detector": 0.0066667,
    "Product-Recognizer": 0.0003334,
}  # the product recognizer's is per box
AZURE_HOSTS = (".azure.com", ".azure.cn", ".azure.us", ".microsoft.com", ".microsoft.us")
LOCAL_MINIMUM_HOURS = 0.01  # 36 s: see the module docstring
LOCAL_DEFAULT_HOURS = 0.05  # 3 min: the demo datasets train to AP 1.0 in 2 to 4 minutes
AZURE_DEFAULT_HOURS = 1.0
MAX_HOURS = 288.0  # the service's limit (12 days)


# --- Kinds ------------------------------------------------------------------------------------


def kind_fits(model_kind: str, annotation_kind: str) -> bool:
    return FITS.get(model_kind) == annotation_kind


def model_kind_for(annotation_kind: str) -> str:
    """The model kind a form proposes for a dataset of this annotation kind."""
    return "Generic-Classifier" if annotation_kind == CLASSIFICATION else "Generic-Detector"


def kind_mismatch(dataset: str, annotation_kind: str, model_kind: str, *, training: bool = True) -> str:
    """The sentence that refuses ``model_kind`` on ``dataset``, saying which kinds fit ("" if it fits).

    ``training``: also propose the model kinds that would train on this dataset."""
    if kind_fits(model_kind, annotation_kind) or model_kind not in FITS:
        return ""
    what = DATASET_NAMES.get(annotation_kind, f"a dataset of kind {annotation_kind or 'unknown'}")
    wanted = DATASET_NAMES[FITS[model_kind]]
    instead = {
        CLASSIFICATION: "train a classifier",
        OBJECT_DETECTION: "train an object detector or a product recognizer",
    }
    other = f", or {instead[annotation_kind]} on this one" if training and annotation_kind in instead else ""
    return (
        f"{dataset} is {what}, and {MODEL_NAMES[model_kind]} needs {wanted}: classifiers fit classification "
        f"datasets, object detectors and product recognizers fit object detection datasets. Pick {wanted}{other}."
    )


# --- Budgets ----------------------------------------------------------------------------------


def round_up(hours: float) -> float:
    """Up to the next thousandth of an hour (3.6 s), so that the figure shown is accepted as entered."""
    return math.ceil(round(hours * 1000, 6)) / 1000


def azure_minimum_hours(kind: str, images: int, boxes_per_image: float = 1.0) -> float:
    """The FAQ's minimum training budget on Azure, rounded up to a thousandth of an hour."""
    per_image = AZURE_HOURS_PER_IMAGE.get(kind, AZURE_HOURS_PER_IMAGE["Generic-Detector"])
    if kind == "Product-Recognizer":
        per_image *= max(boxes_per_image, 1.0)
    return round_up(per_image * images)


def is_azure_endpoint(endpoint: str) -> bool:
    host = (urlsplit(endpoint.strip()).hostname or "").lower()
    return host.endswith(AZURE_HOSTS)


def workspace_trains_on_azure(workspace: Workspace) -> bool:
    connection = workspace.connections.filter(kind=Connection.Kind.VISION).first()
    return bool(connection and connection.endpoint and is_azure_endpoint(connection.endpoint))


def boxes_per_image(per_category: Mapping[str, int] | None, images: int) -> float:
    return sum((per_category or {}).values()) / images if images else 1.0


def minimum_hours(*, azure: bool, kind: str, images: int = 0, boxes: float = 1.0) -> float:
    """The smallest budget the form accepts: Azure's FAQ minimum for the dataset (when Visionport
    knows its size), or the local service's floor."""
    if azure:
        return azure_minimum_hours(kind, images, boxes) if images else 0.001
    return LOCAL_MINIMUM_HOURS


def default_hours(*, azure: bool, kind: str = "", images: int = 0, boxes: float = 1.0) -> float:
    """The form's initial budget: never below the minimum, and twice Azure's minimum on Azure."""
    if not azure:
        return LOCAL_DEFAULT_HOURS
    return (
        max(AZURE_DEFAULT_HOURS, round_up(2 * azure_minimum_hours(kind, images, boxes)))
        if images
        else AZURE_DEFAULT_HOURS
    )


def duration_text(seconds: float) -> str:
    """36 s, 2 min 24 s, 28 min, 1 h 30 min."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 10 and rest:
        return f"{minutes} min {rest} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def hours_text(hours: float) -> str:
    """A budget as the form takes it, with the duration beside it: "0.474 h (28 min)"."""
    return f"{hours:g} h ({duration_text(hours * 3600)})"


def azure_rates_text() -> str:
    return (
        f"{AZURE_HOURS_PER_IMAGE['Generic-Classifier']:g} h per image for a classifier, "
        f"{AZURE_HOURS_PER_IMAGE['Generic-Detector']:g} h per image for an object detector, "
        f"{AZURE_HOURS_PER_IMAGE['Product-Recognizer']:g} h per image and box for a product recognizer"
    )


def budget_refusal(
    budget: float, *, azure: bool, kind: str, dataset: str = "", images: int = 0, boxes: float = 1.0
) -> str:
    """The sentence that refuses ``budget`` (hours), or "" when the service can train with it."""
    if budget > MAX_HOURS:
        return f"The service takes at most {MAX_HOURS:g} h (12 days)."
    minimum = minimum_hours(azure=azure, kind=kind, images=images, boxes=boxes)
    if budget >= minimum and budget > 0:
        return ""
    if not azure:
        return (
            f"{hours_text(budget)} is too short for the local service: it needs at least "
            f"{hours_text(minimum)} to load the images and run its minimum number of training steps. "
            f"Enter {minimum:g} or more."
        )
    if not images:
        return f"Enter a budget of at least {minimum:g} h."
    per_image = AZURE_HOURS_PER_IMAGE[kind]
    unit = "image and box" if kind == "Product-Recognizer" else "image"
    return (
        f"{hours_text(budget)} is too short: Azure needs at least {hours_text(minimum)} to train "
        f"{MODEL_NAMES[kind]} on the {images} images of {dataset} ({per_image:g} h per {unit}). "
        f"{round_up(2 * minimum):g}–{round_up(5 * minimum):g} h usually trains well."
    )
