"""The model page's evaluation section: *Analyze errors* (its cost said first), the threshold
slider's figures, and the error gallery's images."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from PIL import Image

from customization.client import VisionClient, VisionError
from customization.evaluation import (
    analyses_for,
    analysis_figures,
    analysis_get,
    analyzed_image_get,
    error_page,
    held_out,
    performance_kind,
    sandbox_details,
    tag_table,
    threshold_from,
)
from customization.models import ErrorAnalysis
from customization.selectors import service_model_get, vision_client_for
from customization.services.analysis import analysis_folder
from customization.services.datasets import NAME
from customization.services.drawing import error_thumbnail, placeholder_tile
from customization.services.gallery import GalleryError, gallery_index
from customization.training_rules import kind_fits
from jobs.services import job_start
from workspaces.http import WorkspaceRequest, workspace_view


def dataset_role(model: dict, dataset: str) -> str:
    test = (model.get("evaluationParameters") or {}).get("testDatasetName")
    if dataset and dataset == test:
        return ErrorAnalysis.Role.EVALUATION
    if dataset == (model.get("trainingParameters") or {}).get("trainingDatasetName"):
        return ErrorAnalysis.Role.TRAINING
    return ErrorAnalysis.Role.OTHER


def analysis_choices(model: dict, datasets: list[str]) -> list[tuple[str, str]]:
    """The datasets an analysis can run on, the model's evaluation dataset first, then its
    training dataset, then the others of its kind; each with what it is."""
    params = model.get("trainingParameters") or {}
    first = [
        (model.get("evaluationParameters") or {}).get("testDatasetName"),
        params.get("trainingDatasetName"),
    ]
    names = [n for n in dict.fromkeys([*first, *datasets]) if n]
    labels = {
        ErrorAnalysis.Role.EVALUATION: "evaluation dataset, held out",
        ErrorAnalysis.Role.TRAINING: "training dataset: not held out",
        ErrorAnalysis.Role.OTHER: "another dataset",
    }
    return [(n, f"{n} ({labels[dataset_role(model, n)]})") for n in names]


def evaluation_context(request: WorkspaceRequest, name: str, model: dict | None, performance: dict) -> dict:
    """What the model page shows about its evaluation: labelled figures, and the analysis."""
    analysis_id = request.GET.get("analysis", "")
    analysis = analysis_get(workspace=request.workspace, model=name, analysis_id=analysis_id)
    notes = []
    if analysis_id and analysis is None:
        notes.append("That analysis is not one of this model's: showing the latest.")
        analysis = analysis_get(workspace=request.workspace, model=name)
    threshold, note = threshold_from(request.GET.get("t"))
    if note:
        notes.append(note)
    kind = analysis.kind if analysis else performance_kind(model)
    columns, rows = tag_table(performance, kind)
    context = {
        "tag_columns": columns,
        "tag_rows": rows,
        "details": sandbox_details(model),
        "held_out": held_out(workspace=request.workspace, model=model, analysis=analysis),
        "analysis": analysis,
        "analyses": analyses_for(workspace=request.workspace, model=name),
        "notes": notes,
        "threshold": threshold,
    }
    if analysis:
        context["figures"] = analysis_figures(analysis, threshold)
        context["errors"] = error_page(
            analysis=analysis,
            tag=request.GET.get("tag", ""),
            page=request.GET.get("page", 1),
            threshold=threshold,
        )
    budget = ((model or {}).get("trainingParameters") or {}).get("timeBudgetInHours")
    cost = (model or {}).get("trainingCostInMinutes")
    if budget and cost is not None:
        context["budget_used"] = min(100, round(100 * float(cost) / (float(budget) * 60)))
    return context


def _model_or_404(request: WorkspaceRequest, name: str) -> tuple[VisionClient, dict]:
    client, error = vision_client_for(workspace=request.workspace)
    if client is None:
        raise Http404(error)
    model, error = service_model_get(client=client, name=name)
    if model is None:
        raise Http404(error)
    return client, model


@workspace_view()
@require_http_methods(["GET", "POST"])
def model_analyze(request: WorkspaceRequest, name: str) -> HttpResponse:
    """GET: what an analysis of the dataset chosen costs (one prediction call per image); POST: start it."""
    data = request.POST if request.method == "POST" else request.GET
    dataset = data.get("dataset", "")
    model_url = reverse("customization:model", kwargs={"ws_id": request.workspace.pk, "name": name})
    client, model = _model_or_404(request, name)
    context = {"name": name, "model": model, "dataset": dataset, "model_url": model_url, "problem": ""}
    if model.get("status") != "succeeded":
        context["problem"] = f"{name} is {model.get('status')}: only a trained model can be analyzed."
    elif not NAME.match(dataset):
        context["problem"] = "Pick a dataset to analyze the model on."
    else:
        try:
            found = client.dataset_get(dataset)
            model_kind = (model.get("trainingParameters") or {}).get("modelKind", "")
            if not kind_fits(model_kind, found.get("annotationKind", "")):
                context["problem"] = f"{dataset} is not a dataset of this model's kind: pick another."
            else:
                index = gallery_index(workspace=request.workspace, name=dataset, dataset=found)
                context["images"] = len(index.items)
        except VisionError as exc:
            context["problem"] = (
                f"The service has no dataset named {dataset}." if exc.status == 404 else exc.message
            )
        except GalleryError as exc:
            context["problem"] = exc.message
    context["role"] = dataset_role(model, dataset)
    if request.method == "POST" and not context["problem"]:
        job = job_start(
            workspace=request.workspace,
            actor=request.user,
            kind="analyze_errors",
            target=f"{name} on {dataset}",
            params={
                "model": name,
                "dataset": dataset,
                "dataset_role": context["role"],
                "images": context["images"],
            },
        )
        return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    return render(
        request, "customization/model_analyze.html", context, status=400 if context["problem"] else 200
    )


@workspace_view()
@require_GET
def analysis_image(request: WorkspaceRequest, name: str, image_id: int) -> HttpResponse:
    """An analyzed image (``?analysis=<uuid>``) with its ground truth and its predictions at ``t``
    drawn; 404 outside the workspace, for another model or an unknown analysis or image."""
    try:
        analysis_id = uuid.UUID(request.GET.get("analysis", ""))
    except ValueError:
        raise Http404("No such analysis.") from None
    row = analyzed_image_get(workspace=request.workspace, analysis_id=analysis_id, image_id=image_id)
    if row is None or row.analysis.model_name != name:
        raise Http404("No such image in this analysis.")
    threshold, _ = threshold_from(request.GET.get("t"))
    path = analysis_folder(row.analysis_id) / f"{row.image_id}.jpg"
    if not Path(path).is_file():
        reason = row.problem or "The copy of this image kept for the analysis is gone."
        return HttpResponse(
            placeholder_tile(reason), content_type="image/jpeg", status=404 if not row.problem else 200
        )
    with Image.open(path) as kept:
        data = error_thumbnail(kept, truth=row.truth, predictions=row.predictions, threshold=threshold)
    response = HttpResponse(io.BytesIO(data).getvalue(), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
