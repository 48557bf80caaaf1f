"""Datasets, models and try-it-out (the model customization capability fills these pages)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from workspaces.http import WorkspaceRequest, workspace_view

SECTIONS = {
    "datasets": ("Datasets", "Register a COCO file from your storage as a dataset, see its validation report and browse its images."),
    "models": ("Models", "Train classifiers, detectors and product recognizers with a time budget, follow them and read their evaluations."),
    "try": ("Try it out", "Upload a test image and see a model's predictions, with boxes drawn on the image."),
}


def _section(request: WorkspaceRequest, section: str) -> HttpResponse:
    title, purpose = SECTIONS[section]
    return render(request, "customization/coming_soon.html", {"title": title, "purpose": purpose, "section": section})


@workspace_view()
@require_GET
def dataset_list(request: WorkspaceRequest) -> HttpResponse:
    return _section(request, "datasets")


@workspace_view()
@require_GET
def model_list(request: WorkspaceRequest) -> HttpResponse:
    return _section(request, "models")


@workspace_view()
@require_GET
def try_it_out(request: WorkspaceRequest) -> HttpResponse:
    return _section(request, "try")
