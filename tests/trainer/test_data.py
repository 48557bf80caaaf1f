"""Samples, the stratified split and dataset validation."""

from __future__ import annotations

from collections import Counter

import pytest
from PIL import Image

from trainer import DatasetError, Sample, shapes, stratified_split, train
from trainer.data import validate


def test_it_loads_lazily_and_converts_to_rgb() -> None:
    calls = []

    def load() -> Image.Image:
        calls.append(1)
        return Image.new("L", (8, 8), 100)

    sample = Sample(load, label=0)
    assert calls == []
    assert sample.load().mode == "RGB"
    assert calls == [1]


def test_split_holds_out_each_class_in_proportion() -> None:
    samples = [Sample(Image.new("RGB", (4, 4)), label=c) for c in [0] * 10 + [1] * 20 + [2] * 1]
    train_set, held = stratified_split(samples, fraction=0.2, seed=3)
    assert Counter(s.label for s in held) == {0: 2, 1: 4}  # the single class-2 image stays in train
    assert len(train_set) + len(held) == len(samples)
    assert {id(s) for s in train_set}.isdisjoint(id(s) for s in held)
    again = stratified_split(samples, fraction=0.2, seed=3)[1]
    assert [id(s) for s in again] == [id(s) for s in held]
    assert [id(s) for s in stratified_split(samples, fraction=0.2, seed=4)[1]] != [id(s) for s in held]


def test_split_stratifies_detection_by_first_box() -> None:
    samples = shapes.detection_samples(40, seed=5)
    _, held = stratified_split(samples, fraction=0.25, seed=0)
    expected = Counter(s.boxes[0][0] for s in samples)
    got = Counter(s.boxes[0][0] for s in held)
    assert all(abs(got[c] - n * 0.25) <= 0.5 for c, n in expected.items())


@pytest.mark.parametrize(
    ("kind", "samples", "names", "message"),
    [
        ("classifier", [], ["a", "b"], "no images"),
        ("classifier", [Sample(Image.new("RGB", (4, 4)), label=0)], ["a"], "at least 2 classes"),
        ("classifier", [Sample(Image.new("RGB", (4, 4)), label=2)], ["a", "b"], "outside 0..1"),
        ("classifier", [Sample(Image.new("RGB", (4, 4)))], ["a", "b"], "no label"),
        ("classifier", [Sample(Image.new("RGB", (4, 4)), label=1)] * 3, ["a", "b"], "2 different classes"),
        ("detector", [Sample(Image.new("RGB", (4, 4)))], ["a"], "No image has a bounding box"),
        (
            "detector",
            [Sample(Image.new("RGB", (4, 4)), boxes=[(1, 0.1, 0.1, 0.2, 0.2)])],
            ["a"],
            "outside 0..0",
        ),
        (
            "detector",
            [Sample(Image.new("RGB", (4, 4)), boxes=[(0, 0.9, 0.1, 0.5, 0.2)])],
            ["a"],
            "outside the image",
        ),
        ("detector", [Sample(Image.new("RGB", (4, 4)), boxes=[(0, 0.1, 0.1, 0.0, 0.2)])], ["a"], "empty box"),
    ],
)
def test_it_rejects_unusable_data(kind: str, samples: list, names: list, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        validate(kind, samples, names)
    with pytest.raises(DatasetError, match=message):
        train(kind, samples, names, budget_seconds=5)


def test_it_reports_an_unreadable_image() -> None:
    def broken() -> Image.Image:
        raise OSError("truncated file")

    samples = [Sample(Image.new("RGB", (8, 8)), label=0), Sample(broken, label=1)]
    with pytest.raises(DatasetError, match="Image 1 could not be read: truncated file"):
        train("classifier", samples, ["a", "b"], budget_seconds=5)
