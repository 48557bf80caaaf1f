"""Fetching images for POST /images/urls, as the service does for each URL of the batch."""

from __future__ import annotations

from outbound.reader import Unreadable, read_url
from sandbox import conf
from sandbox.imaging import ImageRejected


def url_fetch(url: str) -> bytes:
    """The bytes at ``url``; ImageRejected("ErrorSource") when they cannot be had.

    Read through the one URL reader: the endpoint rule (loopback allowed, as the sandbox's storage
    is local; metadata, link-local and private addresses refused), no redirects, a size cap.
    """
    try:
        return read_url(url, limit=conf.MAX_IMAGE_BYTES, timeout=conf.url_fetch_timeout(), any_loopback=True)
    except Unreadable as exc:
        raise ImageRejected("ErrorImageSize" if exc.reason.startswith("Larger") else "ErrorSource") from exc
