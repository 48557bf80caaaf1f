from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class BlobStoreError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int


class BlobStore(Protocol):
    """What the product needs of a container: all names are relative to the container."""

    description: str

    def container_exists(self) -> bool: ...
    def create_container(self) -> None: ...
    def put(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get(self, name: str) -> bytes: ...
    def exists(self, name: str) -> bool: ...
    def list(self, prefix: str = "", limit: int | None = None) -> Iterator[BlobInfo]: ...
    def delete(self, name: str) -> None: ...
