"""Fetching images for POST /images/urls, as the service does for each URL of the batch."""

from __future__ import annotations

import requests

from sandbox import conf
from sandbox.imaging import ImageRejected


def url_fetch(url: str) -> bytes:
    """The bytes at ``url``; ImageRejected("ErrorSource") when they cannot be had.

    Only http and https are fetched. The sandbox is for development: it fetches whatever URL a
    caller names, so keep it off on servers that can reach private networks (SANDBOX_ENABLED).
    """
    if not url.lower().startswith(("http://", "https://")):
        raise ImageRejected("ErrorSource")
    try:
        with requests.get(url, timeout=conf.url_fetch_timeout(), stream=True) as response:
            if response.status_code != 200:
                raise ImageRejected("ErrorSource")
            data = b""
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > conf.MAX_IMAGE_BYTES:
                    raise ImageRejected("ErrorImageSize")
            return data
    except requests.RequestException as exc:
        raise ImageRejected("ErrorSource") from exc
