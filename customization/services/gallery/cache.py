"""The gallery's disk cache: ``VAR_DIR/gallery/<workspace>/<dataset>/<version>/``, holding
``index.json`` (the parsed COCO) and ``<image id>.jpg`` (drawn thumbnails)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from config.colors import PALETTE
from customization.services.gallery.index import Index, Item
from workspaces.models import Workspace

INDEX_FORMAT = 1  # bump when the index layout changes: old caches are then ignored
VERSION = re.compile(r"^[0-9a-f]{20}$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def dataset_folder(workspace: Workspace, name: str) -> Path:
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


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


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


def cached_index(folder: Path, version: str) -> Index | None:
    path = folder / version / "index.json"
    try:
        index = _load(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return index if index.version == version else None


def index_store(folder: Path, index: Index) -> None:
    """Keep ``index`` as the dataset's only cached version."""
    if folder.exists():  # older versions of this dataset's cache are stale now
        for old in folder.iterdir():
            if old.name != index.version:
                shutil.rmtree(old, ignore_errors=True)
    atomic_write(folder / index.version / "index.json", _dump(index))


def gallery_forget(*, workspace: Workspace, name: str) -> None:
    """Drop the dataset's cached index and thumbnails (on delete)."""
    shutil.rmtree(dataset_folder(workspace, name), ignore_errors=True)
