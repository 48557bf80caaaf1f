"""Reads for the customization pages: Visionport's records of datasets and models, and what the
Vision service holds.

A read of the service gives its value and "", or an empty value and the sentence to show instead;
an object the service does not have is Http404. Reads that share one page's client take it as
``client``, so a page asks for its workspace's connection once.
"""

from __future__ import annotations

from django.http import Http404

from customization.client import VisionClient, VisionError
from customization.models import DatasetRecord, ModelRecord
from customization.training_rules import kind_fits
from workspaces.models import Workspace


def vision_client_for(*, workspace: Workspace) -> tuple[VisionClient | None, str]:
    """The workspace's Vision client, or None and why there is none."""
    try:
        return VisionClient.for_workspace(workspace), ""
    except VisionError as exc:
        return None, exc.message


def service_datasets(*, workspace: Workspace) -> tuple[list[dict], str]:
    client, error = vision_client_for(workspace=workspace)
    if client is None:
        return [], error
    try:
        return client.datasets(), ""
    except VisionError as exc:
        return [], exc.message


def service_models(*, workspace: Workspace) -> tuple[list[dict], str]:
    client, error = vision_client_for(workspace=workspace)
    if client is None:
        return [], error
    try:
        return client.models(), ""
    except VisionError as exc:
        return [], exc.message


def service_dataset_get(*, client: VisionClient, name: str) -> tuple[dict | None, str]:
    try:
        return client.dataset_get(name), ""
    except VisionError as exc:
        if exc.status == 404:
            raise Http404("No such dataset") from exc
        return None, exc.message


def service_model_get(*, client: VisionClient, name: str) -> tuple[dict | None, str]:
    try:
        return client.model_get(name), ""
    except VisionError as exc:
        if exc.status == 404:
            raise Http404("No such model") from exc
        return None, exc.message


def service_models_get(*, client: VisionClient, names: list[str]) -> tuple[list[dict], str]:
    """The models named that the service could read, and the last reason one could not be."""
    models, error = [], ""
    for name in names:
        try:
            models.append(client.model_get(name))
        except VisionError as exc:
            error = exc.message
    return models, error


def model_evaluation_choices(
    *, client: VisionClient, name: str, model: dict
) -> tuple[list[dict], list[str], str]:
    """A trained model's evaluations, and the datasets it can be evaluated on (those of its kind);
    what was read before the service failed is kept, with why it failed."""
    model_kind = (model.get("trainingParameters") or {}).get("modelKind", "")
    evaluations: list[dict] = []
    try:
        evaluations = client.evaluations(name)
        # Only datasets of the model's kind: any other fails as incorrectModelKind.
        datasets = [
            d["name"] for d in client.datasets() if kind_fits(model_kind, d.get("annotationKind", ""))
        ]
    except VisionError as exc:
        return evaluations, [], exc.message
    return evaluations, datasets, ""


def evaluation_kinds(*, workspace: Workspace, model: str, dataset: str) -> tuple[str, str]:
    """The model's kind and the dataset's annotation kind, read from the service (VisionError if not)."""
    client = VisionClient.for_workspace(workspace)
    model_kind = (client.model_get(model).get("trainingParameters") or {}).get("modelKind", "")
    annotation_kind = client.dataset_get(dataset).get("annotationKind", "")
    return model_kind, annotation_kind


def dataset_records_for(*, workspace: Workspace) -> dict[str, DatasetRecord]:
    return {
        r.name: r for r in DatasetRecord.objects.filter(workspace=workspace).select_related("registered_by")
    }


def dataset_record_get(*, workspace: Workspace, name: str) -> DatasetRecord | None:
    return (
        DatasetRecord.objects.filter(workspace=workspace, name=name).select_related("registered_by").first()
    )


def model_records_for(*, workspace: Workspace) -> dict[str, ModelRecord]:
    return {r.name: r for r in ModelRecord.objects.filter(workspace=workspace).select_related("job")}


def model_record_get(*, workspace: Workspace, name: str) -> ModelRecord | None:
    return ModelRecord.objects.filter(workspace=workspace, name=name).select_related("job").first()
