"""Image to tensor conversion and the augmentation steps both models share (plain torch ops)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from trainer import spill

PICTURE_BYTES = 1 << 30  # resized pictures held in memory; more go to a temporary file
# Inputs are scaled to roughly zero mean, unit spread; padding with 0 then means "mid grey".
_MEAN, _SCALE = 127.5, 64.0


def to_uint8(load: Callable[[int], Image.Image], count: int, size: int) -> torch.Tensor:
    """Stretch images ``load(0..count-1)`` to ``size`` x ``size``, stacked as uint8 ``[N, 3, S, S]``.

    Images are loaded one at a time, so only one decoded full-size image is alive at once; past
    PICTURE_BYTES the stack is kept in a temporary file (trainer/spill.py).
    """
    out = spill.empty((count, 3, size, size), torch.uint8, PICTURE_BYTES)
    for index in range(count):
        image = load(index)
        resized = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        out[index] = torch.from_numpy(np.asarray(resized, dtype=np.uint8).copy()).permute(2, 0, 1)
    return out


def normalise(batch: torch.Tensor) -> torch.Tensor:
    """uint8 ``[B, 3, H, W]`` to float model input."""
    return (batch.float() - _MEAN) / _SCALE


def affine(batch: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample a normalised batch through per-sample 2x3 maps (output -> input, in [-1, 1] units)."""
    grid = torch.nn.functional.affine_grid(theta, list(batch.shape), align_corners=False)
    return torch.nn.functional.grid_sample(
        batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )


def colour_jitter(
    batch: torch.Tensor, gen: torch.Generator, *, strength: float, permute: float
) -> torch.Tensor:
    """Contrast, brightness, per-channel gain and noise scaled by ``strength`` (1.0 = strong), and a
    random channel order with probability ``permute``."""
    count, s = batch.shape[0], strength

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return (torch.rand((count, *shape), generator=gen) * (high - low) + low).to(batch.device)

    contrast = uniform(1 - 0.35 * s, 1 + 0.35 * s, 1, 1, 1)
    brightness = uniform(-0.5 * s, 0.5 * s, 1, 1, 1)
    gain = uniform(1 - 0.15 * s, 1 + 0.15 * s, 3, 1, 1)
    batch = batch * contrast * gain + brightness
    swap = torch.rand(count, generator=gen) < permute
    for index in torch.nonzero(swap).flatten().tolist():
        batch[index] = batch[index, torch.randperm(3, generator=gen).to(batch.device)]
    sigma = uniform(0.0, 0.25 * s, 1, 1, 1)
    return batch + torch.randn(batch.shape, generator=gen).to(batch.device) * sigma
