"""Getting one image's bytes (or its first bytes and size) from its time-limited source URL.

Over a shared urllib3 pool rather than requests: these calls run once per image, and requests'
per-call overhead showed in the export profile (docs/export.md, "Throughput").
"""

from __future__ import annotations

from urllib.parse import urlsplit

import urllib3

from azureclient.retry import HTTPStatusError

SIGNATURES = [
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"GIF87a", ".gif", "image/gif"),
    (b"GIF89a", ".gif", "image/gif"),
    (b"BM", ".bmp", "image/bmp"),
    (b"II*\x00", ".tif", "image/tiff"),
    (b"MM\x00*", ".tif", "image/tiff"),
]

BY_CONTENT_TYPE = {content_type: ext for _, ext, content_type in SIGNATURES} | {"image/webp": ".webp"}
BY_EXTENSION = {ext: (ext, content_type) for content_type, ext in BY_CONTENT_TYPE.items()} | {
    ".jpeg": (".jpg", "image/jpeg"),
    ".tiff": (".tif", "image/tiff"),
}


class SourceExpired(Exception):
    """The signed source URL no longer works (403): fetch a fresh one and try again."""


class NotAnImage(Exception):
    pass


def http_pool(size: int) -> urllib3.PoolManager:
    """A pool for the image sources, shared by the export's threads; retries are ours (azureclient.retry)."""
    return urllib3.PoolManager(num_pools=8, maxsize=size, block=False, retries=False)


def sniff(head: bytes) -> tuple[str, str]:
    """(extension, content type) from the first bytes of a file."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp", "image/webp"
    for magic, ext, content_type in SIGNATURES:
        if head.startswith(magic):
            return ext, content_type
    raise NotAnImage("not a supported image format (jpg, png, gif, bmp, tiff, webp)")


def _check(response: urllib3.BaseHTTPResponse) -> None:
    if response.status in (401, 403):
        raise SourceExpired(f"source URL refused ({response.status})")
    if response.status >= 400:
        raise HTTPStatusError(response.status, response.headers, "reading the source image")


def download(pool: urllib3.PoolManager, url: str, timeout: float = 60) -> bytes:
    """The whole file, checked against Content-Length (a truncated body is a retryable error)."""
    response = pool.request("GET", url, timeout=timeout, preload_content=True)
    _check(response)
    data = response.data
    expected = response.headers.get("Content-Length")
    if expected is not None and int(expected) != len(data):
        raise ConnectionError(f"truncated download: {len(data)} of {expected} bytes")
    return data


def named_type(url: str) -> tuple[str, str] | None:
    """(extension, content type) when the source URL's path ends in an image extension, else None.

    The sandbox's sources do (``original/{sha256}.{ext}``, named from the bytes when uploaded), and
    the server-side copy then needs no probe at all: one storage request per image.
    """
    path = urlsplit(url).path
    dot = path.rfind(".")
    if dot <= path.rfind("/"):
        return None
    return BY_EXTENSION.get(path[dot:].lower())


def probe(pool: urllib3.PoolManager, url: str, timeout: float = 30) -> tuple[int | None, str, str]:
    """(size if known, extension, content type) of a source: enough to name the blob before a server copy.

    A HEAD first: a source that declares a specific image type is taken at its word (a HEAD costs
    the storage half of a ranged GET: bench/export.py). Otherwise, or when HEAD is refused, a
    ranged GET of the first bytes, sniffed.
    """
    response = pool.request("HEAD", url, timeout=timeout, preload_content=True)
    declared = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if response.status == 200 and declared in BY_CONTENT_TYPE and response.headers.get("Content-Length"):
        return int(response.headers["Content-Length"]), BY_CONTENT_TYPE[declared], declared
    response = pool.request(
        "GET", url, headers={"Range": "bytes=0-31"}, timeout=timeout, preload_content=True
    )
    _check(response)
    ext, content_type = sniff(response.data[:32])
    total = (response.headers.get("Content-Range") or "").rpartition("/")[2]
    if total.isdigit():
        size = int(total)
    elif response.status == 200 and response.headers.get("Content-Length"):
        size = int(response.headers["Content-Length"])  # the source ignored Range
    else:
        size = None
    return size, ext, content_type
