"""Tree crowns in real aerial photos: the labelled multi-instance detection set of the deepforest wheel.

``deepforest`` 2.1.0 (MIT) ships four annotated RGB orthophotos of the NEON airborne programme
(10 cm a pixel) with its tests; every tree crown has a box (Pascal VOC XML). They are the one
labelled real-photo set in the package lists with many instances of a class per picture, small
in the picture (crowns are 9-108 px, median 40 px, in 400 px tiles): what Custom Vision object
projects look like, and what a detector trained from scratch finds hard.

- **Training tiles**: 400 x 400 tiles cut on a grid from the larger Yellowstone photo
  (``2019_YELL_2_528000_4978000``, 2299 x 2472 px, 574 crowns), picked in a seeded order.
- **Held-out pictures, all from places the training tiles do not show**: the six 400 px tiles
  of the other Yellowstone photo (13 km away, ``541000_4977000``), the Florida plot ``OSBS_029``
  (61 crowns) and the California plot ``SOAP_061`` (37 crowns, labelled Alive or Dead there, a
  tree here).

A crown cut by a tile's edge is kept, clipped, when at least half of its box is inside. Only the
data files are read, through the wheel's installed metadata: the package is installed with
``--no-deps`` (``make venv``) and never imported, so its own dependencies are not needed.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata

import numpy as np
from PIL import Image

from trainer.data import Sample

CLASSES = ("tree",)
TILE = 400
TRAIN_PHOTO = "2019_YELL_2_528000_4978000_image_crop2"
HELD_OUT_PHOTOS = ("2019_YELL_2_541000_4977000_image_crop", "OSBS_029", "SOAP_061")
_BOX = re.compile(
    r"<xmin>([\d.]+)</xmin>\s*<ymin>([\d.]+)</ymin>\s*<xmax>([\d.]+)</xmax>\s*<ymax>([\d.]+)</ymax>"
)


class TreesUnavailable(RuntimeError):
    """The deepforest wheel is not installed (``make venv`` installs it)."""


def _data_file(name: str):
    try:
        distribution = metadata.distribution("deepforest")
    except metadata.PackageNotFoundError as exc:
        raise TreesUnavailable("pip install --no-deps deepforest==2.1.0 (make venv does)") from exc
    return distribution.locate_file(f"deepforest/data/{name}")


@cache
def photo(name: str) -> tuple[Image.Image, np.ndarray]:
    """The photo as RGB and its crown boxes, ``(n, 4)`` pixel ``left, top, right, bottom``."""
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # 5.7 Mpx, within reason
    try:
        with Image.open(str(_data_file(f"{name}.png"))) as image:
            rgb = image.convert("RGB")
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    boxes = np.array(
        [[float(v) for v in match] for match in _BOX.findall(_data_file(f"{name}.xml").read_text())]
    )
    return rgb, boxes.reshape(-1, 4)


def _tile(name: str, left: int, top: int) -> Sample:
    image, boxes = photo(name)
    right, bottom = min(left + TILE, image.width), min(top + TILE, image.height)
    clipped = np.column_stack(
        [
            boxes[:, 0].clip(left, right),
            boxes[:, 1].clip(top, bottom),
            boxes[:, 2].clip(left, right),
            boxes[:, 3].clip(top, bottom),
        ]
    )
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    inside = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    w, h = right - left, bottom - top
    kept = [
        (0, (x0 - left) / w, (y0 - top) / h, (x1 - x0) / w, (y1 - y0) / h)
        for (x0, y0, x1, y1), a, i in zip(clipped, area, inside, strict=True)
        if a > 0 and i >= 0.5 * a
    ]
    return Sample(image.crop((left, top, right, bottom)), boxes=kept)


def _grid(name: str) -> list[tuple[int, int]]:
    image, _ = photo(name)
    return [
        (left, top)
        for top in range(0, image.height - TILE + 1, TILE)
        for left in range(0, image.width - TILE + 1, TILE)
    ]


def tree_sets(pictures: int, *, seed: int = 0) -> tuple[list[Sample], list[Sample]]:
    """``(train, held_out)``: ``pictures`` training tiles (at most 30) and the eight held-out pictures."""
    corners = _grid(TRAIN_PHOTO)
    if pictures > len(corners):
        raise ValueError(f"the training photo has {len(corners)} tiles, not {pictures}")
    order = np.random.default_rng(seed).permutation(len(corners))[:pictures]
    train = [_tile(TRAIN_PHOTO, *corners[i]) for i in order]
    held_out = [_tile(name, *corner) for name in HELD_OUT_PHOTOS for corner in _grid(name)]
    return train, held_out


CROP_CLASSES = ("tree", "no tree")


def crop_squares(name: str, count: int, rng: np.random.Generator) -> tuple[list[tuple], list[tuple]]:
    """``count`` squares around crowns (1.4x the longer side, at least 24 px) and ``count`` squares
    of the same sizes that overlap no crown by more than a tenth of their area, from one photo:
    pixel ``left, top, right, bottom``."""
    image, boxes = photo(name)
    sides = np.maximum(np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * 1.4, 24)
    trees = []
    for i in rng.permutation(len(boxes))[:count]:
        cx, cy, half = (boxes[i, 0] + boxes[i, 2]) / 2, (boxes[i, 1] + boxes[i, 3]) / 2, sides[i] / 2
        trees.append((int(cx - half), int(cy - half), int(cx + half), int(cy + half)))
    others: list[tuple] = []
    for _ in range(count * 200):
        if len(others) == count:
            break
        side = float(rng.choice(sides))
        x, y = rng.uniform(0, image.width - side), rng.uniform(0, image.height - side)
        iw = (np.minimum(boxes[:, 2], x + side) - np.maximum(boxes[:, 0], x)).clip(0)
        ih = (np.minimum(boxes[:, 3], y + side) - np.maximum(boxes[:, 1], y)).clip(0)
        if (iw * ih).max(initial=0) <= 0.1 * side * side:
            others.append((int(x), int(y), int(x + side), int(y + side)))
    return trees, others


def _crops(name: str, count: int, rng: np.random.Generator) -> list[Sample]:
    image, _ = photo(name)
    trees, others = crop_squares(name, count, rng)
    return [Sample(image.crop(box), label=0) for box in trees] + [
        Sample(image.crop(box), label=1) for box in others
    ]


def crown_classification_sets(
    per_class: int, held_out_per_class: int = 30, *, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """``(train, held_out)`` for a classifier: "tree" (a crown) or "no tree" (ground, grass,
    shadow). Training crops from the training photo; held-out ones from the three other places,
    about a third each."""
    rng = np.random.default_rng(seed)
    train = _crops(TRAIN_PHOTO, per_class, rng)
    share = -(-held_out_per_class // len(HELD_OUT_PHOTOS))
    held_out = [sample for name in HELD_OUT_PHOTOS for sample in _crops(name, share, rng)]
    return train, held_out
