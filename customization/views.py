"""Datasets, models, evaluations and try-it-out pages. Long work starts a job; pages read the service."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customization.client import VisionClient, VisionError
from customization.forms import MODEL_KINDS, RegisterDatasetForm, TrainForm, TryForm
from customization.models import ModelRecord
from customization.services.datasets import dataset_records
from customization.services.drawing import placeholder_tile, prediction_png
from customization.services.gallery import (
    GalleryError,
    GalleryNotFound,
    gallery_forget,
    gallery_page,
    gallery_thumbnail,
)
from customization.services.training import prediction_path
from customization.training_rules import (
    LOCAL_MINIMUM_HOURS,
    azure_minimum_hours,
    azure_rates_text,
    boxes_per_image,
    default_hours,
    hours_text,
    kind_fits,
    kind_mismatch,
    model_kind_for,
    round_up,
    workspace_trains_on_azure,
)
from jobs.selectors import job_get_for_member
from jobs.services import job_cancel, job_start
from workspaces.http import WorkspaceRequest, workspace_view

MODEL_KIND_LABELS = dict(MODEL_KINDS)


def _client_or_error(request: WorkspaceRequest) -> tuple[VisionClient | None, str]:
    try:
        return VisionClient.for_workspace(request.workspace), ""
    except VisionError as exc:
        return None, exc.message


def _service_list(request: WorkspaceRequest, what: str) -> tuple[list[dict], str]:
    client, error = _client_or_error(request)
    if client is None:
        return [], error
    try:
        return (client.datasets() if what == "datasets" else client.models()), ""
    except VisionError as exc:
        return [], exc.message


@workspace_view()
@require_GET
def dataset_list(request: WorkspaceRequest) -> HttpResponse:
    datasets, error = _service_list(request, "datasets")
    records = dataset_records(request.workspace)
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
    client, error = _client_or_error(request)
    dataset = None
    if client:
        try:
            dataset = client.dataset_get(name)
        except VisionError as exc:
            if exc.status == 404:
                raise Http404("No such dataset") from exc
            error = exc.message
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
    record = dataset_records(request.workspace).get(name)
    counts = sorted((record.per_category if record else {}).items(), key=lambda kv: -kv[1])
    template = "customization/dataset_detail.html" + ("#gallery" if request.htmx else "")
    return render(
        request,
        template,
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
    client, error = _client_or_error(request)
    try:
        if client is None:
            raise VisionError("vision_not_configured", error)
        client.dataset_delete(name)
        request.workspace.datasets.filter(name=name).delete()
        gallery_forget(workspace=request.workspace, name=name)
        messages.success(request, f"Dataset {name} deleted.")
    except VisionError as exc:
        messages.error(request, exc.message)
    return redirect("customization:datasets", ws_id=request.workspace.pk)


@workspace_view()
@require_GET
def model_list(request: WorkspaceRequest) -> HttpResponse:
    models, error = _service_list(request, "models")
    records = {
        r.name: r for r in ModelRecord.objects.filter(workspace=request.workspace).select_related("job")
    }
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
    datasets, error = _service_list(request, "datasets")
    models, _ = _service_list(request, "models")
    kinds = {d["name"]: d.get("annotationKind", "") for d in datasets}
    records = dataset_records(request.workspace)
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
    client, error = _client_or_error(request)
    model = None
    if client:
        try:
            model = client.model_get(name)
        except VisionError as exc:
            if exc.status == 404:
                raise Http404("No such model") from exc
            error = exc.message
    record = ModelRecord.objects.filter(workspace=request.workspace, name=name).select_related("job").first()
    performance = (model or {}).get("modelPerformance") or (record.performance if record else {}) or {}
    tags = sorted((performance.get("tagPerformance") or {}).items())
    evaluations, datasets = [], []
    if client and model and model.get("status") == "succeeded":
        model_kind = (model.get("trainingParameters") or {}).get("modelKind", "")
        try:
            evaluations = client.evaluations(name)
            # Only datasets of the model's kind: any other fails as incorrectModelKind.
            datasets = [
                d["name"] for d in client.datasets() if kind_fits(model_kind, d.get("annotationKind", ""))
            ]
        except VisionError as exc:
            error = exc.message
    return render(
        request,
        "customization/model_detail.html",
        {
            "model": model,
            "record": record,
            "error": error,
            "name": name,
            "performance": performance,
            "tags": tags,
            "evaluations": evaluations,
            "datasets": datasets,
        },
    )


@workspace_view()
@require_POST
def model_evaluate(request: WorkspaceRequest, name: str) -> HttpResponse:
    dataset = request.POST.get("dataset", "")
    evaluation = request.POST.get("evaluation", "").strip() or f"eval-{uuid.uuid4().hex[:8]}"
    from customization.services.datasets import NAME

    if not (NAME.match(dataset) and NAME.match(evaluation)):
        messages.error(request, "Pick a dataset; evaluation names use letters, digits, '.', '_' and '-'.")
        return redirect("customization:model", ws_id=request.workspace.pk, name=name)
    client, error = _client_or_error(request)
    try:
        if client is None:
            raise VisionError("vision_not_configured", error)
        model_kind = (client.model_get(name).get("trainingParameters") or {}).get("modelKind", "")
        annotation_kind = client.dataset_get(dataset).get("annotationKind", "")
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
    record = ModelRecord.objects.filter(workspace=request.workspace, name=name).select_related("job").first()
    if record and record.job:
        job_cancel(
            job=job_get_for_member(membership=request.membership, job_id=record.job.pk), actor=request.user
        )
        messages.info(request, "Cancel requested: the service stops the training shortly.")
    return redirect("customization:model", ws_id=request.workspace.pk, name=name)


@workspace_view(admin_only=True)
@require_POST
def model_delete(request: WorkspaceRequest, name: str) -> HttpResponse:
    client, error = _client_or_error(request)
    try:
        if client is None:
            raise VisionError("vision_not_configured", error)
        client.model_delete(name)
        ModelRecord.objects.filter(workspace=request.workspace, name=name).delete()
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
    client, error = _client_or_error(request)
    chosen = request.GET.getlist("m")[:4]
    models = []
    if client:
        for name in chosen:
            try:
                models.append(client.model_get(name))
            except VisionError as exc:
                error = exc.message
    all_models, _ = _service_list(request, "models")
    return render(
        request,
        "customization/model_compare.html",
        {"models": models, "all_models": all_models, "chosen": chosen, "error": error},
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def try_it_out(request: WorkspaceRequest) -> HttpResponse:
    models, error = _service_list(request, "models")
    ready = [m["name"] for m in models if m.get("status") == "succeeded"]
    # "Try another image" on a result comes back with its model chosen.
    form = TryForm(
        request.POST or None, request.FILES or None, models=ready, initial={"model": request.GET.get("model")}
    )
    if request.method == "POST" and form.is_valid():
        image = form.cleaned_data["image"]
        job_id = uuid.uuid4()
        ext = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "GIF": ".gif", "TIFF": ".tif", "WEBP": ".webp"}[
            image["format"]
        ]
        path = prediction_path(job_id, ext)
        path.write_bytes(image["data"])
        job = job_start(
            workspace=request.workspace,
            actor=request.user,
            kind="predict",
            target=form.cleaned_data["model"],
            params={
                "model": form.cleaned_data["model"],
                "image_path": str(path),  # never shown (jobs/labels.py); the page shows the name uploaded
                "image_name": Path(request.FILES["image"].name or "").name[:200],
                "content_type": image["content_type"],
                "width": image["width"],
                "height": image["height"],
            },
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
