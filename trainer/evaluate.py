"""Evaluate a trained model on held-out samples with the metric functions."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer.data import Sample
from trainer.metrics import classification_metrics, detection_metrics
from trainer.model import TrainedModel


def evaluate(model: TrainedModel, samples: Sequence[Sample], batch_size: int = 32) -> dict[str, Any]:
    """Metrics of ``model`` on ``samples`` (which should be held out), plus ``predict_ms`` per image."""
    if not samples:
        raise ValueError("no samples to evaluate")
    images = [s.load() for s in samples]
    began = time.monotonic()
    predictions = model.predict_batch(images, batch_size=batch_size)
    per_image_ms = (time.monotonic() - began) * 1000 / len(images)
    if model.kind == "classifier":
        column = {name: c for c, name in enumerate(model.class_names)}
        scores = np.zeros((len(samples), len(model.class_names)))
        for row, found in enumerate(predictions):
            for p in found:
                scores[row, column[p.class_name]] = p.confidence
        result = classification_metrics([int(s.label) for s in samples], scores, model.class_names)  # type: ignore[arg-type]
    else:
        result = detection_metrics(
            [s.boxes for s in samples],
            predictions,
            model.class_names,  # type: ignore[arg-type]
            [image.size for image in images],
        )
    result["predict_ms"] = round(per_image_ms, 2)
    return result
