"""Datasets, models, evaluations and try-it-out pages. Long work starts a job; pages read the service."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customization.client import VisionError
from customization.evaluation import model_comparison, threshold_from
from customization.evaluation_views import analysis_choices, evaluation_context
from customization.forms import MODEL_KINDS, RegisterDatasetForm, TrainForm, TryForm
from customization.selectors import (
    dataset_record_get,
    dataset_records_for,
    evaluation_kinds,
    model_evaluation_choices,
    model_record_get,
    model_records_for,
    service_dataset_get,
    service_datasets,
    service_model_get,
    service_models,
    service_models_get,
    vision_client_for,
)
from customization.services import datasets as dataset_services
from customization.services import models as model_services
from customization.services.datasets import NAME
from customization.services.drawing import placeholder_tile, prediction_png
from customization.services.gallery import GalleryError, GalleryNotFound, gallery_page, gallery_thumbnail
from customization.services.training import prediction_start
from customization.training_rules import (
    LOCAL_MINIMUM_HOURS,
    azure_minimum_hours,
    azure_rates_text,
    boxes_per_image,
    default_hours,
    hours_text,
    kind_mismatch,
    model_kind_for,
    round_up,
    workspace_trains_on_azure,
)
from jobs.selectors import job_get_for_member
from jobs.services import job_cancel, job_start
from workspaces.http import WorkspaceRequest, page_or_fragment, workspace_view

MODEL_KIND_LABELS = dict(MODEL_KINDS)


@workspace_view()
@require_GET
def dataset_list(request: WorkspaceRequest) -> HttpResponse:
    datasets, error = service_datasets(workspace=request.workspace)
    records = dataset_records_for(workspace=request.workspace)
    return render(
        request,
        "customization/dataset_list.html",
        {"datasets": [(d, records.get(d["name"])) for d in datasets], "error": error},
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def dataset_register(request: WorkspaceRequest) -> HttpResponse:
    initial = {k: request.GET[k] for k in ("path", "kind", "export_job", "name") if k in request.GET}
    form = RegisterDatasetForm(request.POST or None, initial=initial, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        job = job_start(
            workspace=request.workspace,
            actor=request.user,
            kind="register_dataset",
            target=form.cleaned_data["name"],
            params=form.cleaned_data,
        )
        return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    return render(request, "customization/dataset_register.html", {"form": form})


@workspace_view()
@require_GET
def dataset_detail(request: WorkspaceRequest, name: str) -> HttpResponse:
    client, error = vision_client_for(workspace=request.workspace)
    dataset = None
    if client:
        dataset, error = service_dataset_get(client=client, name=name)
    gallery, gallery_error = None, ""
    if dataset:
        try:
            gallery = gallery_page(
                workspace=request.workspace,
                name=name,
                dataset=dataset,
                category=request.GET.get("category", ""),
                page=request.GET.get("page", 1),
            )
        except GalleryError as exc:
            gallery_error = exc.message
    record = dataset_record_get(workspace=request.workspace, name=name)
    counts = sorted((record.per_category if record else {}).items(), key=lambda kv: -kv[1])
    return page_or_fragment(
        request,
        "customization/dataset_detail.html",
        "gallery",
        {
            "dataset": dataset,
            "record": record,
            "error": error,
            "name": name,
            "counts": counts,
            "max_count": max([c for _, c in counts] or [1]) or 1,
            "gallery": gallery,
            "gallery_error": gallery_error,
        },
    )


@workspace_view()
@require_GET
def dataset_thumbnail(request: WorkspaceRequest, name: str, image_id: int) -> HttpResponse:
    try:
        thumbnail = gallery_thumbnail(
            workspace=request.workspace, name=name, image_id=image_id, version=request.GET.get("v", "")
        )
    except GalleryNotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(thumbnail.data, content_type="image/jpeg")
    response["Cache-Control"] = thumbnail.cache_control
    if thumbnail.problem:
        response["X-Gallery-Problem"] = thumbnail.problem_header
    return response


@workspace_view(admin_only=True)
@require_POST
def dataset_delete(request: WorkspaceRequest, name: str) -> HttpResponse:
    try:
        dataset_services.dataset_delete(workspace=request.workspace, name=name)
        messages.success(request, f"Dataset {name} deleted.")
    except VisionError as exc:
        messages.error(request, exc.message)
    return redirect("customization:datasets", ws_id=request.workspace.pk)


@workspace_view()
@require_GET
def model_list(request: WorkspaceRequest) -> HttpResponse:
    models, error = service_models(workspace=request.workspace)
    records = model_records_for(workspace=request.workspace)
    return render(
        request,
        "customization/model_list.html",
        {"models": [(m, records.get(m["name"])) for m in models], "error": error},
    )


def _train_initial(request: WorkspaceRequest, kinds: dict[str, str], records: dict, azure: bool) -> dict:
    """The train form's first values: a kind that fits the first dataset and a budget at least its
    minimum; a link ("Train again" where a retry cannot work) may fill in any field."""
    first = next(iter(kinds), "")
    kind = model_kind_for(kinds.get(first, ""))
    record = records.get(first)
    images = record.images if record else 0
    boxes = boxes_per_image(record.per_category if record else None, images)
    initial = {
        "kind": kind,
        "budget_hours": default_hours(azure=azure, kind=kind, images=images, boxes=boxes),
    }
    fields = ("name", "kind", "dataset", "eval_dataset", "budget_hours")
    return initial | {k: request.GET[k] for k in fields if request.GET.get(k)}


def _budget_rows(datasets: list[dict], records: dict) -> list[dict]:
    """The calculator: Azure's minimum and suggested budgets for each dataset Visionport registered."""
    rows = []
    for d in datasets:
        record = records.get(d["name"])
        if record and record.images:
            kind = model_kind_for(d.get("annotationKind", ""))
            minimum = azure_minimum_hours(kind, record.images)
            suggested = f"{round_up(2 * minimum):g}–{round_up(5 * minimum):g} h"
            rows.append(
                {
                    "name": d["name"],
                    "images": record.images,
                    "kind": MODEL_KIND_LABELS[kind],
                    "minimum": hours_text(minimum),
                    "suggested": suggested,
                }
            )
    return rows


@workspace_view()
@require_http_methods(["GET", "POST"])
def model_train(request: WorkspaceRequest) -> HttpResponse:
    datasets, error = service_datasets(workspace=request.workspace)
    models, _ = service_models(workspace=request.workspace)
    kinds = {d["name"]: d.get("annotationKind", "") for d in datasets}
    records = dataset_records_for(workspace=request.workspace)
    azure = workspace_trains_on_azure(request.workspace)
    form = TrainForm(
        request.POST or None,
        datasets=kinds,
        records=records,
        azure=azure,
        models={m["name"]: m.get("status", "") for m in models},
        initial=_train_initial(request, kinds, records, azure),
    )
    if request.method == "POST" and form.is_valid():
        job = job_start(
            workspace=request.workspace,
            actor=request.user,
            kind="train_model",
            target=form.cleaned_data["name"],
            params=form.cleaned_data,
        )
        return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    return render(
        request,
        "customization/model_train.html",
        {
            "form": form,
            "error": error,
            "budgets": _budget_rows(datasets, records),
            "azure": azure,
            "local_minimum": hours_text(LOCAL_MINIMUM_HOURS),
            "rates": azure_rates_text(),
        },
    )


@workspace_view()
@require_GET
def model_detail(request: WorkspaceRequest, name: str) -> HttpResponse:
    client, error = vision_client_for(workspace=request.workspace)
    model = None
    if client:
        model, error = service_model_get(client=client, name=name)
    record = model_record_get(workspace=request.workspace, name=name)
    performance = (model or {}).get("modelPerformance") or (record.performance if record else {}) or {}
    evaluations, datasets = [], []
    if client and model and model.get("status") == "succeeded":
        evaluations, datasets, choices_error = model_evaluation_choices(client=client, name=name, model=model)
        error = choices_error or error
    return page_or_fragment(
        request,
        "customization/model_detail.html",
        "errors",
        {
            "model": model,
            "record": record,
            "error": error,
            "name": name,
            "performance": performance,
            "evaluations": evaluations,
            "datasets": datasets,
            "analysis_datasets": analysis_choices(model, datasets)
            if model and model.get("status") == "succeeded"
            else [],
            **evaluation_context(request, name, model, performance),
        },
    )


@workspace_view()
@require_POST
def model_evaluate(request: WorkspaceRequest, name: str) -> HttpResponse:
    dataset = request.POST.get("dataset", "")
    evaluation = request.POST.get("evaluation", "").strip() or f"eval-{uuid.uuid4().hex[:8]}"
    if not (NAME.match(dataset) and NAME.match(evaluation)):
        messages.error(request, "Pick a dataset; evaluation names use letters, digits, '.', '_' and '-'.")
        return redirect("customization:model", ws_id=request.workspace.pk, name=name)
    try:
        model_kind, annotation_kind = evaluation_kinds(
            workspace=request.workspace, model=name, dataset=dataset
        )
    except VisionError as exc:
        messages.error(request, exc.message)
        return redirect("customization:model", ws_id=request.workspace.pk, name=name)
    if sentence := kind_mismatch(dataset, annotation_kind, model_kind, training=False):
        messages.error(request, sentence)
        return redirect("customization:model", ws_id=request.workspace.pk, name=name)
    job = job_start(
        workspace=request.workspace,
        actor=request.user,
        kind="evaluate_model",
        target=f"{name} on {dataset}",
        params={"model": name, "name": evaluation, "dataset": dataset},
    )
    return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)


@workspace_view()
@require_POST
def model_cancel(request: WorkspaceRequest, name: str) -> HttpResponse:
    record = model_record_get(workspace=request.workspace, name=name)
    if record and record.job:
        job_cancel(
            job=job_get_for_member(membership=request.membership, job_id=record.job.pk), actor=request.user
        )
        messages.info(request, "Cancel requested: the service stops the training shortly.")
    return redirect("customization:model", ws_id=request.workspace.pk, name=name)


@workspace_view(admin_only=True)
@require_POST
def model_delete(request: WorkspaceRequest, name: str) -> HttpResponse:
    try:
        model_services.model_delete(workspace=request.workspace, name=name)
        messages.success(request, f"Model {name} deleted.")
        return redirect("customization:models", ws_id=request.workspace.pk)
    except VisionError as exc:
        messages.error(
            request, f"Not deleted: {exc.message} A model can be deleted only once it stopped training."
        )
        return redirect("customization:model", ws_id=request.workspace.pk, name=name)


@workspace_view()
@require_GET
def model_compare(request: WorkspaceRequest) -> HttpResponse:
    client, error = vision_client_for(workspace=request.workspace)
    chosen = request.GET.getlist("m")[:4]
    models = []
    if client:
        models, models_error = service_models_get(client=client, names=chosen)
        error = models_error or error
    all_models, _ = service_models(workspace=request.workspace)
    threshold, note = threshold_from(request.GET.get("t"))
    return render(
        request,
        "customization/model_compare.html",
        {
            "models": models,
            "all_models": all_models,
            "chosen": chosen,
            "error": error,
            "note": note,
            "threshold": threshold,
            "comparison": model_comparison(workspace=request.workspace, models=models, threshold=threshold),
        },
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def try_it_out(request: WorkspaceRequest) -> HttpResponse:
    models, error = service_models(workspace=request.workspace)
    ready = [m["name"] for m in models if m.get("status") == "succeeded"]
    # "Try another image" on a result comes back with its model chosen.
    form = TryForm(
        request.POST or None, request.FILES or None, models=ready, initial={"model": request.GET.get("model")}
    )
    if request.method == "POST" and form.is_valid():
        job = prediction_start(
            workspace=request.workspace,
            actor=request.user,
            model=form.cleaned_data["model"],
            image=form.cleaned_data["image"],
            file_name=request.FILES["image"].name,
        )
        return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    return render(request, "customization/try.html", {"form": form, "error": error, "ready": ready})


@workspace_view()
@require_GET
def prediction_image(request: WorkspaceRequest, job_id: uuid.UUID) -> HttpResponse:
    job = job_get_for_member(membership=request.membership, job_id=job_id)
    if job.kind != "predict" or not job.result:
        raise Http404
    try:
        threshold = min(max(float(request.GET.get("t", "0.5")), 0.0), 1.0)
    except ValueError:
        threshold = 0.5
    path = Path(job.params.get("image_path") or "")
    if not path.is_file():  # the kept image was removed from the server since
        return HttpResponse(
            placeholder_tile("The image of this prediction is no longer kept on the server."),
            content_type="image/jpeg",
            status=404,
        )
    png = prediction_png(path, job.result.get("objects", []), threshold)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
