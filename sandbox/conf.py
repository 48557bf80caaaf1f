"""The sandbox's optional settings: a Django setting of the same name wins, then the environment.

None of these need to be in config/settings.py; tests override them with pytest-django's
``settings`` fixture.
"""

from __future__ import annotations

from django.conf import settings

from config.env import env

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


def _value(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is not None:
        return str(value)
    return env(name, default)


def image_url_ttl() -> int:
    """Seconds an image's originalImageUri/resizedImageUri/thumbnailUri keep working."""
    return max(1, int(_value("SANDBOX_IMAGE_URL_TTL", "600")))


def blob_account_url() -> str:
    """An Azure Blob (or Azurite) account URL; empty means local files served by signed URL."""
    return _value("SANDBOX_BLOB_ACCOUNT_URL", "").rstrip("/")


def blob_account_key() -> str:
    return _value("SANDBOX_BLOB_ACCOUNT_KEY", "")


def blob_container() -> str:
    return _value("SANDBOX_BLOB_CONTAINER", "sandbox-images")


def max_request_bytes() -> int:
    """Largest request body read (a batch of 64 base64 images can be large)."""
    return int(_value("SANDBOX_MAX_REQUEST_MB", "256")) * 1024 * 1024


def url_fetch_timeout() -> float:
    return float(_value("SANDBOX_URL_FETCH_TIMEOUT", "15"))
