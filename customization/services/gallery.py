"""The dataset gallery: a dataset's images read as the Vision service reads them, labels drawn with Pillow.

Reading mirrors the service (and ``sandbox.vision.fetch``): the dataset's ``annotationFileUris``
over HTTP, then each image's ``coco_url`` (or ``absolute_url``, or ``file_name`` relative to its
annotation file). A URL inside the workspace's own storage container gets a short read-only
container SAS appended, the kind registration hands the service; any other URL is read as given
and never receives that SAS. Redirects are not followed, and URLs must pass the endpoint rules
(https, or http to loopback and allowed hosts).

Everything is cached under ``VAR_DIR/gallery/<workspace>/<dataset>/<version>/``: ``index.json``
(the parsed COCO) and ``<image id>.jpg`` (drawn thumbnails). The version hashes the workspace, the
dataset name, its annotation URIs and its eTag, so a dataset registered again gets fresh files.
Placeholder tiles (unreadable images) are not cached. ``gallery_forget`` drops the dataset's folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.core.paginator import Page, Paginator
from PIL import Image, UnidentifiedImageError

from blobstore.base import BlobStore, BlobStoreError
from config.colors import PALETTE, category_hex
from customization.client import VisionClient, VisionError
from customization.services.drawing import THUMB_SIDE, annotated_thumbnail, placeholder_tile
from customization.validation import sas_expiry
from jobs.errors import JobError
from outbound.reader import Token, Unreadable, check_url, read_url, without_query
from workspaces.models import Workspace
from workspaces.storage import storage_for

PAGE_SIZE = 24
INDEX_FORMAT = 1  # bump when the index layout changes: old caches are then ignored
SAS_SECONDS = 3600
TIMEOUT = 20
ANNOTATION_MAX_BYTES = 512 * 1024 * 1024
IMAGE_MAX_BYTES = 20 * 1024 * 1024
VERSION = re.compile(r"^[0-9a-f]{20}$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CACHE_OK = "private, max-age=86400"
CACHE_PLACEHOLDER = "private, max-age=30"


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


@dataclass
class GalleryPage:
    index: Index
    page: Page
    category: str
    total: int

    @property
    def version(self) -> str:
        return self.index.version


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    cache_control: str
    problem: str = ""  # why a placeholder was drawn

    @property
    def problem_header(self) -> str:
        """``problem`` as a safe one-line ASCII header value."""
        return re.sub(r"[^\x20-\x7e]", "?", self.problem)[:300]


# --- Reading the dataset's files ------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """How to read a dataset's URLs: ``sas`` goes only to URLs inside the container at ``base``.

    ``store`` is set when the workspace's storage is served by this app itself (local files): the
    gallery runs in the web process, so reading those URLs over HTTP would take a second web thread
    per thumbnail and, with a page of 24 thumbnails, hold every thread waiting on itself.
    """

    base: str = ""
    sas: str = ""
    store: BlobStore | None = None

    @property
    def token(self) -> Token:
        return Token(self.base, self.sas)

    def local_name(self, url: str) -> str | None:
        """The blob name of ``url`` when it lies in a container that this app serves, else None."""
        if self.store is None or not Token(self.base, "x").applies(url):
            return None
        return unquote(urlsplit(url).path[len(urlsplit(self.base).path) :]) or None


def workspace_access(workspace: Workspace) -> Access:
    """A fresh read-only SAS on the workspace's container, where its storage can sign one."""
    try:
        _, store = storage_for(workspace)
        base = store.url("x")[:-1]
        return Access(base, store.container_sas(expires_in=SAS_SECONDS), store if store.served_here else None)
    except (JobError, BlobStoreError):
        return Access()


def _read_here(store: BlobStore, name: str, limit: int) -> bytes:
    """A blob of a store this app serves, read in-process; the same reasons as over HTTP."""
    try:
        if store.properties(name).size > limit:
            raise Unreadable(f"Larger than {limit // (1024 * 1024)} MB.")
        return store.get(name)
    except BlobStoreError as exc:
        if exc.code == "BlobNotFound":
            raise Unreadable("Not found (HTTP 404 BlobNotFound): the blob was moved or deleted.") from exc
        raise Unreadable(f"The storage answered {exc.code}: {exc.message}") from exc


def fetch(url: str, access: Access, limit: int) -> bytes:
    """The body at ``url``, signed when it lies in the workspace's container; Unreadable otherwise."""
    check_url(url, loopback_origins=[access.base])
    signed = access.token.applies(url)
    expiry = sas_expiry(access.sas) if signed else None
    if expiry and expiry < datetime.now(UTC):
        raise Unreadable(f"The SAS token expired at {expiry:%Y-%m-%d %H:%M} UTC: renew it in Settings.")
    local = access.local_name(url)
    if local is not None:
        return _read_here(access.store, local, limit)
    return read_url(url, limit=limit, timeout=TIMEOUT, token=access.token, loopback_origins=[access.base])


def decode(data: bytes) -> Image.Image:
    """A decoded picture, reduced early when the format allows (JPEG draft mode)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
            image.load()
            return image.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise Unreadable("Too many pixels to draw safely.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Unreadable("Not an image: the bytes are no format Pillow can read.") from exc


# --- The parsed index, cached on disk ---------------------------------------------------------------


def _dataset_folder(workspace: Workspace, name: str) -> Path:
    safe = name if SAFE_NAME.match(name) else "x-" + hashlib.sha256(name.encode()).hexdigest()[:20]
    return Path(settings.VAR_DIR) / "gallery" / str(workspace.pk) / safe


def index_version(workspace: Workspace, name: str, dataset: dict) -> str:
    # The palette is part of the key: thumbnails drawn in other colours are not served again.
    key = json.dumps(
        [
            INDEX_FORMAT,
            PALETTE,
            str(workspace.pk),
            name,
            dataset.get("annotationFileUris") or [],
            dataset.get("eTag") or dataset.get("updatedDateTime") or "",
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


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


def _dump(index: Index) -> bytes:
    position = {name: n for n, name in enumerate(index.categories)}
    return json.dumps(
        {
            "format": INDEX_FORMAT,
            "version": index.version,
            "kind": index.kind,
            "categories": index.categories,
            "skipped": index.skipped,
            "items": [
                [
                    i.id,
                    i.file_name,
                    i.url,
                    [position[n] for n in i.labels],
                    [[position[b[0]], *b[1:]] for b in i.boxes],
                ]
                for i in index.items
            ],
        },
        separators=(",", ":"),
    ).encode()


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> Index:
    """The index in ``path``; memoised per file version, so thumbnails don't parse it each time."""
    raw = json.loads(Path(path).read_bytes())
    names = raw["categories"]
    items = [
        Item(i, f, u, tuple(names[n] for n in labels), tuple((names[b[0]], *b[1:]) for b in boxes))
        for i, f, u, labels, boxes in raw["items"]
    ]
    return Index(raw["version"], raw["kind"], names, items, raw.get("skipped", 0))


def _cached_index(folder: Path, version: str) -> Index | None:
    path = folder / version / "index.json"
    try:
        index = _load(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return index if index.version == version else None


def gallery_index(*, workspace: Workspace, name: str, dataset: dict) -> Index:
    """The dataset's parsed COCO: from the disk cache, else read over HTTP, parsed and cached."""
    folder = _dataset_folder(workspace, name)
    version = index_version(workspace, name, dataset)
    index = _cached_index(folder, version)
    if index is not None:
        return index
    uris = dataset.get("annotationFileUris") or []
    if not uris:
        raise GalleryError("The dataset names no annotation file.")
    access = workspace_access(workspace)
    files = []
    for uri in uris:
        try:
            raw = fetch(uri, access, ANNOTATION_MAX_BYTES)
        except Unreadable as exc:
            raise GalleryError(f"Cannot read the annotation file {without_query(uri)}: {exc.reason}") from exc
        try:
            files.append((uri, json.loads(raw)))
        except (ValueError, UnicodeDecodeError) as exc:
            raise GalleryError(f"The annotation file {without_query(uri)} is not valid JSON.") from exc
    index = parse(files, dataset.get("annotationKind", ""), version)
    if folder.exists():  # older versions of this dataset's cache are stale now
        for old in folder.iterdir():
            if old.name != version:
                shutil.rmtree(old, ignore_errors=True)
    _atomic_write(folder / version / "index.json", _dump(index))
    return index


def gallery_page(
    *, workspace: Workspace, name: str, dataset: dict, category: str = "", page: str | int | None = 1
) -> GalleryPage:
    """One page of thumbnails, filtered to images that hold ``category`` when it is given."""
    index = gallery_index(workspace=workspace, name=name, dataset=dataset)
    items = [i for i in index.items if category in i.labels] if category else index.items
    return GalleryPage(index, Paginator(items, PAGE_SIZE).get_page(page), category, len(index.items))


def gallery_forget(*, workspace: Workspace, name: str) -> None:
    """Drop the dataset's cached index and thumbnails (on delete)."""
    shutil.rmtree(_dataset_folder(workspace, name), ignore_errors=True)


# --- Thumbnails --------------------------------------------------------------------------------------


def _dataset(workspace: Workspace, name: str) -> dict:
    try:
        return VisionClient.for_workspace(workspace).dataset_get(name)
    except VisionError as exc:
        if exc.status == 404:
            raise GalleryNotFound("No such dataset.") from exc
        raise GalleryError(exc.message) from exc


def _placeholder(reason: str) -> Thumbnail:
    return Thumbnail(placeholder_tile(reason), CACHE_PLACEHOLDER, reason)


def gallery_thumbnail(*, workspace: Workspace, name: str, image_id: int, version: str = "") -> Thumbnail:
    """The image drawn with its labels, from the disk cache when ``version`` names a cached one.

    With a known ``version`` (the page puts it in the URL) the cached index is used as is; else the
    dataset is read from the service. GalleryNotFound for an unknown dataset or image id; an image
    that cannot be read gives a placeholder tile that says why.
    """
    folder = _dataset_folder(workspace, name)
    index = _cached_index(folder, version) if VERSION.match(version) else None
    if index is None:
        try:
            index = gallery_index(workspace=workspace, name=name, dataset=_dataset(workspace, name))
        except GalleryNotFound:
            raise
        except GalleryError as exc:
            return _placeholder(exc.message)
    item = index.by_id.get(image_id)
    if item is None:
        raise GalleryNotFound("No such image in this dataset.")
    path = folder / index.version / f"{image_id}.jpg"
    if path.is_file():
        return Thumbnail(path.read_bytes(), CACHE_OK)
    try:
        picture = decode(fetch(item.url, workspace_access(workspace), IMAGE_MAX_BYTES))
    except Unreadable as exc:
        return _placeholder(f"{item.file_name}: {exc.reason}")
    data = annotated_thumbnail(picture, boxes=item.boxes, labels=item.labels)
    _atomic_write(path, data)
    return Thumbnail(data, CACHE_OK)
