"""Check uploaded images the way the service does, and make their thumbnail and resized copies."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from sandbox import conf
from sandbox.models import RESIZED_MAX_SIDE

THUMBNAIL_MAX_SIDE = 200
# The formats Custom Vision accepts: .jpg, .png, .bmp and .gif.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "BMP": ("bmp", "image/bmp"),
}


class ImageRejected(Exception):
    """``status`` is the ImageCreateStatus value the service would answer."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    sha256: str
    width: int
    height: int
    ext: str
    content_type: str

    @property
    def blob_name(self) -> str:
        return f"original/{self.sha256}.{self.ext}"


def image_check(data: bytes) -> CheckedImage:
    """Decode fully (a truncated file fails here, not later) and apply the service's limits."""
    if len(data) > conf.MAX_IMAGE_BYTES:
        raise ImageRejected("ErrorImageSize")
    if not data:
        raise ImageRejected("ErrorImageFormat")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise ImageRejected("ErrorImageFormat")
            width, height = image.size
            if max(width, height) > conf.MAX_IMAGE_SIDE:
                raise ImageRejected("ErrorImageDimensions")
            ext, content_type = FORMATS[image.format]
            image.load()
    except Image.DecompressionBombError as exc:
        raise ImageRejected("ErrorImageDimensions") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("ErrorImageFormat") from exc
    return CheckedImage(data, hashlib.sha256(data).hexdigest(), width, height, ext, content_type)


def _jpeg(image: Image.Image, max_side: int, quality: int) -> bytes:
    copy = image.copy()
    if copy.mode in ("RGBA", "LA", "P"):
        copy = copy.convert("RGBA")
        background = Image.new("RGB", copy.size, (255, 255, 255))
        background.paste(copy, mask=copy.getchannel("A"))
        copy = background
    elif copy.mode != "RGB":
        copy = copy.convert("RGB")
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality)
    return out.getvalue()


def renditions(checked: CheckedImage) -> tuple[bytes, bytes | None]:
    """(thumbnail JPEG, resized JPEG or None when the original is small enough to serve as is)."""
    with Image.open(io.BytesIO(checked.data)) as image:
        image.seek(0)
        thumbnail = _jpeg(image, THUMBNAIL_MAX_SIDE, 85)
        resized = (
            _jpeg(image, RESIZED_MAX_SIDE, 90)
            if max(checked.width, checked.height) > RESIZED_MAX_SIDE
            else None
        )
    return thumbnail, resized
