"""Azure ML AutoML for images: JSONL lines and the MLTable files that wrap them, written as a stream.

One JSON object per line (docs/export.md, "Azure ML AutoML"): ``image_url`` (a datastore URI
``azureml://subscriptions/…/datastores/<name>/paths/<blob>`` when the user gave the datastore that
maps the container, else the blob's own URL), ``image_details`` ``{format, width, height}`` and
``label``, whose shape is the task's: a string (multiclass), a list of strings (multilabel), a list
of ``{label, topX, topY, bottomX, bottomY, isCrowd}`` boxes with corners in [0, 1] (detection).

Fed by the same manifest rows as the COCO writers (``migrator.coco``): the images are copied once
and each target is one more pass over the rows. What ``coco2jsonl`` gets wrong is not repeated here:
boxes come from Custom Vision's own normalised regions (no "already normalised?" guess, no
segmentation that replaces a box), every box is clamped into the unit square, and ``image_url``
keeps the blob's full path (no basename collisions).

A validation share is held out per stratum (an image's rarest tag, by Custom Vision's counts), by
a keyed hash of the image id: the same images every run, without holding the project in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import quote

from migrator.coco import Plan

TASKS = {
    "multiclass": "image_classification",
    "multilabel": "image_classification_multilabel",
    "detection": "image_object_detection",
}
TASK_LABELS = {
    "image_classification": "Multiclass classification",
    "image_classification_multilabel": "Multilabel classification",
    "image_object_detection": "Object detection",
}
PRIMARY_METRICS = {
    "image_classification": "accuracy",
    "image_classification_multilabel": "iou",
    "image_object_detection": "mean_average_precision",
}
FORMATS = {"jpg", "jpeg", "png", "jpe", "jfif", "bmp", "tif", "tiff"}
MIN_IMAGES = 10  # "The training data needs to have at least 10 images to submit an AutoML job."
MIN_PER_LABEL = 10  # "start with a minimum of 10 to 15 samples per label"
SEED = "visionport-automl-1"
LISTED = 1000  # images named per reason in the report (the counts are exact)

# A datastore URI prefix as the user gives it: up to the datastore's name, optionally with "/paths/".
# Subscription ids are GUIDs; resource groups take letters, digits, ., _, -, ( and ); workspaces
# letters, digits, _ and - (3-33, starting with a letter or digit); datastores letters, digits and _.
DATASTORE_PREFIX = re.compile(
    r"azureml://subscriptions/(?P<subscription>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})"
    r"/resourcegroups/(?P<resource_group>[-\w.()]{1,90})"
    r"/workspaces/(?P<workspace>[A-Za-z0-9][\w-]{2,32})"
    r"/datastores/(?P<datastore>\w{1,255})(?:/paths)?/?",
    re.IGNORECASE | re.ASCII,
)
DATASTORE_HELP = (
    "Give the datastore URI prefix as azureml://subscriptions/<subscription id>/resourcegroups/"
    "<resource group>/workspaces/<workspace>/datastores/<datastore name>: the datastore registered "
    "on this workspace's storage container (Azure ML studio → Data → Datastores → the datastore → "
    "Browse → Copy URI, up to the datastore's name)."
)
MLTABLE = """\
paths:
  - file: ./{jsonl}
transformations:
  - read_json_lines:
        encoding: utf8
        invalid_lines: error
        include_path_column: false
  - convert_column_types:
      - columns: image_url
        column_type: stream_info
"""


@dataclass(frozen=True)
class Datastore:
    subscription: str
    resource_group: str
    workspace: str
    datastore: str

    @property
    def prefix(self) -> str:
        return (
            f"azureml://subscriptions/{self.subscription}/resourcegroups/{self.resource_group}"
            f"/workspaces/{self.workspace}/datastores/{self.datastore}"
        )

    def uri(self, blob_name: str) -> str:
        return f"{self.prefix}/paths/{quote(blob_name, safe='/')}"


def datastore_parse(text: str) -> Datastore | None:
    """The datastore a prefix names, or None when it is not one (``DATASTORE_HELP`` says the form)."""
    match = DATASTORE_PREFIX.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or match["resource_group"].endswith("."):
        return None
    return Datastore(
        match["subscription"].lower(), match["resource_group"], match["workspace"], match["datastore"]
    )


def task_for(kind: str, classification_type: str) -> str:
    if kind == "ObjectDetection":
        return TASKS["detection"]
    return TASKS["multilabel" if classification_type == "Multilabel" else "multiclass"]


def mltable_text(jsonl_name: str) -> str:
    """The MLTable file beside ``jsonl_name`` (a file name, no folder), as every AutoML sample has it."""
    return MLTABLE.format(jsonl=jsonl_name)


def automl_plan(task: str, *, multilabel: str, negative: str, negative_tag_ids: set[str]) -> Plan:
    """The label policy of a task: a multilabel task keeps every tag; detection never keeps a
    Negative image (it has no box); multiclass follows the user's choices, as COCO does."""
    if task == TASKS["multilabel"]:
        multilabel = "all"
    if task == TASKS["detection"]:
        negative = "skip"
    if task == TASKS["multiclass"] and multilabel == "all":
        multilabel = "skip"  # a multiclass line holds one label: several tags cannot be kept
    return Plan(
        "ObjectDetection" if task == TASKS["detection"] else "Classification",
        multilabel=multilabel,
        negative=negative,
        negative_tag_ids=negative_tag_ids,
    )


def _key(image_id: str) -> int:
    digest = hashlib.blake2b(f"{SEED}:{image_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass
class Row:
    image_id: str
    width: int
    height: int
    blob_name: str
    labels: list[list]


@dataclass
class Split:
    """Which images go to validation: per stratum, the ``share`` with the smallest keys."""

    share: float
    rarity: dict[str, int]  # tag id -> images in Custom Vision (fewer is rarer)
    keys: dict[str, list[int]] = field(default_factory=dict)
    thresholds: dict[str, int] = field(default_factory=dict)

    def stratum(self, labels: list[list]) -> str:
        return min((label[0] for label in labels), key=lambda t: (self.rarity.get(t, 0), t))

    def see(self, image_id: str, labels: list[list]) -> None:
        if self.share > 0:
            self.keys.setdefault(self.stratum(labels), []).append(_key(image_id))

    def settle(self) -> None:
        """After every image was seen: the key at or under which an image of a stratum validates."""
        for stratum, keys in self.keys.items():
            keys.sort()
            # At least one image of a stratum of two or more, and never a stratum's last one.
            n = min(len(keys) - 1, max(1, round(len(keys) * self.share))) if len(keys) >= 2 else 0
            if n > 0:
                self.thresholds[stratum] = keys[n - 1]
        self.keys = {}

    def validates(self, image_id: str, labels: list[list]) -> bool:
        limit = self.thresholds.get(self.stratum(labels))
        return limit is not None and _key(image_id) <= limit


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _corner(value: float) -> float:
    return min(max(round(value, 6), 0.0), 1.0)


def line_for(task: str, image_url: str, row: Row, names: dict[str, str]) -> str:
    """One JSONL line (without its newline) for an image and the labels the plan kept."""
    ext = row.blob_name.rsplit(".", 1)[-1].lower() if "." in row.blob_name.rsplit("/", 1)[-1] else ""
    entry: dict = {
        "image_url": image_url,
        "image_details": {"format": ext, "width": row.width, "height": row.height},
    }
    if task == TASKS["detection"]:
        entry["label"] = [
            {
                "label": names[tag],
                "topX": _corner(left),
                "topY": _corner(top),
                "bottomX": _corner(left + width),
                "bottomY": _corner(top + height),
                "isCrowd": 0,
            }
            for tag, left, top, width, height in (label[:5] for label in row.labels)
        ]
    elif task == TASKS["multilabel"]:
        entry["label"] = sorted({names[label[0]] for label in row.labels})
    else:
        entry["label"] = names[row.labels[0][0]]
    return _dump(entry)


@dataclass
class Written:
    """What one AutoML pass wrote and left out, for the report."""

    train: int = 0
    validation: int = 0
    per_label: dict[str, Counter] = field(
        default_factory=lambda: {"train": Counter(), "validation": Counter()}
    )
    left_out: Counter = field(default_factory=Counter)
    listed: dict[str, list[str]] = field(default_factory=dict)  # reason -> blob names (first LISTED)
    encoded_paths: int = 0


def write_automl(
    train: IO[str],
    validation: IO[str] | None,
    *,
    task: str,
    rows: Callable[[], Iterable[Row]],
    names: dict[str, str],
    plan: Plan,
    split: Split,
    url_for: Callable[[str], str],
) -> Written:
    """Stream the train (and validation) JSONL; ``rows`` is called twice (split, then lines)."""
    written = Written()
    decide = Plan(plan.kind, plan.multilabel, plan.negative, plan.negative_tag_ids)
    for row in rows():  # the split needs every stratum's size first
        kept = decide.labels_for(row.labels)
        if kept:
            split.see(row.image_id, kept)
    split.settle()
    for row in rows():
        before = Counter(plan.skipped)
        kept = plan.labels_for(row.labels)
        if not kept:
            for reason in plan.skipped - before:
                written.left_out[reason] += 1
                names_listed = written.listed.setdefault(reason, [])
                if len(names_listed) < LISTED:
                    names_listed.append(row.blob_name)
            continue
        row = Row(row.image_id, row.width, row.height, row.blob_name, kept)
        if quote(row.blob_name, safe="/") != row.blob_name:
            written.encoded_paths += 1
        to_validation = validation is not None and split.validates(row.image_id, kept)
        out = validation if to_validation else train
        out.write(line_for(task, url_for(row.blob_name), row, names) + "\n")
        part = "validation" if to_validation else "train"
        setattr(written, part, getattr(written, part) + 1)
        per_image = {names[label[0]] for label in kept}
        written.per_label[part].update(per_image)
    return written


def automl_to_coco(
    lines: Iterable[str], *, blob_name: Callable[[str], str], url_for: Callable[[str], str] | None = None
) -> dict:
    """A Vision-flavour COCO document from AutoML JSONL lines (relative boxes, dense ids): the way
    back, for a team that has JSONL and needs COCO, and the round-trip test. ``blob_name`` maps an
    ``image_url`` to its path in the container, ``url_for`` a path to its blob URL (``coco_url``)."""
    categories: dict[str, int] = {}
    images, annotations = [], []
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        details = entry.get("image_details") or {}
        image_id = len(images) + 1
        name = blob_name(entry["image_url"])
        image = {
            "id": image_id,
            "width": details.get("width"),
            "height": details.get("height"),
            "file_name": name,
        }
        if url_for is not None:
            image["coco_url"] = image["absolute_url"] = url_for(name)
        images.append(image)
        label = entry["label"]
        boxes = label if isinstance(label, list) and label and isinstance(label[0], dict) else None
        for item in boxes if boxes is not None else ([label] if isinstance(label, str) else label):
            name = item["label"] if boxes is not None else item
            category = categories.setdefault(name, len(categories) + 1)
            annotation = {"id": len(annotations) + 1, "image_id": image_id, "category_id": category}
            if boxes is not None:
                annotation["bbox"] = [
                    item["topX"],
                    item["topY"],
                    item["bottomX"] - item["topX"],
                    item["bottomY"] - item["topY"],
                ]
            annotations.append(annotation)
    return {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n} for n, i in categories.items()],
    }
