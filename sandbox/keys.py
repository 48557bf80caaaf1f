"""The sandbox's API keys, derived from SECRET_KEY so they are stable and need no storage."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def sandbox_key(service: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"sandbox:{service}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def sandbox_info() -> dict[str, dict[str, str]]:
    base = settings.VISIONPORT_PUBLIC_URL
    return {
        "custom_vision": {"endpoint": f"{base}/sandbox", "training_key": sandbox_key("customvision")},
        "vision": {"endpoint": base, "key": sandbox_key("vision")},
    }
