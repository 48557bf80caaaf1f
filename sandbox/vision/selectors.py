"""Reads of the Vision stand-in: one object by name (404 when absent) and list pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

from sandbox.vision.errors import dataset_not_found, evaluation_not_found, model_not_found
from sandbox.vision.models import VisionDataset, VisionEvaluation, VisionModel

T = TypeVar("T", bound=Model)


def dataset_get(name: str) -> VisionDataset:
    dataset = VisionDataset.objects.filter(name=name).first()
    if dataset is None:
        raise dataset_not_found(name)
    return dataset


def model_get(name: str) -> VisionModel:
    model = VisionModel.objects.filter(name=name).first()
    if model is None:
        raise model_not_found(name)
    return model


def evaluation_get(model: VisionModel, name: str) -> VisionEvaluation:
    evaluation = VisionEvaluation.objects.filter(model=model, name=name).first()
    if evaluation is None:
        raise evaluation_not_found(model.name, name)
    return evaluation


@dataclass
class Page(Generic[T]):
    items: list[T]
    more: bool  # items remain after this page


def page_of(queryset: QuerySet[T], *, skip: int, top: int) -> Page[T]:
    """A stable page (oldest first, the id breaking ties); one row more is read to know if more remain."""
    rows = list(queryset.order_by("created", "id")[skip : skip + top + 1])
    return Page(rows[:top], len(rows) > top)


def dataset_page(*, skip: int, top: int) -> Page[VisionDataset]:
    return page_of(VisionDataset.objects.all(), skip=skip, top=top)


def model_page(*, skip: int, top: int) -> Page[VisionModel]:
    return page_of(VisionModel.objects.all(), skip=skip, top=top)


def evaluation_page(model: VisionModel, *, skip: int, top: int) -> Page[VisionEvaluation]:
    return page_of(VisionEvaluation.objects.filter(model=model), skip=skip, top=top)
