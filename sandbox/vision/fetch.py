"""Reading a dataset's files over HTTP, as the service reads them from blob storage.

With ``authentication.kind == "sas"`` the dataset's SAS token is appended to the URLs of the storage
account that holds the annotation file (the annotation files and the images there); with a managed
identity the sandbox has no identity to offer, so it reads anonymously: public containers and URLs
that carry their own signature work, private ones answer 403. Every read goes through
``outbound.reader``: the endpoint rule (loopback allowed), no redirects, a size cap.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from outbound.reader import Token, Unreadable, read_url
from sandbox import conf as sandbox_conf
from sandbox.vision import conf
from sandbox.vision.coco import without_query
from sandbox.vision.models import VisionDataset


class FetchError(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{without_query(url)}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Access:
    """How to read a dataset's URLs: ``sas_token`` goes only to URLs of the storage account
    (the origin) that holds the annotation file, never to another host a COCO file names."""

    sas_token: str = ""
    account: str = ""  # scheme://host:port/ of the annotation file

    @classmethod
    def of(cls, dataset: VisionDataset) -> Access:
        if dataset.auth_kind == VisionDataset.AuthKind.SAS and dataset.annotation_file_uris:
            parts = urlsplit(dataset.annotation_file_uris[0])
            return cls(dataset.sas_token, f"{parts.scheme}://{parts.netloc}/")
        return cls()

    @property
    def token(self) -> Token:
        return Token(self.account, self.sas_token.strip())


def fetch_bytes(url: str, access: Access, limit: int) -> bytes:
    """The body at ``url`` (SAS appended where it belongs); FetchError when it cannot be read.
    Messages never hold the SAS."""
    try:
        return read_url(
            url, limit=limit, timeout=sandbox_conf.url_fetch_timeout(), token=access.token, any_loopback=True
        )
    except Unreadable as exc:
        raise FetchError(url, exc.reason) from exc


def fetch_json(url: str, access: Access) -> Any:
    data = fetch_bytes(url, access, conf.ANNOTATION_MAX_BYTES)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # nested past any parser's depth too
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
