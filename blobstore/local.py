"""Local-file backend: a container is a folder under a named root (see blobstore.signing)."""

from __future__ import annotations

import mimetypes
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from blobstore import signing
from blobstore.base import BlobInfo, BlobStoreError, CopyStatus


def safe_path(root: Path, name: str) -> Path:
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts:
        raise BlobStoreError("InvalidBlobName", f"Invalid blob name {name!r}.")
    return root.joinpath(*pure.parts)


class LocalBlobStore:
    """Files under ``roots[root_name] / prefix / container``.

    Local files have no server that could copy from a URL, so ``server_copy`` is False and the
    exporter streams; signed URLs are served by this app (blobstore.views).
    """

    server_copy = False
    served_here = True

    def __init__(self, root_name: str, prefix: str, container: str) -> None:
        self.root_name = root_name
        self.key_prefix = f"{prefix}/{container}" if prefix else container
        self.root = signing.local_roots()[root_name] / self.key_prefix
        self.description = f"local folder {self.root}"

    def _path(self, name: str) -> Path:
        return safe_path(self.root, name)

    def container_exists(self) -> bool:
        return self.root.is_dir()

    def create_container(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # one per writer, threads too
            tmp.write_bytes(data)
            os.replace(tmp, path)  # atomic: readers never see half a file
        except OSError as exc:
            raise BlobStoreError(
                "WriteFailed", f"Cannot write {name} in {self.description}: {exc.strerror}."
            ) from exc

    def put_file(self, name: str, path: str, content_type: str = "application/octet-stream") -> None:
        target = self._path(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            raise BlobStoreError(
                "WriteFailed", f"Cannot write {name} in {self.description}: {exc.strerror}."
            ) from exc

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError as exc:
            raise BlobStoreError("BlobNotFound", f"{name} does not exist in {self.description}.") from exc
        except OSError as exc:
            raise BlobStoreError("ReadFailed", f"Cannot read {name}: {exc.strerror}.") from exc

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def properties(self, name: str) -> BlobInfo:
        path = self._path(name)
        if not path.is_file():
            raise BlobStoreError("BlobNotFound", f"{name} does not exist in {self.description}.")
        return BlobInfo(
            name, path.stat().st_size, mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )

    def list(self, prefix: str = "", limit: int | None = None) -> Iterator[BlobInfo]:
        if not self.root.is_dir():
            raise BlobStoreError("ContainerNotFound", f"The container folder {self.root} does not exist.")
        count = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for filename in sorted(filenames):
                if filename.startswith(".") and filename.endswith(".tmp"):
                    continue
                path = Path(dirpath, filename)
                name = path.relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    try:
                        size = path.stat().st_size
                    except FileNotFoundError:
                        continue  # deleted by another writer since the folder was read, as Azure would not list it
                    yield BlobInfo(name=name, size=size)
                    count += 1
                    if limit is not None and count >= limit:
                        return

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError as exc:
            raise BlobStoreError("BlobNotFound", f"{name} does not exist in {self.description}.") from exc

    def url(self, name: str) -> str:
        return signing.plain_url(self.root_name, f"{self.key_prefix}/{name}")

    def signed_url(self, name: str, *, expires_in: int = 3600) -> str:
        return signing.signed_url(self.root_name, f"{self.key_prefix}/{name}", expires_in)

    def container_sas(self, *, expires_in: int) -> str:
        return signing.container_token(self.root_name, self.key_prefix, expires_in)

    def start_copy(self, name: str, source_url: str) -> str:
        raise BlobStoreError(
            "NotSupported", "Local storage cannot copy from a URL; stream the bytes instead."
        )

    def copy_status(self, name: str) -> tuple[str, str]:
        return (CopyStatus.SUCCESS, "") if self.exists(name) else (CopyStatus.FAILED, "missing")
