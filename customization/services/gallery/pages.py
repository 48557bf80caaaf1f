"""A page of the gallery: the dataset's index (cached, else read and parsed), filtered and paginated."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from customization.coco_json import coco_loads
from customization.services.gallery.cache import cached_index, dataset_folder, index_store, index_version
from customization.services.gallery.index import GalleryError, Index, parse
from customization.services.gallery.reading import fetch, workspace_access
from outbound.reader import Unreadable, without_query
from workspaces.models import Workspace

PAGE_SIZE = 24
ANNOTATION_MAX_BYTES = 512 * 1024 * 1024


@dataclass
class GalleryPage:
    index: Index
    page: Page
    category: str
    total: int

    @property
    def version(self) -> str:
        return self.index.version


def gallery_index(*, workspace: Workspace, name: str, dataset: dict) -> Index:
    """The dataset's parsed COCO: from the disk cache, else read over HTTP, parsed and cached."""
    folder = dataset_folder(workspace, name)
    version = index_version(workspace, name, dataset)
    index = cached_index(folder, version)
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
            files.append((uri, coco_loads(raw)))
        except RecursionError as exc:
            raise GalleryError(
                f"The annotation file {without_query(uri)} nests lists or objects too deeply to be COCO."
            ) from exc
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise GalleryError(f"The annotation file {without_query(uri)} is not valid JSON.") from exc
    index = parse(files, dataset.get("annotationKind", ""), version)
    index_store(folder, index)
    return index


def gallery_page(
    *, workspace: Workspace, name: str, dataset: dict, category: str = "", page: str | int | None = 1
) -> GalleryPage:
    """One page of thumbnails, filtered to images that hold ``category`` when it is given."""
    index = gallery_index(workspace=workspace, name=name, dataset=dataset)
    items = [i for i in index.items if category in i.labels] if category else index.items
    return GalleryPage(index, Paginator(items, PAGE_SIZE).get_page(page), category, len(index.items))
