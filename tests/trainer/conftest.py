"""Shared, session-scoped training runs: each model is trained once for the whole module set.

The shape tests train the scratch networks (fast, and the fallback); tests/trainer/test_pretrained.py
trains the pretrained ones on real photos."""

from __future__ import annotations

import pytest

from trainer import TrainResult, shapes, stratified_split, train
from trainer.api import default_config

CLASSES = list(shapes.SHAPE_NAMES[:4])
CLASSIFIER_BUDGET = 40.0
DETECTOR_BUDGET = 75.0
# A step may overrun its planned slot a little on a loaded machine; nothing more should.
BUDGET_SLACK = 3.0


@pytest.fixture(scope="session")
def classifier_split() -> tuple[list[shapes.Sample], list[shapes.Sample]]:
    return stratified_split(shapes.classification_samples(40, hard=False, seed=11), fraction=0.25, seed=0)


@pytest.fixture(scope="session")
def trained_classifier(classifier_split) -> TrainResult:
    train_set, _ = classifier_split
    # A lower step floor than the product's, so a busy CI machine still trains instead of refusing.
    return train(
        "classifier",
        train_set,
        CLASSES,
        budget_seconds=CLASSIFIER_BUDGET,
        seed=0,
        config=default_config("classifier", backbone="scratch", min_steps=20),
    )


@pytest.fixture(scope="session")
def detector_split() -> tuple[list[shapes.Sample], list[shapes.Sample]]:
    return stratified_split(
        shapes.detection_samples(100, max_objects=3, sides=(30, 90), seed=12), fraction=0.3, seed=0
    )


@pytest.fixture(scope="session")
def trained_detector(detector_split) -> TrainResult:
    train_set, _ = detector_split
    return train(
        "detector",
        train_set,
        CLASSES,
        budget_seconds=DETECTOR_BUDGET,
        seed=0,
        config=default_config("detector", backbone="scratch", min_steps=20),
    )
