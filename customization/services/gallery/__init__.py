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

One module per concern: ``reading`` (the URLs, signed or read in-process, and decoding),
``index`` (the COCO files parsed into an index), ``cache`` (the folders on disk), ``pages`` (a
page of the gallery) and ``thumbnails`` (one drawn image). The names below are the public ones.
"""

from __future__ import annotations

from customization.services.gallery.cache import gallery_forget
from customization.services.gallery.index import GalleryError, GalleryNotFound, Index, Item, parse
from customization.services.gallery.pages import GalleryPage, gallery_index, gallery_page
from customization.services.gallery.reading import Access, Unreadable, decode, fetch, workspace_access
from customization.services.gallery.thumbnails import Thumbnail, gallery_thumbnail

__all__ = [
    "Access",
    "GalleryError",
    "GalleryNotFound",
    "GalleryPage",
    "Index",
    "Item",
    "Thumbnail",
    "Unreadable",
    "decode",
    "fetch",
    "gallery_forget",
    "gallery_index",
    "gallery_page",
    "gallery_thumbnail",
    "parse",
    "workspace_access",
]
