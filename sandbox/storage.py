"""Where the sandbox keeps image bytes: local files by default, Azure Blob (or Azurite) when set.

Every distinct content is stored once, under ``original/<sha256>.<ext>`` with its
``thumbnail/<sha256>.jpg`` and, for pictures larger than 1024 px, ``resized/<sha256>.jpg``.
Image JSON carries time-limited signed URLs to these blobs, like the service's SAS URLs.
With Azurite, the URLs point at the same Azurite host string an exporter uses, so server-side
copy works (docs/wire-formats.md §4).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from blobstore.azure import AzureBlobStore
from blobstore.base import BlobStore, BlobStoreError
from blobstore.local import LocalBlobStore
from sandbox import conf
from sandbox.imaging import CheckedImage, renditions
from sandbox.models import SandboxImage

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _store(account_url: str, key: str, container: str) -> BlobStore:
    store: BlobStore
    if account_url:
        store = AzureBlobStore.connect(
            auth="account_key", account_url=account_url, secret=key, container=container
        )
    else:
        store = LocalBlobStore("sandbox", "", "images")
    if not store.container_exists():
        store.create_container()
    return store


def sandbox_store() -> BlobStore:
    """The store the current settings name (cached per configuration and process)."""
    return _store(conf.blob_account_url(), conf.blob_account_key(), conf.blob_container())


def image_blobs_put(checked: CheckedImage, store: BlobStore | None = None) -> None:
    """Store the original and its renditions, unless this content is already stored."""
    store = store or sandbox_store()
    if store.exists(checked.blob_name):
        return
    thumbnail, resized = renditions(checked)
    # Renditions first: once the original exists the content counts as stored.
    store.put(f"thumbnail/{checked.sha256}.jpg", thumbnail, "image/jpeg")
    if resized is not None:
        store.put(f"resized/{checked.sha256}.jpg", resized, "image/jpeg")
    store.put(checked.blob_name, checked.data, checked.content_type)


def image_urls(image: SandboxImage, store: BlobStore, ttl: int) -> dict[str, str]:
    return {
        "originalImageUri": store.signed_url(image.blob_name, expires_in=ttl),
        "resizedImageUri": store.signed_url(image.resized_name, expires_in=ttl),
        "thumbnailUri": store.signed_url(image.thumbnail_name, expires_in=ttl),
    }


def image_blobs_collect(images: Iterable[tuple[str, str, int, int]]) -> int:
    """Delete the blobs of deleted images that no remaining image uses.

    ``images`` holds (blob_name, sha256, width, height) of the deleted rows. An upload of the
    same content racing with this can lose its blob; the sandbox accepts that.
    """
    by_blob = {blob: (sha, w, h) for blob, sha, w, h in images}
    if not by_blob:
        return 0
    names = list(by_blob)
    used: set[str] = set()
    for start in range(0, len(names), 500):  # IN lists stay under the database's parameter limit
        batch = names[start : start + 500]
        used.update(SandboxImage.objects.filter(blob_name__in=batch).values_list("blob_name", flat=True))
    try:
        store = sandbox_store()
    except BlobStoreError as exc:
        logger.warning("Sandbox: blobs of deleted images kept, the store is not available: %s", exc.message)
        return 0
    deleted = 0
    for blob, (sha, width, height) in by_blob.items():
        if blob in used:
            continue
        probe = SandboxImage(blob_name=blob, sha256=sha, width=width, height=height)
        for name in {blob, probe.thumbnail_name, probe.resized_name}:
            try:
                store.delete(name)
                deleted += 1
            except BlobStoreError as exc:
                if exc.code != "BlobNotFound":
                    logger.warning("Sandbox: could not delete blob %s: %s", name, exc.message)
    return deleted
