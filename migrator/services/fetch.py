"""Getting one image's bytes (or its size and type) from its time-limited source URL."""

from __future__ import annotations

import requests

SIGNATURES = [
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"GIF87a", ".gif", "image/gif"),
    (b"GIF89a", ".gif", "image/gif"),
    (b"BM", ".bmp", "image/bmp"),
    (b"II*\x00", ".tif", "image/tiff"),
    (b"MM\x00*", ".tif", "image/tiff"),
]


class SourceExpired(Exception):
    """The signed source URL no longer works (403): fetch a fresh one and try again."""


class NotAnImage(Exception):
    pass


def sniff(head: bytes) -> tuple[str, str]:
    """(extension, content type) from the first bytes of a file."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp", "image/webp"
    for magic, ext, content_type in SIGNATURES:
        if head.startswith(magic):
            return ext, content_type
    raise NotAnImage("not a supported image format (jpg, png, gif, bmp, tiff, webp)")


def _check(response: requests.Response) -> None:
    if response.status_code in (401, 403):
        raise SourceExpired(f"source URL refused ({response.status_code})")
    response.raise_for_status()


def download(session: requests.Session, url: str, timeout: float = 60) -> bytes:
    """The whole file, checked against Content-Length (a truncated body is a retryable error)."""
    with session.get(url, timeout=timeout, stream=True) as response:
        _check(response)
        data = response.content
        expected = response.headers.get("Content-Length")
    if expected is not None and int(expected) != len(data):
        raise requests.ConnectionError(f"truncated download: {len(data)} of {expected} bytes")
    return data


def probe(session: requests.Session, url: str, timeout: float = 30) -> tuple[int | None, bytes]:
    """(total size if known, first bytes) with a ranged GET: enough to name the blob before a server copy."""
    with session.get(url, timeout=timeout, stream=True, headers={"Range": "bytes=0-31"}) as response:
        _check(response)
        head = next(response.iter_content(32), b"")
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else (
            int(response.headers["Content-Length"]) if response.status_code == 200 and "Content-Length" in response.headers else None
        )
    return size, head
