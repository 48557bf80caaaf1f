"""Reading a dataset's files over HTTP, as the service reads them from blob storage.

With ``authentication.kind == "sas"`` the dataset's SAS token is appended to every URL (annotation
files and images); with a managed identity the sandbox has no identity to offer, so it reads
anonymously: public containers and URLs that carry their own signature work, private ones answer 403.
The sandbox fetches whatever http(s) URL it is given; keep it off on servers that reach private
networks (SANDBOX_ENABLED).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import requests
from PIL import Image, UnidentifiedImageError

from sandbox.vision import conf
from sandbox.vision.coco import without_query
from sandbox.vision.models import VisionDataset


class FetchError(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{without_query(url)}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Access:
    """How to read a dataset's URLs."""

    sas_token: str = ""

    @classmethod
    def of(cls, dataset: VisionDataset) -> Access:
        if dataset.auth_kind == VisionDataset.AuthKind.SAS:
            return cls(dataset.sas_token)
        return cls()

    def url(self, url: str) -> str:
        token = self.sas_token.strip().lstrip("?")
        if not token:
            return url
        return f"{url}{'&' if '?' in url else '?'}{token}"


def fetch_bytes(url: str, access: Access, limit: int) -> bytes:
    """The body at ``url`` (SAS appended); FetchError when it cannot be read. Messages never hold the SAS."""
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(url, "only http and https URLs can be read")
    try:
        with requests.get(access.url(url), timeout=conf.fetch_timeout(), stream=True) as response:
            if response.status_code != 200:
                code = response.headers.get("x-ms-error-code")
                raise FetchError(url, f"HTTP {response.status_code}{f' {code}' if code else ''}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(256 * 1024):
                size += len(chunk)
                if size > limit:
                    raise FetchError(url, f"larger than {limit // (1024 * 1024)} MB")
                chunks.append(chunk)
            return b"".join(chunks)
    except requests.RequestException as exc:
        raise FetchError(url, f"cannot be reached ({type(exc).__name__})") from exc


def fetch_json(url: str, access: Access) -> Any:
    data = fetch_bytes(url, access, conf.ANNOTATION_MAX_BYTES)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(url, "is not valid JSON") from exc


def decode_image(data: bytes) -> Image.Image:
    """A fully decoded RGB picture; ValueError when the bytes are not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError("not a readable image") from exc


def fetch_images(
    urls: Sequence[str], access: Access, *, should_stop: Callable[[], bool] | None = None
) -> list[Image.Image]:
    """Download and decode every image, several at a time; FetchError on the first that fails.

    ``should_stop`` is polled here, in the calling thread (it may touch the database), and
    raises InterruptedError when it says so.
    """

    def one(url: str) -> Image.Image:
        data = fetch_bytes(url, access, conf.TRAINING_IMAGE_MAX_BYTES)
        try:
            return decode_image(data)
        except ValueError as exc:
            raise FetchError(url, "is not a readable image") from exc

    with ThreadPoolExecutor(max_workers=conf.FETCH_WORKERS) as pool:
        futures = [pool.submit(one, url) for url in urls]
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
                for future in done:
                    error = future.exception()
                    if error is not None:
                        raise error
                if should_stop is not None and should_stop():
                    raise InterruptedError
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        return [future.result() for future in futures]
