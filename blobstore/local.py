"""Local-file backend: a container is a folder under LOCAL_STORAGE_ROOT/<workspace id>/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from blobstore.base import BlobInfo, BlobStoreError


class LocalBlobStore:
    def __init__(self, root: Path, container: str) -> None:
        self.root = root / container
        self.description = f"local folder {self.root}"

    def _path(self, name: str) -> Path:
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or not name:
            raise BlobStoreError("InvalidBlobName", f"Invalid blob name {name!r}.")
        return self.root.joinpath(*pure.parts)

    def container_exists(self) -> bool:
        return self.root.is_dir()

    def create_container(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # atomic: readers never see half a file
        except OSError as exc:
            raise BlobStoreError("WriteFailed", f"Cannot write {name} in {self.description}: {exc.strerror}.") from exc

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError as exc:
            raise BlobStoreError("BlobNotFound", f"{name} does not exist in {self.description}.") from exc
        except OSError as exc:
            raise BlobStoreError("ReadFailed", f"Cannot read {name}: {exc.strerror}.") from exc

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

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
                    yield BlobInfo(name=name, size=path.stat().st_size)
                    count += 1
                    if limit is not None and count >= limit:
                        return

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError as exc:
            raise BlobStoreError("BlobNotFound", f"{name} does not exist in {self.description}.") from exc
