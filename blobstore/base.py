from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class BlobStoreError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def explain_code(
    code: str, status: int | None, message: str, where: str, auth: str = "account_key"
) -> BlobStoreError:
    """An error code of the Blob service, as a message a user can act on.

    Azure answers a bad shared-key signature with AuthenticationFailed, Azurite with
    AuthorizationFailure; with a key (not a SAS) both mean the key is wrong.
    """
    if code == "ContainerNotFound":
        return BlobStoreError(
            "ContainerNotFound", f"The container does not exist ({where}). Create it, or check its name."
        )
    if code == "BlobNotFound" or (status == 404 and not code):
        return BlobStoreError("BlobNotFound", f"Not found ({where}).")
    if code == "AuthenticationFailed" or (code == "AuthorizationFailure" and auth != "sas"):
        return BlobStoreError(
            "AuthenticationFailed",
            f"The storage account rejected the credentials ({where}): the key, SAS token or "
            "connection string is wrong, expired, or for another account.",
        )
    if code in (
        "AuthorizationPermissionMismatch",
        "AuthorizationFailure",
        "AuthorizationResourceTypeMismatch",
    ):
        return BlobStoreError(
            code,
            f"The credentials lack a permission ({where}). A SAS token needs read, write, list, "
            "delete and create on the container (and the container resource type).",
        )
    return BlobStoreError(code or f"HTTP{status or ''}", f"Storage error ({where}): {message}")


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    content_type: str = ""


class CopyStatus:
    SUCCESS = "success"
    PENDING = "pending"
    FAILED = "failed"


class BlobStore(Protocol):
    """What the product needs of a container: all names are relative to the container."""

    description: str

    def container_exists(self) -> bool: ...
    def create_container(self) -> None: ...
    def put(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def put_file(self, name: str, path: str, content_type: str = "application/octet-stream") -> None:
        """Upload a local file without reading it into memory."""
        ...

    def get(self, name: str) -> bytes: ...
    def exists(self, name: str) -> bool: ...
    def list(self, prefix: str = "", limit: int | None = None) -> Iterator[BlobInfo]: ...
    def delete(self, name: str) -> None: ...
    def properties(self, name: str) -> BlobInfo: ...

    # URLs
    def url(self, name: str) -> str:
        """The blob's plain URL (no signature): what a COCO file's coco_url holds."""
        ...

    def signed_url(self, name: str, *, expires_in: int = 3600) -> str:
        """A read-only URL that stops working after ``expires_in`` seconds."""
        ...

    def container_sas(self, *, expires_in: int) -> str:
        """A read-only query string valid for every blob of the container (a container SAS)."""
        ...

    # Server-side copy. ``server_copy`` is False when the store can only stream.
    server_copy: bool
    # True when this app's own web process serves the store's URLs (local files): code running in
    # that process must then read through the store, never over HTTP back to itself.
    served_here: bool

    def start_copy(self, name: str, source_url: str) -> str:
        """Start copying ``source_url`` into ``name``; returns a CopyStatus value."""
        ...

    def copy_status(self, name: str) -> tuple[str, str]:
        """(CopyStatus value, description) of the last copy into ``name``."""
        ...
