"""What Retry means for each customization job kind (the ``retry`` and ``retry_offer`` hooks of
jobs.registry; jobs.services.job_retry runs them).

A retry repeats the job and changes only what has to change for it to work; the button says what
changes before anything starts ("Retry as eval-2", "Retry with 0.02 h"). Where the same input must
fail again, the job page offers no Retry and says what to change instead, with a link to that step.

- **Register dataset**: the same params, so a storage that answers again, or a file fixed in place,
  is read again. No Retry after a validation failure or a file that is not JSON (fix the file, then
  register it again), or when the service already holds the name.
- **Train model**: the same name and settings, once the failed or cancelled model is deleted at
  the service (see ``train_retry`` for why). After ``notEnoughBudget``, twice the budget (or what
  the service's message asked for, when more). No Retry
  when the dataset cannot be trained on (``datasetCorrupt``: the wrong kind, a broken file) or when
  the name was taken before the job started.
- **Evaluate model**: the same model and dataset under a new name (``eval-1`` → ``eval-1-2``). No
  Retry when the dataset's kind does not fit the model (``incorrectModelKind``).
- **Prediction**: the same image, kept on the server; no Retry once it is gone.

The ``*_retry_offer`` functions are cheap (no network): the job page calls them on every render.
The ``*_retry`` functions run when the user presses Retry, and may call the service.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from django.urls import reverse

from customization.client import VisionClient, VisionError
from customization.models import DatasetRecord
from customization.training_rules import (
    MAX_HOURS,
    boxes_per_image,
    hours_text,
    minimum_hours,
    round_up,
    workspace_trains_on_azure,
)
from jobs.errors import RetryRefused
from jobs.models import Job
from jobs.services import RetryOffer

STOPPED = {"failed", "cancelled"}
NAME_MAX = 255


def _url(job: Job, view: str, **query: object) -> str:
    url = reverse(view, kwargs={"ws_id": job.workspace_id})
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _client(job: Job) -> VisionClient:
    try:
        return VisionClient.for_workspace(job.workspace)
    except VisionError as exc:
        raise RetryRefused(exc.message) from exc


# --- Register dataset -----------------------------------------------------------------------------


def register_retry_offer(job: Job) -> RetryOffer:
    p = job.params
    source = p.get("path") or p.get("url") or "the file"
    again = {
        "link_text": "Register again",
        "link_url": _url(
            job,
            "customization:dataset_register",
            name=p.get("name"),
            kind=p.get("kind"),
            path=p.get("path") if p.get("source") == "storage" else "",
            export_job=p.get("export_job"),
        ),
    }
    if job.error_code == "validation_failed":
        return RetryOffer(
            refusal=(
                f"The same file would fail the same checks: fix the problems listed below in {source}, "
                "then register it again."
            ),
            **again,
        )
    if job.error_code == "annotation_not_json":
        return RetryOffer(
            refusal=f"{source} is not a JSON file: fix or replace it, then register it again.", **again
        )
    if job.error_code in ("DatasetAlreadyExists", "bad_name"):
        again["link_url"] = _url(
            job,
            "customization:dataset_register",
            kind=p.get("kind"),
            path=p.get("path") if p.get("source") == "storage" else "",
            export_job=p.get("export_job"),
        )
        taken = (
            f"The service already has a dataset named {p.get('name')}: register the file under another "
            "name, or delete that dataset on the Datasets page first."
        )
        bad = f"{p.get('name')} cannot name a dataset: register the file under another name."
        return RetryOffer(refusal=taken if job.error_code == "DatasetAlreadyExists" else bad, **again)
    return RetryOffer()


# --- Train model ------------------------------------------------------------------------------------


# How the local service says what budget would do ("Allow at least 40 s"); Azure says no figure.
_SERVICE_SAYS = re.compile(r"\ballow at least (\d+(?:\.\d+)?) s\b", re.IGNORECASE)


def _larger_budget(job: Job) -> float:
    """After notEnoughBudget: twice the budget, never less than the form's minimum nor than what the
    service's message said would do."""
    p = job.params
    record = DatasetRecord.objects.filter(workspace=job.workspace, name=p.get("dataset", "")).first()
    images = record.images if record else 0
    minimum = minimum_hours(
        azure=workspace_trains_on_azure(job.workspace),
        kind=p.get("kind", ""),
        images=images,
        boxes=boxes_per_image(record.per_category if record else None, images),
    )
    said = _SERVICE_SAYS.search(job.error_message or "")
    asked = float(said.group(1)) / 3600 if said else 0.0
    return min(MAX_HOURS, round_up(max(2 * float(p["budget_hours"]), minimum, asked)))


def _train_again_url(job: Job, **changes: object) -> str:
    p = {**job.params, **changes}
    return _url(
        job,
        "customization:model_train",
        name=p.get("name"),
        kind=p.get("kind"),
        dataset=p.get("dataset"),
        eval_dataset=p.get("eval_dataset"),
        budget_hours=p.get("budget_hours"),
    )


def train_retry_offer(job: Job) -> RetryOffer:
    p = job.params
    name = p.get("name", "")
    if job.error_code == "ModelAlreadyExists":
        return RetryOffer(
            refusal=(
                f"A model named {name} already existed when this job started, so nothing was trained: "
                "train under another name, or delete that model on its page first."
            ),
            link_text="Train under another name",
            link_url=_train_again_url(job, name=""),
        )
    if job.error_code == "datasetCorrupt":
        return RetryOffer(
            refusal=(
                f"The service cannot train on {p.get('dataset')} as it is registered, so the same "
                f"training would fail again. Pick another dataset or model kind, or fix the file and "
                "register the dataset again."
            ),
            link_text="Train with other settings",
            link_url=_train_again_url(job),
        )
    deletes = (
        f"If the service still holds the failed model {name}, it is deleted first (a failed or cancelled "
        f"model has no weights; this job's page keeps its error). Then {name} is trained again"
    )
    if job.error_code == "notEnoughBudget":
        budget = _larger_budget(job)
        return RetryOffer(
            label=f"Retry with {hours_text(budget)}",
            confirm=f"{deletes} with a budget of {hours_text(budget)}.",
        )
    return RetryOffer(confirm=f"{deletes} with the same settings.")


def _same_training(model: dict, params: dict) -> bool:
    training = {k.lower(): v for k, v in (model.get("trainingParameters") or {}).items()}
    same_dataset = training.get("trainingdatasetname") == params.get("dataset")
    return same_dataset and training.get("modelkind") == params.get("kind")


def train_retry(job: Job) -> dict:
    """The params of a training's retry: the same name and settings, after the failed model is gone.

    The name stays because a demanding user chose it for the code that calls the model (analyze
    takes ``model-name``): a retry should give them that model under that name, not a
    ``detector-3min-2`` they must point their client at, next to a dead ``detector-3min`` they must
    clean up. A failed or cancelled model has no weights, so deleting it loses nothing that the
    failed job's page does not keep (its error, its cost, the service's JSON in the job's result);
    the button's confirmation says it is deleted before anything happens.

    Only a stopped model that this job trained is deleted: one that succeeded after all (the job lost
    its worker while the service went on) is opened instead, one still training or cancelling is
    waited for, and one with another dataset or kind is someone else's.
    """
    params = dict(job.params)
    if job.error_code == "notEnoughBudget":
        params["budget_hours"] = _larger_budget(job)
    name = params["name"]
    client = _client(job)
    try:
        model = client.model_get(name)
    except VisionError as exc:
        if exc.status == 404:
            return params  # nothing holds the name (the job failed before the service had it)
        raise RetryRefused(
            f"Could not read the model {name} at the service, so nothing was retried: {exc.message}"
        ) from exc
    status = model.get("status", "")
    if status == "succeeded":
        raise RetryRefused(
            f"The model {name} finished training at the service after all: open it on the Models page."
        )
    if status not in STOPPED:
        raise RetryRefused(f"The model {name} is still {status} at the service: retry once it has stopped.")
    if not _same_training(model, job.params):
        raise RetryRefused(
            f"The model {name} at the service was trained on another dataset or as another kind, so it "
            "is not this job's and was left alone: train under another name."
        )
    try:
        client.model_delete(name)
    except VisionError as exc:
        raise RetryRefused(
            f"The failed model {name} could not be deleted at the service, so nothing was retried: "
            f"{exc.message}"
        ) from exc
    return params


# --- Evaluate model -------------------------------------------------------------------------------


def _evaluation_base(job: Job) -> str:
    """The name the first job of this retry chain gave its evaluation."""
    root, seen = job, {job.pk}
    while root.retry_of_id and root.retry_of_id not in seen and len(seen) < 100:
        parent = Job.objects.filter(pk=root.retry_of_id).first()
        if parent is None:
            break
        root = parent
        seen.add(root.pk)
    return str(root.params.get("name", "eval"))


def _next_evaluation_name(job: Job, taken: set[str]) -> str:
    base = _evaluation_base(job)
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: NAME_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _evaluation_names_used(job: Job) -> set[str]:
    """The evaluation names Visionport's jobs gave this model (the service may hold the failed ones)."""
    names = Job.objects.filter(
        workspace=job.workspace, kind="evaluate_model", params__model=job.params.get("model")
    ).values_list("params__name", flat=True)
    return {str(n) for n in names if n}


def evaluate_retry_offer(job: Job) -> RetryOffer:
    p = job.params
    if job.error_code == "incorrectModelKind":
        return RetryOffer(
            refusal=(
                f"{p.get('dataset')} is not of the kind the model {p.get('model')} was trained on, so the same "
                "evaluation would fail again: evaluate it on a dataset of its own kind."
            ),
            link_text=f"Open model {p.get('model')}",
            link_url=reverse(
                "customization:model", kwargs={"ws_id": job.workspace_id, "name": p.get("model", "")}
            ),
        )
    return RetryOffer(label=f"Retry as {_next_evaluation_name(job, _evaluation_names_used(job))}")


def evaluate_retry(job: Job) -> dict:
    """The same evaluation under a new name: the service keeps the old one (it may even still be running,
    since an evaluation cannot be cancelled there), and a name cannot be used twice on one model."""
    taken = _evaluation_names_used(job)
    try:
        taken |= {e.get("name", "") for e in _client(job).evaluations(job.params["model"])}
    except VisionError as exc:
        if exc.status != 404:
            raise RetryRefused(
                f"Could not list the evaluations of {job.params['model']}: {exc.message}"
            ) from exc
    return {**job.params, "name": _next_evaluation_name(job, taken)}


# --- Prediction -----------------------------------------------------------------------------------


def predict_retry_offer(job: Job) -> RetryOffer:
    path = job.params.get("image_path")
    if not path or not Path(path).is_file():
        return RetryOffer(
            refusal="The uploaded image is no longer kept on the server: upload it again.",
            link_text="Try it out",
            link_url=_url(job, "customization:try"),
        )
    return RetryOffer()
