"""Reading a dataset's files as the service does: signed only inside the workspace's container,
in-process where this app serves the storage itself; decoding a picture for a thumbnail."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from PIL import Image, UnidentifiedImageError

from blobstore.base import BlobStore, BlobStoreError
from customization.services.drawing import THUMB_SIDE
from customization.validation import sas_expiry
from jobs.errors import JobError
from outbound.reader import Token, Unreadable, check_url, read_url
from workspaces.models import Workspace
from workspaces.storage import storage_for

SAS_SECONDS = 3600
TIMEOUT = 20

__all__ = ["Access", "Unreadable", "decode", "fetch", "workspace_access"]


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
