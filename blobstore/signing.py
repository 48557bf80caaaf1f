"""Signed, expiring URLs for blobs in the local-file backend, served by blobstore.views.

A URL is ``{VISIONPORT_PUBLIC_URL}/blobs/{root}/{path}?se={unix expiry}&sig={hmac}``: the same
shape of guarantee as an Azure SAS (read-only, one blob, expires), checked without a database.
"""

from __future__ import annotations

import hashlib
import hmac
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


def signed_url(root: str, path: str, expires_in: int) -> str:
    expiry = int(time.time()) + expires_in
    return f"{plain_url(root, path)}?se={expiry}&sig={_signature(root, path, expiry)}"


def verify(root: str, path: str, expiry: str, signature: str) -> str:
    """'' when valid, else the reason it is not."""
    try:
        expires = int(expiry)
    except (TypeError, ValueError):
        return "Signature missing"
    if not hmac.compare_digest(_signature(root, path, expires), signature or ""):
        return "Signature did not match"
    if expires < time.time():
        return "Signed URL expired"
    return ""
