"""Budget, cancellation, divergence, progress and determinism of train() (on the fast scratch networks;
tests/trainer/test_pretrained.py checks the pretrained ones)."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from trainer import (
    NotEnoughBudget,
    Sample,
    TrainingCancelled,
    TrainingDiverged,
    default_config,
    shapes,
    train,
)

CLASSES = list(shapes.SHAPE_NAMES[:4])
SCRATCH_CLASSIFIER = default_config("classifier", backbone="scratch")


@pytest.fixture(scope="module")
def small_set() -> list[shapes.Sample]:
    return shapes.classification_samples(6, seed=21)


def test_it_refuses_a_budget_below_the_minimum_steps(small_set) -> None:
    with pytest.raises(NotEnoughBudget, match="at least 100 training steps") as caught:
        train("classifier", small_set, CLASSES, budget_seconds=1.0, config=SCRATCH_CLASSIFIER)
    assert caught.value.min_steps == 100
    assert caught.value.planned_steps < 100


def test_should_stop_cancels_promptly(small_set) -> None:
    start = time.monotonic()
    stop_at = start + 1.5
    with pytest.raises(TrainingCancelled) as caught:
        train(
            "detector",
            shapes.detection_samples(8, seed=22),
            CLASSES,
            budget_seconds=60,
            should_stop=lambda: time.monotonic() >= stop_at,
            config=default_config("detector", backbone="scratch"),
        )
    assert time.monotonic() - stop_at < 2.0
    assert caught.value.step >= 0


def test_should_stop_cancels_while_images_load(small_set) -> None:
    with pytest.raises(TrainingCancelled):
        train("classifier", small_set, CLASSES, budget_seconds=60, should_stop=lambda: True)


def test_an_absurd_learning_rate_diverges(small_set) -> None:
    config = default_config("classifier", backbone="scratch", lr=1e30, min_steps=1, max_steps=50)
    with pytest.raises(TrainingDiverged, match="loss became nan|loss became inf"):
        train("classifier", small_set, CLASSES, budget_seconds=30, config=config)


def test_progress_reports_steps_and_may_abort(small_set) -> None:
    seen: list[tuple[int, int, str]] = []
    config = default_config("classifier", backbone="scratch", min_steps=1, max_steps=12)
    result = train(
        "classifier",
        small_set,
        CLASSES,
        budget_seconds=30,
        config=config,
        progress=lambda done, total, message: seen.append((done, total, message)),
    )
    assert result.steps == 12
    assert seen[0][2].startswith("Loading images")
    assert seen[-1][:2] == (12, 12)

    class Abort(Exception):
        pass

    def abort(done: int, total: int, message: str) -> None:
        if not message.startswith("Loading"):
            raise Abort

    with pytest.raises(Abort):
        train("classifier", small_set, CLASSES, budget_seconds=30, config=config, progress=abort)


def test_a_fixed_step_count_is_deterministic(small_set) -> None:
    config = default_config("classifier", backbone="scratch", min_steps=1, max_steps=15)
    first = train("classifier", small_set, CLASSES, budget_seconds=30, config=config, seed=7)
    second = train("classifier", small_set, CLASSES, budget_seconds=30, config=config, seed=7)
    other = train("classifier", small_set, CLASSES, budget_seconds=30, config=config, seed=8)
    images = [s.load() for s in small_set[:5]]
    assert first.losses == second.losses
    assert first.model.predict_batch(images) == second.model.predict_batch(images)
    assert other.losses != first.losses


def test_a_budget_too_small_to_load_the_pictures_stops_early_and_says_what_would_do() -> None:
    """Pictures that load slowly (a storage far away): the scratch network has no cache, the
    loading alone decides."""
    picture = Image.new("RGB", (64, 64), (90, 120, 150))

    def slow() -> Image.Image:
        time.sleep(0.02)
        return picture

    samples = [Sample(slow, label=n % 2) for n in range(300)]  # 6 s of loading
    began = time.monotonic()
    with pytest.raises(
        NotEnoughBudget, match=r"Loading 300 pictures takes about \d+ s .* allow at least \d+ s"
    ):
        train(
            "classifier",
            samples,
            ["a", "b"],
            budget_seconds=1.0,
            config=default_config("classifier", backbone="scratch"),
        )
    assert time.monotonic() - began < 1.0 + 2.0
