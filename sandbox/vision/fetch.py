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


def decode_image(
    data: bytes, max_side: int | None = None, *, draft_only: bool = False
) -> tuple[Image.Image, tuple[int, int]]:
    """A fully decoded RGB picture, shrunk to ``max_side`` (aspect kept) when it is longer, and the
    size the file holds. A JPEG is decoded at the smallest DCT scale that still covers
    ``max_side``, which costs a fraction of a full decode; ``draft_only`` stops there (what the
    model's own resize follows needs no second resize). ValueError when the bytes are not a
    picture."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            full_size = image.size
            if max_side is not None:
                scale = min(1.0, max_side / max(image.size))
                image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError("not a readable image") from exc
    if max_side is not None and not draft_only:
        picture.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return picture, full_size


def fetch_images(
    urls: Sequence[str], access: Access, *, should_stop: Callable[[], bool] | None = None
) -> list[Callable[[], Image.Image]]:
    """Download and decode every image, several at a time; FetchError on the first that fails.

    Each picture is shrunk to ``conf.TRAINING_PICTURE_SIDE`` and kept in a temporary file
    (``trainer.spill.PictureFile``); what comes back loads them one at a time, so memory does not
    grow with the dataset. Boxes are relative to the picture, so shrinking leaves them right.
    ``should_stop`` is polled here, in the calling thread (it may touch the database), and
    raises InterruptedError when it says so.
    """
    from trainer.spill import PictureFile

    pictures = PictureFile()

    def one(url: str) -> Callable[[], Image.Image]:
        data = fetch_bytes(url, access, conf.TRAINING_IMAGE_MAX_BYTES)
        try:
            return pictures.add(decode_image(data, conf.TRAINING_PICTURE_SIDE)[0])
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
