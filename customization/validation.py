"""Pre-flight validation of a COCO file before it is registered as a dataset.

Every rule of the samples checker (docs/wire-formats.md §2.6) without its bugs (the bbox rules always
apply to detection; the right quota is always used), the service's quotas as configuration
(``QUOTAS``, overridable with settings.VISION_QUOTAS), and what nobody checks: several labels on a
classification image, boxes on classification, images without annotations, a Negative category,
pixel boxes where relative ones are expected, images that cannot be read with the SAS the service
will use, and a SAS that expires before training ends.

Problems are grouped by rule: each group says how serious it is (an ``error`` blocks registration,
a ``warning`` does not), what is wrong, how to fix it, how often, and where (the first examples):
``jobs.reports.Report``, the shape the AutoML validator shares.
One pass over the lists, so a 1,000,000-image file validates in seconds.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from django.conf import settings

from jobs.reports import Report

CLASSIFICATION = "imageClassification"
DETECTION = "imageObjectDetection"


@dataclass(frozen=True)
class Quota:
    max_images: int
    min_per_category: int
    min_categories: int
    max_categories: int
    max_dim: int = 10240
    min_dim: int = 10  # the checker's floor for training; prediction needs 50
    max_labels_per_image: int | None = None
    max_regions_per_image: int | None = None
    max_image_bytes: int = 20 * 1024 * 1024


# From the concepts page's quota table (reference/004), training and evaluation.
QUOTAS = {
    (CLASSIFICATION, "training"): Quota(1_000_000, 2, 2, 2500, max_labels_per_image=1),
    (DETECTION, "training"): Quota(200_000, 2, 1, 1000, max_regions_per_image=1000),
    (CLASSIFICATION, "evaluation"): Quota(
        100_000, 1, 2, 2500, min_dim=50, max_dim=16000, max_labels_per_image=1
    ),
    (DETECTION, "evaluation"): Quota(
        100_000, 1, 1, 1000, min_dim=50, max_dim=16000, max_regions_per_image=1000
    ),
}
ACCEPTED_FORMATS = {"JPEG", "PNG", "BMP", "GIF"}


def quota_for(kind: str, purpose: str) -> Quota:
    overrides = getattr(settings, "VISION_QUOTAS", {}) or {}
    return overrides.get((kind, purpose)) or QUOTAS[(kind, purpose)]


# The exact types json.loads gives. Hot loops test ``type(v) in _NUMBERS`` (or ``type(v) is int``) first and
# call _is_num/_is_int only for other types: the same answer, without a call per value.
_NUMBERS = frozenset({int, float})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dense(ids: Collection[int], n: int) -> bool:
    """Whether distinct integer ids are exactly 1..n: O(n), no sorted copy."""
    return len(ids) == n and (n == 0 or (min(ids) == 1 and max(ids) == n))


MAX_DEPTH = 64  # COCO nests 5 deep (a polygon in a segmentation); 64 leaves room for any extension
SHOWN_CHARS = 200


def _text(value: object) -> str:
    """A value as a report shows it, short and never raising: str() of a 5,000-digit int raises
    ValueError, and repr() of a list nested 100,000 deep raises RecursionError."""
    if isinstance(value, str):
        return value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else f"a {value.bit_length()}-bit number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    return type(value).__name__


def _deeper_than(value: object, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` deep in ``value`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))
    return False


def _image_where(position: int, image_id: object, name: object) -> str:
    return f"image id {_text(image_id)} ({_text(name)})" if name else f"images[{position}]"


def _annotation_where(aid: object, image_id: object) -> str:
    return f"annotation id {_text(aid)} (image {_text(image_id)})"


def _finite(value: object) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def validate_coco(coco: object, *, kind: str, purpose: str = "training") -> Report:
    """Validate a parsed COCO document for the given annotation kind and purpose.

    One pass per list, keeping per image only its id (pointing at its entry) and annotation count,
    per annotation one bit, and building the text of a place only when a problem is reported. The
    checks run in the order below, which is the order of the report's groups.
    """
    report = Report(kind, purpose)
    quota = quota_for(kind, purpose)
    if not isinstance(coco, dict):
        report.add(
            "not_an_object",
            "error",
            "The file is not a COCO JSON object.",
            "Export the file again as COCO JSON.",
        )
        return report
    _check_nesting(report, coco)
    images, annotations, categories = _coco_lists(report, coco)
    image_ids = _check_image_entries(report, quota, images)
    category_names = _check_category_entries(report, quota, categories)
    per_image, per_category = _check_annotation_entries(report, annotations, image_ids, category_names)
    _check_labels_per_image(report, quota, image_ids, per_image)
    _check_category_use(report, quota, category_names, per_category)
    return report


def _check_nesting(report: Report, coco: dict) -> None:
    """The keys besides the three lists (info, licenses) are small: only their depth is checked.

    The lists are read entry by entry, so a nested value there is reported where it is."""
    for key, value in coco.items():
        if key not in ("images", "annotations", "categories") and _deeper_than(value, MAX_DEPTH):
            report.add(
                "too_deep",
                "error",
                f"Lists or objects nest more than {MAX_DEPTH} deep, which no COCO file does.",
                "Export the file again as COCO JSON.",
                _text(key),
            )


def _coco_lists(report: Report, coco: dict) -> tuple[list, list, list]:
    """The images, annotations and categories lists (empty where one is missing), counted."""
    lists = {}
    for key in ("images", "annotations", "categories"):
        value = coco.get(key)
        if not isinstance(value, list):
            report.add(
                f"missing_{key}",
                "error",
                f"The file has no '{key}' list.",
                f"Add a '{key}' array (it may be empty only for annotations of unlabelled images).",
            )
        lists[key] = value if isinstance(value, list) else []
    images, annotations, categories = lists["images"], lists["annotations"], lists["categories"]
    report.images, report.annotations, report.categories = len(images), len(annotations), len(categories)
    return images, annotations, categories


def _check_image_entries(report: Report, quota: Quota, images: list) -> dict[int, dict]:
    """The image count, each image's id, name, URL and size, and dense ids; the entry per good id."""
    add = report.add
    if not 1 <= len(images) <= quota.max_images:
        add(
            "image_count",
            "error",
            f"{len(images)} images; a {report.purpose} dataset takes 1 to {quota.max_images:,}.",
            "Split the file or add images.",
        )
    image_ids: dict[int, dict] = {}
    min_dim, max_dim = quota.min_dim, quota.max_dim
    for position, image in enumerate(images):
        if not isinstance(image, dict):
            add(
                "image_not_object",
                "error",
                "An image entry is not an object.",
                "Each image must be a JSON object.",
                f"images[{position}]",
            )
            continue
        image_id = image.get("id")
        name = image.get("file_name")
        if not (type(image_id) is int or _is_int(image_id)):
            add(
                "image_id_type",
                "error",
                "Image ids must be integers (1.0 is refused).",
                "Number the images 1, 2, 3, ... as integers.",
                _image_where(position, image_id, name),
            )
        elif image_id in image_ids:
            add(
                "image_id_duplicate",
                "error",
                "Two images share an id.",
                "Give every image its own id.",
                _image_where(position, image_id, name),
            )
        else:
            image_ids[image_id] = image
        if not (name and isinstance(name, str)):
            add(
                "image_file_name",
                "error",
                "An image has no file_name, or it is not text.",
                "Add the blob path as file_name.",
                _image_where(position, image_id, name),
            )
        if "coco_url" not in image and "absolute_url" not in image:
            add(
                "image_url",
                "error",
                "An image has neither coco_url nor absolute_url, so the service cannot find it.",
                "Add coco_url with the blob's URL (without SAS).",
                _image_where(position, image_id, name),
            )
        width, height = image.get("width"), image.get("height")
        if not (
            (type(width) in _NUMBERS or _is_num(width))
            and (type(height) in _NUMBERS or _is_num(height))
            and _finite(width)
            and _finite(height)
        ):
            add(
                "image_size_missing",
                "error",
                "An image has no numeric width and height.",
                "Add the image's pixel width and height.",
                _image_where(position, image_id, name),
            )
        elif width < min_dim or height < min_dim or width > max_dim or height > max_dim:
            add(
                "image_size_range",
                "error",
                f"Images must be {quota.min_dim} to {quota.max_dim:,} pixels on each side.",
                "Resize the image, or leave it out.",
                f"{_image_where(position, image_id, name)}: {_text(width)}x{_text(height)}",
            )
    if image_ids and not _dense(image_ids, len(images)):
        add(
            "image_ids_dense",
            "error",
            "Image ids must be exactly 1..N (the service rejects gaps and other starts).",
            "Renumber the images 1..N and update image_id in the annotations.",
        )
    return image_ids


def _check_category_entries(report: Report, quota: Quota, categories: list) -> dict[int, str]:
    """The category count, ids, names, a Negative class and shared names; the name per good id."""
    add = report.add
    category_names: dict[int, str] = {}
    if not quota.min_categories <= len(categories) <= quota.max_categories:
        add(
            "category_count",
            "error",
            f"{len(categories)} categories; a {report.kind} dataset needs {quota.min_categories} to {quota.max_categories:,}.",
            "Add or merge categories.",
        )
    seen_names: Counter = Counter()
    for position, category in enumerate(categories):
        cid = category.get("id") if isinstance(category, dict) else None
        raw_name = category.get("name", "") if isinstance(category, dict) else ""
        name = raw_name if isinstance(raw_name, str) else _text(raw_name)
        where = f"category id {_text(cid)} ({_text(name)})"
        if not _is_int(cid) or cid in category_names:
            add(
                "category_id",
                "error",
                "Category ids must be unique integers.",
                "Number the categories 1..N.",
                f"categories[{position}]",
            )
            continue
        category_names[cid] = name
        if not isinstance(raw_name, str):
            add(
                "category_name",
                "error",
                "A category name is not text.",
                "Give every category a name as a JSON string.",
                where,
            )
        seen_names[name.lower()] += 1
        if name.lower() == "negative":
            add(
                "negative_category",
                "warning",
                "A category is called Negative: Image Analysis has no negative class, it trains as an ordinary one.",
                "Drop the category and its annotations unless you really want a class for 'nothing'.",
                where,
            )
    if category_names and not _dense(category_names, len(categories)):
        add(
            "category_ids_dense",
            "error",
            "Category ids must be exactly 1..N.",
            "Renumber the categories 1..N.",
        )
    for name, count in seen_names.items():
        if count > 1:
            add(
                "category_name_duplicate",
                "warning",
                "Two categories share a name.",
                "Merge them: predictions will not tell them apart.",
                _text(name),
            )
    return category_names


def _check_annotation_entries(
    report: Report, annotations: list, image_ids: dict[int, dict], category_names: dict[int, str]
) -> tuple[dict[int, int], dict[int, int]]:
    """Each annotation's id, image, category and box, and dense ids; the counts per image and category.

    Unique ids in 1..N are one bit each; the others (an error anyway) go in a set."""
    add = report.add
    n_annotations = len(annotations)
    ann_seen = bytearray(n_annotations + 1)
    ann_in_range = 0
    ann_other: set[int] = set()
    per_image: dict[int, int] = {}
    per_category: dict[int, int] = {}
    detection = report.kind == DETECTION
    for position, ann in enumerate(annotations):
        if not isinstance(ann, dict):
            add(
                "annotation_not_object",
                "error",
                "An annotation is not an object.",
                "Fix the annotation.",
                f"annotations[{position}]",
            )
            continue
        aid, image_id, cid = ann.get("id"), ann.get("image_id"), ann.get("category_id")
        if not (type(aid) is int or _is_int(aid)):
            fresh = False
        elif 1 <= aid <= n_annotations:
            fresh = not ann_seen[aid]
            if fresh:
                ann_seen[aid] = 1
                ann_in_range += 1
        else:
            fresh = aid not in ann_other
            ann_other.add(aid)
        if not fresh:
            add(
                "annotation_id",
                "error",
                "Annotation ids must be unique integers.",
                "Number the annotations 1..N.",
                _annotation_where(aid, image_id),
            )
        if not (type(image_id) is int or _is_int(image_id)) or image_id not in image_ids:
            add(
                "annotation_image",
                "error",
                "An annotation points at an image that does not exist.",
                "Fix image_id or remove the annotation.",
                _annotation_where(aid, image_id),
            )
            continue
        if not (type(cid) is int or _is_int(cid)) or cid not in category_names:
            add(
                "annotation_category",
                "error",
                "An annotation points at a category that does not exist.",
                "Fix category_id or add the category.",
                _annotation_where(aid, image_id),
            )
            continue
        per_image[image_id] = per_image.get(image_id, 0) + 1
        per_category[cid] = per_category.get(cid, 0) + 1
        bbox = ann.get("bbox")
        if detection:
            _check_box(report, bbox, aid, image_id)
        elif bbox is not None:
            add(
                "bbox_on_classification",
                "warning",
                "Classification annotations carry a bbox, which is ignored.",
                "Register as object detection if the boxes matter, or drop them.",
                _annotation_where(aid, image_id),
            )
    if (ann_in_range or ann_other) and (ann_other or ann_in_range != n_annotations):
        add(
            "annotation_ids_dense",
            "error",
            "Annotation ids must be exactly 1..N.",
            "Renumber the annotations 1..N.",
        )
    return per_image, per_category


def _check_labels_per_image(
    report: Report, quota: Quota, image_ids: dict[int, dict], per_image: dict[int, int]
) -> None:
    """Images without annotations, and more labels or boxes on one image than the quota allows."""
    add = report.add
    max_labels, max_regions = quota.max_labels_per_image, quota.max_regions_per_image
    for image_id, image in image_ids.items():
        count = per_image.get(image_id, 0)
        if count == 0:
            add(
                "image_unannotated",
                "warning",
                "Images without annotations are not used for training.",
                "Label them, or leave them out of the file.",
                f"image id {_text(image_id)} ({_text(image.get('file_name'))})",
            )
        elif max_labels and count > max_labels:
            add(
                "several_labels",
                "error",
                "A classification image has several labels; Image Analysis trains multiclass classifiers only.",
                "Keep one label per image (re-export with 'keep the first tag' or 'leave them out').",
                f"image id {_text(image_id)} ({_text(image.get('file_name'))})",
            )
        elif max_regions and count > max_regions:
            add(
                "too_many_regions",
                "error",
                f"More than {max_regions} boxes on an image.",
                "Remove boxes or split the image.",
                f"image id {_text(image_id)} ({_text(image.get('file_name'))})",
            )


def _check_category_use(
    report: Report, quota: Quota, category_names: dict[int, str], per_category: dict[int, int]
) -> None:
    """The annotations per category (kept in the report), and categories unused or below the minimum."""
    add = report.add
    for cid, name in category_names.items():
        n = per_category.get(cid, 0)
        report.per_category[name] = n
        if n == 0:
            add(
                "category_unused",
                "warning",
                "A category has no annotations.",
                "Remove it, or label images with it.",
                f"category id {_text(cid)} ({_text(name)})",
            )
        elif n < quota.min_per_category:
            add(
                "category_too_few",
                "error",
                f"A category has fewer than {quota.min_per_category} annotations, the {report.purpose} minimum.",
                "Label more images with it, or remove it.",
                f"category id {_text(cid)} ({_text(name)}): {n}",
            )


def _check_box(report: Report, bbox: object, aid: object, image_id: object) -> None:
    if not (isinstance(bbox, list | tuple) and len(bbox) == 4):
        numeric = False
    else:
        left, top, width, height = bbox
        numeric = (
            (type(left) in _NUMBERS or _is_num(left))
            and (type(top) in _NUMBERS or _is_num(top))
            and (type(width) in _NUMBERS or _is_num(width))
            and (type(height) in _NUMBERS or _is_num(height))
        )
    if not numeric:
        report.add(
            "bbox_missing",
            "error",
            "A detection annotation has no [left, top, width, height] bbox.",
            "Add the box, or register the file as classification.",
            _annotation_where(aid, image_id),
        )
        return
    if left > 1 or top > 1 or width > 1 or height > 1:
        report.add(
            "bbox_pixels",
            "error",
            "Boxes look like pixels; Image Analysis needs boxes relative to the image size (0..1).",
            "Divide left and width by the image width, top and height by its height "
            "(Visionport's exports write both flavours).",
            f"{_annotation_where(aid, image_id)}: [{', '.join(_text(v) for v in bbox)}]",
        )
        return
    if not (
        0 <= left < 1
        and 0 <= top < 1
        and 0 < width <= 1
        and 0 < height <= 1
        and left + width <= 1 + 1e-9
        and top + height <= 1 + 1e-9
    ):
        report.add(
            "bbox_range",
            "error",
            "A box lies partly outside the image or has no area.",
            "Clamp boxes into the image; drop empty ones.",
            f"{_annotation_where(aid, image_id)}: [{', '.join(_text(v) for v in bbox)}]",
        )


def sas_expiry(sas: str) -> datetime | None:
    values = parse_qs(sas.lstrip("?")).get("se")
    if not values:
        return None
    if values[0].isdigit():  # Visionport's local storage signs with a Unix time (blobstore.signing)
        return datetime.fromtimestamp(int(values[0]), UTC)
    try:
        return datetime.fromisoformat(values[0].replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def check_sas_expiry(report: Report, sas: str, budget_hours: float, margin_hours: float = 24) -> None:
    """The service reads the images during training: the SAS must outlive the budget plus a margin."""
    expiry = sas_expiry(sas)
    if expiry is None:
        report.add(
            "sas_no_expiry",
            "warning",
            "The SAS token has no readable expiry (se=).",
            "Use a SAS with an explicit expiry.",
        )
        return
    needed = datetime.now(UTC) + timedelta(hours=budget_hours + margin_hours)
    if expiry < needed:
        report.add(
            "sas_expires_too_soon",
            "error",
            f"The SAS token expires {expiry:%Y-%m-%d %H:%M} UTC, before training could end "
            f"(budget {budget_hours} h plus a {margin_hours} h margin).",
            "Generate a SAS that lasts longer (Visionport generates one for you from an account key).",
        )


def check_images(report: Report, images: list[dict], *, fetch, sample: int | None = 50) -> int:
    """Fetch images (all, or an even sample) with the service's credentials and decode them.

    ``fetch(url) -> bytes`` raises on HTTP errors. Returns how many were checked.
    """
    from PIL import Image, UnidentifiedImageError

    chosen = (
        images if not sample or len(images) <= sample else images[:: max(1, len(images) // sample)][:sample]
    )
    for image in chosen:
        url = image.get("coco_url") or image.get("absolute_url")
        where = f"image id {image.get('id')} ({image.get('file_name')})"
        if not url:
            continue
        try:
            data = fetch(url)
        except Exception as exc:  # every reason an image cannot be read is reported, not raised
            report.add(
                "image_unreachable",
                "error",
                "The service could not read an image with these credentials.",
                "Check the SAS token's permissions (read) and expiry, and that the blob exists.",
                f"{where}: {str(exc)[:120]}",
            )
            continue
        if len(data) > quota_for(report.kind, report.purpose).max_image_bytes:
            report.add(
                "image_too_big", "error", "An image is larger than 20 MB.", "Compress or resize it.", where
            )
            continue
        try:
            with Image.open(io.BytesIO(data)) as decoded:
                fmt = decoded.format
                decoded.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            report.add(
                "image_undecodable", "error", "An image cannot be decoded.", "Replace the file.", where
            )
            continue
        if fmt not in ACCEPTED_FORMATS:
            report.add(
                "image_format",
                "error",
                f"{fmt} images are not accepted (jpg, png, bmp, gif).",
                "Convert the image to JPEG or PNG.",
                where,
            )
    return len(chosen)
