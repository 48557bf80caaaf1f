"""One gallery image drawn with its labels: cached on disk, or a placeholder tile that says why not."""

from __future__ import annotations

import re
from dataclasses import dataclass

from customization.client import VisionClient, VisionError
from customization.services.drawing import annotated_thumbnail, placeholder_tile
from customization.services.gallery.cache import VERSION, atomic_write, cached_index, dataset_folder
from customization.services.gallery.index import GalleryError, GalleryNotFound
from customization.services.gallery.pages import gallery_index
from customization.services.gallery.reading import decode, fetch, workspace_access
from outbound.reader import Unreadable
from workspaces.models import Workspace

IMAGE_MAX_BYTES = 20 * 1024 * 1024
CACHE_OK = "private, max-age=86400"
CACHE_PLACEHOLDER = "private, max-age=30"


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    cache_control: str
    problem: str = ""  # why a placeholder was drawn

    @property
    def problem_header(self) -> str:
        """``problem`` as a safe one-line ASCII header value."""
        return re.sub(r"[^\x20-\x7e]", "?", self.problem)[:300]


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
    folder = dataset_folder(workspace, name)
    index = cached_index(folder, version) if VERSION.match(version) else None
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
    atomic_write(path, data)
    return Thumbnail(data, CACHE_OK)
