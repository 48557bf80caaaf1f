"""COCO files from exported images, in two flavours, written as a stream (memory does not grow with N).

- **vision**: what Azure AI Vision model customization reads (and the reference script writes):
  relative ``bbox = [left, top, width, height]`` in [0, 1], ``coco_url``/``absolute_url`` per image,
  dense 1-based ids (docs/wire-formats.md §2.6).
- **standard**: plain COCO for CVAT, FiftyOne and pycocotools: absolute pixel boxes with ``area``
  and ``iscrowd``, ``file_name`` relative to the annotation file.

Label policy (what a Custom Vision project has that the target cannot take) is decided in
``plan_labels`` so the report can count every decision.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

MULTILABEL_CHOICES = {
    "skip": "Leave images with several tags out of the annotation file (default: the target trains multiclass only)",
    "first": "Keep only the image's first tag (alphabetical)",
    "all": "Keep every tag (one annotation per tag; the Vision service will reject this for classification)",
}
NEGATIVE_CHOICES = {
    "skip": "Leave Negative images out and drop the Negative tag (default: the target has no negative class)",
    "category": "Keep Negative as an ordinary category",
}


@dataclass
class Plan:
    """What to annotate, decided once per image; counts feed the report."""

    kind: str  # Classification | ObjectDetection
    multilabel: str = "skip"
    negative: str = "skip"
    negative_tag_ids: set[str] = field(default_factory=set)
    skipped: Counter = field(default_factory=Counter)
    clamped_boxes: int = 0
    dropped_boxes: int = 0

    def labels_for(self, labels: list[list]) -> list[list]:
        """The labels an image keeps in the annotation file ([] leaves it out)."""
        if not labels:
            self.skipped["untagged"] += 1
            return []
        if self.negative == "skip":
            kept = [label for label in labels if label[0] not in self.negative_tag_ids]
            if not kept:
                self.skipped["negative"] += 1
                return []
            labels = kept
        if self.kind == "Classification" and len(labels) > 1:
            if self.multilabel == "skip":
                self.skipped["multilabel"] += 1
                return []
            if self.multilabel == "first":
                labels = labels[:1]
        if self.kind == "ObjectDetection":
            labels = [box for box in (self._clamp(label) for label in labels) if box]
            if not labels:
                self.skipped["no_boxes"] += 1
        return labels

    def _clamp(self, label: list) -> list | None:
        """Clamp a relative box into [0, 1] (Custom Vision regions can overshoot by float error)."""
        if len(label) < 5:
            return None  # a tag without a region on a detection image
        tag, left, top, width, height = label[:5]
        l2, t2 = min(max(left, 0.0), 1.0), min(max(top, 0.0), 1.0)
        r2, b2 = min(max(left + width, 0.0), 1.0), min(max(top + height, 0.0), 1.0)
        clamped = [tag, round(l2, 6), round(t2, 6), round(r2 - l2, 6), round(b2 - t2, 6)]
        # Empty after rounding too (a 1e-9 wide region): written, it would be a box of no area.
        if clamped[3] <= 0 or clamped[4] <= 0 or l2 >= 1 or t2 >= 1:
            self.dropped_boxes += 1
            return None
        if any(abs(a - b) > 1e-6 for a, b in zip(clamped[1:], label[1:5], strict=True)):
            self.clamped_boxes += 1
        return clamped


@dataclass
class Image:
    width: int
    height: int
    blob_name: str
    url: str
    labels: list[list]


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def write_coco(
    out: IO[str],
    *,
    flavour: str,
    kind: str,
    categories: list[tuple[str, str]],  # (tag_id, name), in file order
    images: Iterable[Image],
    folder: str,
    description: str,
) -> Counter:
    """Stream a COCO file to ``out``; ``images`` is iterated twice. Returns annotations per category name."""
    cat_ids = {tag_id: index for index, (tag_id, _) in enumerate(categories, start=1)}
    names = dict(categories)
    per_category: Counter = Counter()
    out.write(
        '{"info":'
        + _dump(
            {
                "description": description,
                "version": "1.0",
                "date_created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    out.write(',"licenses":[],"categories":[')
    out.write(
        ",".join(
            _dump({"id": i, "name": name, "supercategory": "none"})
            for i, (_, name) in enumerate(categories, start=1)
        )
    )
    out.write('],"images":[')
    for index, image in enumerate(_iter(images), start=1):
        out.write("," if index > 1 else "")
        entry = {"id": index, "width": image.width, "height": image.height}
        if flavour == "vision":
            entry.update(file_name=image.blob_name, coco_url=image.url, absolute_url=image.url)
        else:
            entry["file_name"] = image.blob_name.removeprefix(folder)
        out.write(_dump(entry))
    out.write('],"annotations":[')
    ann_id = 0
    for image_id, image in enumerate(_iter(images), start=1):
        for label in image.labels:
            ann_id += 1
            entry = {"id": ann_id, "image_id": image_id, "category_id": cat_ids[label[0]]}
            per_category[names[label[0]]] += 1
            if kind == "ObjectDetection":
                left, top, width, height = label[1:5]
                if flavour == "vision":
                    entry["bbox"] = [left, top, width, height]
                else:
                    box = [
                        round(left * image.width, 2),
                        round(top * image.height, 2),
                        round(width * image.width, 2),
                        round(height * image.height, 2),
                    ]
                    entry.update(bbox=box, area=round(box[2] * box[3], 2), iscrowd=0)
            elif flavour == "standard":
                entry.update(iscrowd=0)
            out.write(("," if ann_id > 1 else "") + _dump(entry))
    out.write("]}")
    return per_category


def _iter(images: Iterable[Image]) -> Iterator[Image]:
    yield from (images() if callable(images) else images)
