"""Turning a registered dataset into trainer samples for a training or evaluation run.

Everything that goes wrong here is a RunFailed with the documented code: the dataset is gone
(``datasetNotFound``), its kind does not fit the model, or its files or images cannot be read
(``datasetCorrupt``, which the docs describe as "images aren't accessible or the annotation file
is in the wrong format").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.vision.coco import QUOTAS, CocoDataset, CocoImage
from sandbox.vision.errors import RunFailed
from sandbox.vision.fetch import Access, FetchError, fetch_images
from sandbox.vision.models import VisionDataset
from sandbox.vision.services.datasets import DatasetReadError, dataset_read


class Cancelled(Exception):
    pass


@dataclass
class LoadedImages:
    """Labelled images of a dataset, ready to become trainer samples."""

    coco: CocoDataset
    images: list[CocoImage]
    pictures: list[Any]  # loaders of the pictures (fetch_images), in the order of ``images``
    skipped: dict[str, int] = field(default_factory=dict)


def dataset_load(
    name: str,
    *,
    annotation_kind: str,
    purpose: str,
    wrong_kind_code: str,
    should_stop: Callable[[], bool] | None = None,
) -> LoadedImages:
    dataset = VisionDataset.objects.filter(name=name).first()
    if dataset is None:
        raise RunFailed("datasetNotFound", f"Dataset '{name}' was not found.")
    if dataset.annotation_kind != annotation_kind:
        raise RunFailed(
            wrong_kind_code,
            f"Dataset '{name}' holds {dataset.annotation_kind} annotations; this model needs {annotation_kind}.",
        )
    try:
        coco = dataset_read(
            dataset.annotation_kind,
            list(dataset.annotation_file_uris),
            Access.of(dataset),
            QUOTAS[(dataset.annotation_kind, purpose)],
        )
    except DatasetReadError as exc:
        raise RunFailed("datasetCorrupt", exc.message) from exc
    images, skipped = _usable(coco)
    try:
        pictures = fetch_images([i.url for i in images], Access.of(dataset), should_stop=should_stop)
    except InterruptedError as exc:
        raise Cancelled from exc
    except FetchError as exc:
        raise RunFailed("datasetCorrupt", f"Image {exc} (dataset '{name}').") from exc
    return LoadedImages(coco, images, pictures, skipped)


def _usable(coco: CocoDataset) -> tuple[list[CocoImage], dict[str, int]]:
    """Images worth downloading: a classification image needs its one label; detection keeps all."""
    if coco.kind != VisionDataset.AnnotationKind.CLASSIFICATION:
        return list(coco.images), {}
    for image in coco.images:
        if len(image.labels) > 1:
            raise RunFailed(
                "datasetCorrupt",
                f"Image {image.file_name} has {len(image.labels)} annotations; a classification dataset "
                "allows one per image (multilabel is not supported).",
            )
    labelled = [i for i in coco.images if i.labels]
    skipped = len(coco.images) - len(labelled)
    return labelled, ({"unlabelledImages": skipped} if skipped else {})


def samples_for(
    loaded: LoadedImages, trainer_kind: str, class_names: Sequence[str]
) -> tuple[list[Any], dict[str, int]]:
    """Trainer samples, with the dataset's classes mapped by name onto ``class_names``.

    Labels and boxes of classes the model does not know are dropped (counted in the result), which
    only happens when a model is evaluated on a dataset with other categories.
    """
    from trainer import Sample

    column = {name: i for i, name in enumerate(class_names)}
    mapping = {i: column.get(name) for i, name in enumerate(loaded.coco.class_names)}
    samples: list[Any] = []
    dropped = 0
    for image, picture in zip(loaded.images, loaded.pictures, strict=True):
        if trainer_kind == "classifier":
            label = mapping[image.labels[0]]
            if label is None:
                dropped += 1
                continue
            samples.append(Sample(picture, label=label))
        else:
            boxes = [(mapping[c], *rest) for c, *rest in image.boxes if mapping[c] is not None]
            dropped += len(image.boxes) - len(boxes)
            samples.append(Sample(picture, boxes=boxes))  # type: ignore[arg-type]
    return samples, ({"unknownClassLabels": dropped} if dropped else {})
