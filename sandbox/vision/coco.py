"""COCO annotation files as the service reads them: the samples' checker rules, then one dataset.

``coco_check`` applies every rule of ``check_coco_annotation_file`` (docs/wire-formats.md §2.6) with the
quota of the purpose, minus its bugs (the bbox rules always apply to detection, messages name the
right field). ``coco_merge`` joins several files into one list of labelled images, with categories
merged by name so the class list has no duplicates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from sandbox.vision.models import VisionDataset

CLASSIFICATION = VisionDataset.AnnotationKind.CLASSIFICATION
DETECTION = VisionDataset.AnnotationKind.DETECTION


class CocoError(Exception):
    pass


@dataclass(frozen=True)
class Quota:
    min_per_category: int  # also the minimum number of images, as the checker has it
    max_images: int
    max_side: int
    min_side: int
    max_categories: int
    min_categories: int


# (annotation kind, purpose) -> quota, as in the samples' checker.
QUOTAS = {
    (CLASSIFICATION, "training"): Quota(2, 1_000_000, 10240, 10, 2000, 2),
    (CLASSIFICATION, "evaluation"): Quota(1, 100_000, 16000, 50, 2000, 2),
    (DETECTION, "training"): Quota(1, 200_000, 10240, 10, 2000, 1),
    (DETECTION, "evaluation"): Quota(1, 100_000, 16000, 50, 2000, 1),
}


def registration_quota(kind: str) -> Quota:
    """At registration the purpose is not known yet: the file must pass for one of them."""
    training, evaluation = QUOTAS[(kind, "training")], QUOTAS[(kind, "evaluation")]
    return Quota(1, max(training.max_images, evaluation.max_images), 16000, 10, 2000, training.min_categories)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise CocoError(message)


def _id_in_range(value: Any, high: int, what: str, where: str) -> None:
    _check(
        _is_int(value) and 0 < value <= high,
        f"{what} must be an integer in [1, {high}], {value!r} found ({where}).",
    )


def _present(item: Any, where: str, *names: str) -> None:
    _check(isinstance(item, dict), f"{where} must be an object.")
    for name in names:
        _check(item.get(name) is not None, f'"{name}" is missing or null ({where}).')


def _bbox(bbox: Any, where: str) -> None:
    _check(isinstance(bbox, list | tuple) and len(bbox) == 4, f"bbox must hold 4 numbers ({where}).")
    _check(all(_is_number(v) for v in bbox), f"bbox must hold 4 numbers ({where}).")
    left, top, width, height = bbox
    _check(0 <= left < 1, f"bbox left must be in [0, 1), {left} found ({where}). Boxes are relative.")
    _check(0 <= top < 1, f"bbox top must be in [0, 1), {top} found ({where}). Boxes are relative.")
    _check(0 < width <= 1, f"bbox width must be in (0, 1], {width} found ({where}).")
    _check(0 < height <= 1, f"bbox height must be in (0, 1], {height} found ({where}).")
    _check(left + width <= 1, f"bbox left + width must be at most 1, {left + width} found ({where}).")
    _check(top + height <= 1, f"bbox top + height must be at most 1, {top + height} found ({where}).")


def coco_check(coco: Any, kind: str, quota: Quota) -> None:
    """Raise CocoError with the first rule ``coco`` breaks."""
    _check(isinstance(coco, dict), "The annotation file must hold a JSON object.")
    _present(coco, "the file", "images", "annotations", "categories")
    images, categories, annotations = coco["images"], coco["categories"], coco["annotations"]
    for name, value in (("images", images), ("categories", categories), ("annotations", annotations)):
        _check(isinstance(value, list), f'"{name}" must be a list.')

    _check(
        quota.min_per_category <= len(images) <= quota.max_images,
        f"The number of images must be in [{quota.min_per_category}, {quota.max_images}], {len(images)} found.",
    )
    for image in images:
        _check(isinstance(image, dict), "Every image must be an object.")
    _check(len({repr(i.get("id")) for i in images}) == len(images), "Duplicate image ids exist.")
    for image in images:
        where = f"image id {image.get('id')!r}"
        _present(image, where, "id", "width", "height", "file_name")
        _check(
            "coco_url" in image or "absolute_url" in image,
            f'Neither "coco_url" nor "absolute_url" is present ({where}).',
        )
        for side in ("width", "height"):
            value = image[side]
            _check(
                _is_number(value) and quota.min_side <= value <= quota.max_side,
                f"{side} must be in [{quota.min_side}, {quota.max_side}], {value!r} found ({where}).",
            )
        _id_in_range(image["id"], len(images), "id", where)

    _check(
        quota.min_categories <= len(categories) <= quota.max_categories,
        f"The number of categories must be in [{quota.min_categories}, {quota.max_categories}], {len(categories)} found.",
    )
    for category in categories:
        _check(isinstance(category, dict), "Every category must be an object.")
    _check(len({repr(c.get("id")) for c in categories}) == len(categories), "Duplicate category ids exist.")
    for category in categories:
        where = f"category id {category.get('id')!r}"
        _present(category, where, "id", "name")
        _id_in_range(category["id"], len(categories), "id", where)

    for annotation in annotations:
        _check(isinstance(annotation, dict), "Every annotation must be an object.")
    _check(
        len({repr(a.get("id")) for a in annotations}) == len(annotations), "Duplicate annotation ids exist."
    )
    per_category: Counter[int] = Counter()
    for annotation in annotations:
        where = f"annotation id {annotation.get('id')!r}"
        _present(annotation, where, "id", "image_id", "category_id")
        if kind == DETECTION:
            _present(annotation, where, "bbox")
            _bbox(annotation["bbox"], where)
        _id_in_range(annotation["image_id"], len(images), "image_id", where)
        _id_in_range(annotation["category_id"], len(categories), "category_id", where)
        _id_in_range(annotation["id"], len(annotations), "id", where)
        per_category[annotation["category_id"]] += 1
    for category_id, count in sorted(per_category.items()):
        _check(
            count >= quota.min_per_category,
            f"Each category needs at least {quota.min_per_category} annotations; category id {category_id} has {count}.",
        )


@dataclass
class CocoImage:
    url: str  # absolute, without the dataset's SAS
    file_name: str
    labels: list[int] = field(default_factory=list)  # class indexes of its annotations
    boxes: list[tuple[int, float, float, float, float]] = field(default_factory=list)


@dataclass
class CocoDataset:
    kind: str
    class_names: list[str]
    images: list[CocoImage]

    @property
    def annotation_count(self) -> int:
        return sum(len(i.labels) for i in self.images)


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def coco_merge(files: list[tuple[str, dict[str, Any]]], kind: str) -> CocoDataset:
    """One dataset from checked files given as (annotation file URI, parsed COCO).

    Image URLs that are relative are resolved against their annotation file's URI.
    """
    class_names: list[str] = []
    index: dict[str, int] = {}
    images: list[CocoImage] = []
    for uri, coco in files:
        base = without_query(uri)
        category_class: dict[int, int] = {}
        for category in sorted(coco["categories"], key=lambda c: c["id"]):
            name = str(category["name"])
            if name not in index:
                index[name] = len(class_names)
                class_names.append(name)
            category_class[category["id"]] = index[name]
        by_id: dict[int, CocoImage] = {}
        for image in sorted(coco["images"], key=lambda i: i["id"]):
            link = image.get("coco_url") or image.get("absolute_url")
            if not isinstance(link, str) or not link.strip():
                raise CocoError(
                    f'Image id {image["id"]} in {base} has no usable "coco_url" or "absolute_url".'
                )
            by_id[image["id"]] = CocoImage(urljoin(base, link.strip()), str(image["file_name"]))
            images.append(by_id[image["id"]])
        for annotation in sorted(coco["annotations"], key=lambda a: a["id"]):
            target = by_id[annotation["image_id"]]
            cls = category_class[annotation["category_id"]]
            target.labels.append(cls)
            if kind == DETECTION:
                left, top, width, height = (float(v) for v in annotation["bbox"])
                target.boxes.append((cls, left, top, width, height))
    return CocoDataset(kind, class_names, images)
