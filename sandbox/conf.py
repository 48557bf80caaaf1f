"""The sandbox's limits, and its settings as the code uses them.

Every setting is a plain Django setting defined once in config/settings.py (read from the
environment there); tests override them with pytest-django's ``settings`` fixture.
"""

from __future__ import annotations

from django.conf import settings

# Limits of the real service (Custom Vision docs and the SDK's docstrings).
MAX_IMAGE_BYTES = 6 * 1024 * 1024
MAX_IMAGE_SIDE = 10240
MAX_IMAGES_PER_BATCH = 64
MAX_REGIONS_PER_BATCH = 64
MAX_TAGS_PER_BATCH = 128
MAX_REGIONS_PER_IMAGE = 200
MAX_TAKE = 256
DEFAULT_TAKE = 50
FAULTS_CACHE_SECONDS = 1.0


def image_url_ttl() -> int:
    """Seconds an image's originalImageUri/resizedImageUri/thumbnailUri keep working."""
    return max(1, int(settings.SANDBOX_IMAGE_URL_TTL))


def blob_account_url() -> str:
    """An Azure Blob (or Azurite) account URL; empty means local files served by signed URL."""
    return settings.SANDBOX_BLOB_ACCOUNT_URL.rstrip("/")


def blob_account_key() -> str:
    return settings.SANDBOX_BLOB_ACCOUNT_KEY


def blob_container() -> str:
    return settings.SANDBOX_BLOB_CONTAINER


def max_request_bytes() -> int:
    """Largest request body read (a batch of 64 base64 images can be large)."""
    return int(settings.SANDBOX_MAX_REQUEST_MB) * 1024 * 1024


def url_fetch_timeout() -> float:
    """Seconds allowed for each URL the sandbox reads: /images/urls, annotation files, images, analyze."""
    return float(settings.SANDBOX_URL_FETCH_TIMEOUT)
