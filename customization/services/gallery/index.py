"""A dataset's COCO files parsed into one gallery index: its categories and its images with labels."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from config.colors import category_hex
from outbound.reader import without_query


class GalleryError(Exception):
    """The gallery cannot be shown; the message says why (shown on the page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GalleryNotFound(GalleryError):
    """No such dataset, or no such image in it (404)."""


@dataclass(frozen=True)
class Item:
    id: int
    file_name: str
    url: str  # absolute, without any SAS
    labels: tuple[str, ...]  # category names of its annotations, in file order
    boxes: tuple[tuple[str, float, float, float, float], ...]  # name, x, y, w, h relative (0..1)

    @property
    def chips(self) -> list[tuple[str, int, str]]:
        """(label, count, CSS colour) per distinct label, for the caption."""
        return [(name, count, category_hex(name)) for name, count in Counter(self.labels).items()]

    @property
    def display_name(self) -> str:
        """The file's own name for the caption: an export's names all start with the same folder,
        so a cut-off full path would show only that prefix (the full path stays in the title)."""
        path = urlsplit(self.file_name).path if "://" in self.file_name else self.file_name
        return path.rstrip("/").rsplit("/", 1)[-1] or self.file_name

    @property
    def caption(self) -> str:
        return ", ".join(f"{n} ×{c}" if c > 1 else n for n, c, _ in self.chips) or "no labels"


@dataclass
class Index:
    version: str
    kind: str
    categories: list[str]
    items: list[Item]
    skipped: int = 0  # images or annotations the gallery could not use
    by_id: dict[int, Item] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {item.id: item for item in self.items}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _relative_box(
    bbox: Any, width: float | None, height: float | None
) -> tuple[float, float, float, float] | None:
    """A bbox relative to the image; pixel boxes (standard COCO) are divided by the image size."""
    if not isinstance(bbox, list | tuple) or len(bbox) != 4:
        return None
    values = [_number(v) for v in bbox]
    if any(v is None for v in values):
        return None
    x, y, w, h = values
    if max(x, y, w, h) > 1:
        if not width or not height:
            return None
        x, y, w, h = x / width, y / height, w / width, h / height
    return (x, y, w, h)


def parse(files: list[tuple[str, Any]], kind: str, version: str) -> Index:
    """One index from (annotation URI, parsed COCO) pairs; categories merge by name, like the service."""
    categories: list[str] = []
    items: list[Item] = []
    seen: set[int] = set()
    skipped = 0
    for uri, coco in files:
        if not isinstance(coco, dict) or not all(
            isinstance(coco.get(k), list) for k in ("images", "categories")
        ):
            raise GalleryError(
                f'{without_query(uri)} is not a COCO file: it needs "images" and "categories" lists.'
            )
        names = {c.get("id"): str(c.get("name")) for c in coco["categories"] if isinstance(c, dict)}
        for category in names.values():
            if category not in categories:
                categories.append(category)
        labels: dict[Any, list[str]] = {}
        boxes: dict[Any, list[tuple[str, float, float, float, float]]] = {}
        sizes = {
            i.get("id"): (_number(i.get("width")), _number(i.get("height")))
            for i in coco["images"]
            if isinstance(i, dict)
        }
        for annotation in coco.get("annotations") or []:
            if (
                not isinstance(annotation, dict)
                or annotation.get("category_id") not in names
                or annotation.get("image_id") not in sizes
            ):
                skipped += 1
                continue
            image_id, category = annotation["image_id"], names[annotation["category_id"]]
            labels.setdefault(image_id, []).append(category)
            if kind == "imageObjectDetection" and "bbox" in annotation:
                box = _relative_box(annotation["bbox"], *sizes[image_id])
                if box is None:
                    skipped += 1
                else:
                    boxes.setdefault(image_id, []).append((category, *box))
        base = without_query(uri)
        for image in coco["images"]:
            if not isinstance(image, dict):
                skipped += 1
                continue
            link = image.get("coco_url") or image.get("absolute_url") or image.get("file_name")
            if not isinstance(link, str) or not link.strip() or not isinstance(image.get("id"), int):
                skipped += 1
                continue
            coco_id = image["id"]
            # Ids are per file: a later file's id that is taken gets the next free one.
            gallery_id = coco_id if coco_id not in seen else max(seen) + 1
            seen.add(gallery_id)
            items.append(
                Item(
                    gallery_id,
                    str(image.get("file_name") or link),
                    urljoin(base, link.strip()),
                    tuple(labels.get(coco_id, ())),
                    tuple(boxes.get(coco_id, ())),
                )
            )
    items.sort(key=lambda i: i.id)
    return Index(version, kind, categories, items, skipped)
