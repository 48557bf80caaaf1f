"""Training samples and the held-out split.

A :class:`Sample` holds an image (or a callable that loads one, so a large dataset need not sit
in memory) plus either a class label (classification) or boxes (detection). Boxes are
``(class_index, left, top, width, height)`` relative to the image size, in ``[0, 1]``, as Azure
Custom Vision regions and Image Analysis 4.0 COCO files express them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from trainer.errors import DatasetError

Box = tuple[int, float, float, float, float]


@dataclass
class Sample:
    image: Image.Image | Callable[[], Image.Image]
    label: int | None = None
    boxes: list[Box] = field(default_factory=list)

    def load(self) -> Image.Image:
        """The image as RGB, calling the loader when the sample holds one."""
        image = self.image() if callable(self.image) else self.image
        if not isinstance(image, Image.Image):
            raise TypeError(f"expected a PIL image, got {type(image).__name__}")
        return image if image.mode == "RGB" else image.convert("RGB")

    @property
    def stratum(self) -> int:
        """The class used to stratify: the label, else the first box's class, else -1."""
        if self.label is not None:
            return self.label
        return self.boxes[0][0] if self.boxes else -1


def stratified_split(
    samples: Sequence[Sample], fraction: float = 0.2, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """Split into ``(train, held_out)`` with about ``fraction`` of every class held out.

    Each class keeps at least one training sample; a class with a single sample is not held out.
    Both lists keep the input order. The split depends only on the samples' classes and ``seed``.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError("fraction must be in [0, 1)")
    by_class: dict[int, list[int]] = defaultdict(list)
    for index, sample in enumerate(samples):
        by_class[sample.stratum].append(index)
    rng = np.random.default_rng(seed)
    held: set[int] = set()
    for stratum in sorted(by_class):
        indices = [by_class[stratum][i] for i in rng.permutation(len(by_class[stratum]))]
        count = min(round(len(indices) * fraction), len(indices) - 1)
        held.update(indices[:count])
    train = [s for i, s in enumerate(samples) if i not in held]
    held_out = [s for i, s in enumerate(samples) if i in held]
    return train, held_out


def validate(kind: str, samples: Sequence[Sample], class_names: Sequence[str]) -> None:
    """Raise :class:`DatasetError` when ``samples`` cannot train a ``kind`` model."""
    if not samples:
        raise DatasetError("There are no images to train on.")
    if len(set(class_names)) != len(class_names):
        raise DatasetError("Class names must be unique.")
    count = len(class_names)
    if kind == "classifier":
        if count < 2:
            raise DatasetError("A classifier needs at least 2 classes.")
        for index, sample in enumerate(samples):
            if sample.label is None:
                raise DatasetError(f"Image {index} has no label.")
            if not 0 <= sample.label < count:
                raise DatasetError(f"Image {index} has label {sample.label}, outside 0..{count - 1}.")
        if len({s.label for s in samples}) < 2:
            raise DatasetError("A classifier needs images of at least 2 different classes.")
    elif kind == "detector":
        if count < 1:
            raise DatasetError("A detector needs at least 1 class.")
        if not any(s.boxes for s in samples):
            raise DatasetError("No image has a bounding box.")
        for index, sample in enumerate(samples):
            for cls, left, top, width, height in sample.boxes:
                if not 0 <= cls < count:
                    raise DatasetError(f"Image {index} has a box of class {cls}, outside 0..{count - 1}.")
                if not (width > 0 and height > 0):
                    raise DatasetError(f"Image {index} has an empty box.")
                # A little slack for rounding in exported labels; anything further is a bad label.
                if left < -0.01 or top < -0.01 or left + width > 1.01 or top + height > 1.01:
                    raise DatasetError(
                        f"Image {index} has a box outside the image (boxes are relative 0..1)."
                    )
    else:
        raise ValueError(f"unknown kind {kind!r}; expected 'classifier' or 'detector'")
