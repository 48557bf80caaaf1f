"""The tiny CNN image classifier (64 px input, width 16, average + max pooling) and its training pieces.

Trained from scratch, it only generalises from a few dozen images per class with augmentation,
done here on whole batches with ``affine_grid``/``grid_sample``: zoom, aspect, rotation, shift,
horizontal flip, colour jitter, channel swaps and noise. Measured on synthetic sets with budgets of
a few hundred steps, half-strength geometry plus channel swaps on half the images learned far
faster than the full-strength set (with cut-out and dropout), which needs thousands of steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn

from trainer.data import Sample
from trainer.imaging import affine, colour_jitter, normalise, to_uint8

INPUT_SIZE = 64
DEFAULT_ARCH = {"width": 16}


def _conv(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class TinyCNN(nn.Module):
    """A stride-2 stem, then conv pairs at 32, 16 and 8 px, then global average + max pooling."""

    def __init__(self, num_classes: int, width: int = 16) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_conv(3, w, 2),
            *_conv(w, 2 * w),
            nn.MaxPool2d(2),
            *_conv(2 * w, 4 * w),
            *_conv(4 * w, 4 * w),
            nn.MaxPool2d(2),
            *_conv(4 * w, 8 * w),
            *_conv(8 * w, 8 * w),
        )
        self.fc = nn.Linear(16 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        pooled = torch.cat([x.mean((2, 3)), x.amax((2, 3))], 1)
        return self.fc(pooled)


def input_size(arch: dict) -> int:
    return INPUT_SIZE


def build(num_classes: int, arch: dict) -> nn.Module:
    return TinyCNN(num_classes, **{k: v for k, v in arch.items() if k != "backbone"})


@dataclass
class Prepared:
    images: torch.Tensor  # uint8 [N, 3, S, S]
    labels: torch.Tensor  # int64 [N]


def prepare(
    samples: Sequence[Sample], load: Callable[[int], Image.Image], size: int = INPUT_SIZE
) -> Prepared:
    images = to_uint8(load, len(samples), size)
    labels = torch.tensor([s.label for s in samples], dtype=torch.int64)
    return Prepared(images, labels)


def make_batch(
    data: Prepared,
    indices: torch.Tensor,
    gen: torch.Generator,
    device: torch.device,
    *,
    augment: float,
    channel_swap: float,
    to_input: Callable[[torch.Tensor], torch.Tensor] = normalise,
) -> tuple[torch.Tensor, torch.Tensor]:
    """An augmented batch of inputs and labels; ``augment`` scales every range (1.0 = strong).

    ``to_input`` turns the uint8 images into the network's input (the pretrained backbone's
    normalisation differs from the scratch one)."""
    count, a = len(indices), augment
    x = to_input(data.images[indices].to(device))

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(count, generator=gen) * (high - low) + low

    zoom, aspect = uniform(1 - 0.25 * a, 1 + 0.3 * a), uniform(1 - 0.15 * a, 1 + 0.15 * a)
    angle = uniform(-math.pi / 8 * a, math.pi / 8 * a)
    flip = torch.where(torch.rand(count, generator=gen) < 0.5, -1.0, 1.0)
    sx, sy = zoom * aspect.sqrt(), zoom / aspect.sqrt()
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output -> input: rotate, scale by 1/zoom, flip x, shift
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = flip * cos / sx, -flip * sin / sx
    theta[:, 1, 0], theta[:, 1, 1] = sin / sy, cos / sy
    theta[:, 0, 2], theta[:, 1, 2] = uniform(-0.2 * a, 0.2 * a), uniform(-0.2 * a, 0.2 * a)
    x = affine(x, theta.to(device))
    x = colour_jitter(x, gen, strength=a, permute=channel_swap)
    return x, data.labels[indices].to(device)


def loss(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(outputs, labels, label_smoothing=0.05)


def probabilities(
    net: nn.Module,
    images: Sequence[Image.Image],
    device: torch.device,
    batch_size: int = 64,
    *,
    size: int = INPUT_SIZE,
    to_input: Callable[[torch.Tensor], torch.Tensor] = normalise,
) -> torch.Tensor:
    """Softmax scores ``[N, C]`` for PIL images, on the CPU."""
    net.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            x = to_input(to_uint8(chunk.__getitem__, len(chunk), size).to(device))
            out.append(torch.softmax(net(x).float(), 1).cpu())
    return torch.cat(out) if out else torch.zeros(0, 0)
