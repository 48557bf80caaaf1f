"""The detector learns easy shapes inside its budget; boxes, save and load."""

from __future__ import annotations

from tests.trainer.conftest import BUDGET_SLACK, CLASSES, DETECTOR_BUDGET
from trainer import BoxPrediction, TrainedModel, evaluate, untrained_model


def test_it_finds_shapes_on_held_out_images(trained_detector, detector_split) -> None:
    _, held_out = detector_split
    metrics = evaluate(trained_detector.model, held_out)
    assert metrics["map50"] >= 0.15, (
        metrics
    )  # on two busy cores; docs/trainer.md has the quiet-machine figures
    assert metrics["map30"] >= metrics["map50"] >= metrics["map75"]
    baseline = evaluate(untrained_model("detector", CLASSES, backbone="scratch"), held_out)
    assert baseline["map50"] < 0.05, baseline
    assert metrics["map50"] > baseline["map50"] + 0.1


def test_it_keeps_to_the_budget(trained_detector) -> None:
    result = trained_detector
    assert result.seconds_used <= DETECTOR_BUDGET + BUDGET_SLACK
    assert result.seconds_used >= DETECTOR_BUDGET * 0.8
    assert result.final_loss < result.losses[0] / 2


def test_it_returns_integer_pixel_boxes_inside_the_image(trained_detector, detector_split) -> None:
    image = detector_split[1][0].load()
    predictions = trained_detector.model.predict(image)
    assert predictions, "a trained detector finds something on an easy image"
    assert len(predictions) <= 100
    for p in predictions:
        assert isinstance(p, BoxPrediction)
        assert p.class_name in CLASSES
        assert 0.05 <= p.confidence <= 1.0
        assert all(isinstance(v, int) for v in (p.x, p.y, p.w, p.h))
        assert min(p.x, p.y) >= 0
        assert min(p.w, p.h) > 0
        assert p.x + p.w <= image.width and p.y + p.h <= image.height
    confidences = [p.confidence for p in predictions]
    assert confidences == sorted(confidences, reverse=True)


def test_save_and_load_give_identical_predictions(trained_detector, detector_split, tmp_path) -> None:
    model = trained_detector.model
    model.save(tmp_path / "detector")
    assert (tmp_path / "detector" / "weights.pt").stat().st_size < 3_000_000
    loaded = TrainedModel.load(tmp_path / "detector")
    assert (loaded.kind, loaded.class_names, loaded.input_size) == ("detector", CLASSES, 160)
    images = [s.load() for s in detector_split[1][:6]]
    assert loaded.predict_batch(images) == model.predict_batch(images)
