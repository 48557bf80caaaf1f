"""Signed, expiring URLs for blobs in the local-file backend, served by blobstore.views.

A URL is ``{VISIONPORT_PUBLIC_URL}/blobs/{root}/{path}?se={unix expiry}&sig={hmac}``: the same
shape of guarantee as an Azure SAS (read-only, one blob, expires), checked without a database.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings


def local_roots() -> dict[str, Path]:
    """Named folders whose files may be served by signed URL."""
    return {"storage": settings.LOCAL_STORAGE_ROOT, "sandbox": settings.SANDBOX_STORAGE_ROOT}


def _signature(root: str, path: str, expiry: int) -> str:
    message = f"{root}\n{path}\n{expiry}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def plain_url(root: str, path: str) -> str:
    return f"{settings.VISIONPORT_PUBLIC_URL}/blobs/{root}/{quote(path)}"


def _expiry(expires_in: int) -> int:
    """Whole seconds, rounded up, so a URL lives at least ``expires_in`` seconds."""
    return math.ceil(time.time() + expires_in)


def signed_url(root: str, path: str, expires_in: int) -> str:
    expiry = _expiry(expires_in)
    return f"{plain_url(root, path)}?se={expiry}&sig={_signature(root, path, expiry)}"


def container_token(root: str, prefix: str, expires_in: int) -> str:
    """A query string that opens every blob under ``prefix`` (like a container SAS, read-only).

    The Vision service appends one SAS to the annotation file's URL and to every image URL, so a
    per-blob signature cannot serve; this one signs the folder instead.
    """
    expiry = _expiry(expires_in)
    return f"se={expiry}&sr=c&sig={_signature(root, prefix.rstrip('/') + '/', expiry)}"


def verify(root: str, path: str, expiry: str, signature: str, scope: str = "b") -> str:
    """'' when valid, else the reason it is not. ``scope`` "c" checks a container token."""
    try:
        expires = int(expiry)
    except (TypeError, ValueError):
        return "Signature missing"
    if scope == "c":
        parts = path.split("/")
        candidates = ["/".join(parts[:n]) + "/" for n in range(1, len(parts))]
        if not any(
            hmac.compare_digest(_signature(root, prefix, expires), signature or "") for prefix in candidates
        ):
            return "Signature did not match"
    elif not hmac.compare_digest(_signature(root, path, expires), signature or ""):
        return "Signature did not match"
    if expires < time.time():
        return "Signed URL expired"
    return ""
