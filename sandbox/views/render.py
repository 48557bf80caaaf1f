"""Image JSON with fresh signed URLs, for lists and batch answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sandbox import conf
from sandbox.models import SandboxImage
from sandbox.selectors import images_hydrate
from sandbox.storage import image_urls, sandbox_store
from sandbox.wire import image_json


def images_json(images: Sequence[SandboxImage]) -> list[dict[str, Any]]:
    store = sandbox_store()
    ttl = conf.image_url_ttl()
    return [
        image_json(v.image, v.tags, v.regions, image_urls(v.image, store, ttl))
        for v in images_hydrate(images)
    ]
