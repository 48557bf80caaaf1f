"""The common case first: a clean COCO file decoded straight into typed structs and validated in bulk.

Most files a team registers are ones an export wrote, and have no problem at all. For those,
``validate_coco_bytes`` decodes the bytes with msgspec into the shape below (ids and sizes as numbers,
names and URLs as text, boxes as four numbers), which is about five times faster than decoding into
dicts and keeps no key per entry, then checks each of ``customization.validation``'s rules over whole
columns (sets, min/max, counters) instead of entry by entry.

Either step may give up: a value of another type, a key the shape does not name (at the top, only
``info`` and ``licenses`` besides the lists; in entries, the usual COCO keys), or any rule that would add a problem (an error or a warning). Then the file goes the general way
(``coco_loads`` and ``validate_coco``), which finds every problem and says where. So the report is
always the general validator's: this path only answers "nothing to report" faster, and
tests/customization/test_validation_fast.py holds the two to the same report on the mutated corpus.
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from customization.coco_json import coco_loads
from customization.validation import DETECTION, Report, quota_for, validate_coco

Number = int | float
Flat = str | int | float | bool | None


class CocoImage(Struct, forbid_unknown_fields=True, gc=False):
    """An image entry. Every key is typed: a key skipped unread could hold what the general parse
    refuses (a 5,000-digit number), and the report must be the same either way."""

    id: int
    file_name: str
    width: Number
    height: Number
    coco_url: str | UnsetType = UNSET
    absolute_url: str | UnsetType = UNSET
    license: int | str | None | UnsetType = UNSET
    date_captured: str | int | None | UnsetType = UNSET
    flickr_url: str | None | UnsetType = UNSET

    def get(self, key: str, default: Any = None) -> Any:
        """As ``dict.get`` on the entry, for code that reads images either way (check_images)."""
        value = getattr(self, key, default)
        return default if value is UNSET else value


class _Annotation(Struct, forbid_unknown_fields=True, gc=False):
    id: int
    image_id: int
    category_id: int
    bbox: tuple[Number, Number, Number, Number] | UnsetType = UNSET
    area: Number | UnsetType = UNSET
    iscrowd: int | UnsetType = UNSET
    segmentation: list[list[Number]] | dict[str, str | list[int]] | UnsetType = UNSET


class _Category(Struct, forbid_unknown_fields=True, gc=False):
    id: int
    name: str
    supercategory: str | None | UnsetType = UNSET


class _Coco(Struct, forbid_unknown_fields=True, gc=False):
    images: list[CocoImage]
    annotations: list[_Annotation]
    categories: list[_Category]
    info: dict[str, Flat] | UnsetType = UNSET  # flat: nothing the nesting rule could catch
    licenses: list[dict[str, Flat]] | UnsetType = UNSET


_decode = msgspec.json.Decoder(_Coco).decode


@dataclass
class Validated:
    report: Report
    images: list  # CocoImage entries on the fast path, the parsed entries otherwise (or [])


def validate_coco_bytes(raw: bytes, *, kind: str, purpose: str = "training") -> Validated:
    """The report ``validate_coco(coco_loads(raw), …)`` gives, and the image entries.

    Raises what ``coco_loads`` raises (ValueError, RecursionError) for bytes that are not JSON."""
    fast = _clean_report(raw, kind, purpose)
    if fast is not None:
        return fast
    coco = coco_loads(raw)
    images = coco.get("images") if isinstance(coco, dict) else None
    return Validated(
        validate_coco(coco, kind=kind, purpose=purpose), images if isinstance(images, list) else []
    )


def _clean_report(raw: bytes, kind: str, purpose: str) -> Validated | None:
    """The report of a file with no problem at all, or None to take the general way."""
    enabled = gc.isenabled()
    gc.disable()  # only allocation, no cycles: collections among millions of new objects halve the speed
    try:
        try:
            coco = _decode(raw)
        except (msgspec.DecodeError, RecursionError):
            return None
        report = Report(kind, purpose)
        images, annotations, categories = coco.images, coco.annotations, coco.categories
        report.images, report.annotations, report.categories = len(images), len(annotations), len(categories)
        per_category = _clean_counts(report, images, annotations, categories)
    finally:
        if enabled:
            gc.enable()
    if per_category is None:
        return None
    report.per_category = per_category
    return Validated(report, images)


def _dense(ids: list[int]) -> bool:
    """Whether the ids are 1..n, each once: in that order (as exports write them) one comparison."""
    n = len(ids)
    if ids == list(range(1, n + 1)):
        return True
    return min(ids) == 1 and max(ids) == n and len(set(ids)) == n


def _column(entries: list, name: str) -> list:
    return list(map(attrgetter(name), entries))


def _clean_counts(report: Report, images: list, annotations: list, categories: list) -> dict[str, int] | None:
    """Annotations per category name when every rule passes, else None. The rules are
    customization.validation's, in bulk: each condition here is one that adds no group there.
    Columns are read with ``map(attrgetter(...))`` and checked by C builtins (no Python per entry)."""
    quota = quota_for(report.kind, report.purpose)
    n_images, n_categories, n_annotations = len(images), len(categories), len(annotations)
    # images: the count, dense unique ids, a name, a URL, a finite size within the quota
    if not 1 <= n_images <= quota.max_images or not _dense(_column(images, "id")):
        return None
    if not all(map(attrgetter("file_name"), images)):
        return None
    if UNSET in map(attrgetter("coco_url"), images) and any(
        i.coco_url is UNSET and i.absolute_url is UNSET for i in images
    ):
        return None
    for side in ("width", "height"):
        values = _column(images, side)
        if not (quota.min_dim <= min(values) and max(values) <= quota.max_dim):
            return None  # JSON has no infinity, and msgspec refuses numbers past a float's range
    # categories: the count, dense unique ids, no Negative, no shared name
    if not quota.min_categories <= n_categories <= quota.max_categories:
        return None
    if not _dense(_column(categories, "id")):
        return None
    names = [c.name.lower() for c in categories]
    if "negative" in names or len(set(names)) != n_categories:
        return None
    # annotations: dense unique ids, an existing image and category (ids are 1..N now), the box rule
    if not n_annotations or not _dense(_column(annotations, "id")):
        return None
    if not _boxes_clean(report.kind == DETECTION, annotations):
        return None
    # every image labelled, within the quota's labels (classification) or boxes (detection) per image
    on_image = _column(annotations, "image_id")
    if min(on_image) < 1 or max(on_image) > n_images:
        return None
    limit = quota.max_labels_per_image or quota.max_regions_per_image
    if limit == 1:  # one label each: as many labels as images, none twice
        if n_annotations != n_images or not _dense(on_image):
            return None
    else:
        per_image = Counter(on_image)
        if len(per_image) != n_images or (limit and max(per_image.values()) > limit):
            return None
    # every category used, at least the minimum
    per_category = Counter(map(attrgetter("category_id"), annotations))
    if min(per_category) < 1 or max(per_category) > n_categories:
        return None
    if len(per_category) != n_categories or min(per_category.values()) < quota.min_per_category:
        return None
    return {c.name: per_category[c.id] for c in categories}


def _boxes_clean(detection: bool, annotations: list) -> bool:
    """Detection: every box relative, inside the image, with an area. Classification: no box at all."""
    if not detection:
        return _column(annotations, "bbox").count(UNSET) == len(annotations)
    for a in annotations:
        box = a.bbox
        if box is UNSET:
            return False
        left, top, width, height = box
        if not (
            0 <= left < 1
            and 0 <= top < 1
            and 0 < width <= 1
            and 0 < height <= 1
            and left + width <= 1 + 1e-9
            and top + height <= 1 + 1e-9
        ):
            return False
    return True
