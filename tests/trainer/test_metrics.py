"""Metric functions against hand-computed values (no training)."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.metrics import classification_metrics, detection_metrics
from trainer.model import BoxPrediction

NAMES = ["cat", "dog"]


def test_it_computes_classification_metrics_by_hand() -> None:
    # Class 0 ranking by score: pos 0.9, neg 0.6, pos 0.4, neg 0.2 -> AP = (1/1 + 2/3) / 2.
    scores = np.array([[0.9, 0.1], [0.4, 0.6], [0.6, 0.4], [0.2, 0.8]])
    metrics = classification_metrics([0, 0, 1, 1], scores, NAMES)
    assert metrics["average_precision"] == pytest.approx(5 / 6)
    assert metrics["top1"] == 0.5  # rows 0 and 3 right, rows 1 and 2 wrong
    assert metrics["top5"] is None
    assert metrics["per_class"]["cat"] == {
        "precision": 0.5,
        "recall": 0.5,
        "ap": pytest.approx(5 / 6),
        "images": 2,
    }


def test_it_averages_ap_over_present_classes_only() -> None:
    scores = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.6, 0.3, 0.1]])
    metrics = classification_metrics([0, 1, 1], scores, ["a", "b", "c"])
    # a: pos 0.8, neg 0.6, neg 0.3 -> 1.0; b: pos 0.6, pos 0.3, neg 0.1 -> 1.0; c absent
    assert metrics["average_precision"] == pytest.approx(1.0)
    assert metrics["per_class"]["c"]["ap"] is None
    assert metrics["top1"] == pytest.approx(2 / 3)


def test_it_reports_top5_only_above_five_classes() -> None:
    five = classification_metrics([0, 1], np.full((2, 5), 0.2), list("abcde"))
    assert five["top5"] is None
    # Six classes: the true class ranks 1st in row 0 and last (6th) in row 1.
    scores = np.array([[0.5, 0.1, 0.1, 0.1, 0.1, 0.1], [0.30, 0.25, 0.2, 0.15, 0.09, 0.01]])
    six = classification_metrics([0, 5], scores, list("abcdef"))
    assert six["top5"] == 0.5
    assert six["top1"] == 0.5


def test_it_rejects_scores_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="scores must be"):
        classification_metrics([0, 1], np.zeros((2, 3)), NAMES)


# --- detection ---------------------------------------------------------------------------------

SIZES = [(200, 100), (300, 300)]
TRUTH = [
    [(0, 0.1, 0.2, 0.2, 0.4), (1, 0.5, 0.5, 0.25, 0.3)],  # pixels: (20, 20, 40, 40), (100, 50, 50, 30)
    [(0, 0.0, 0.0, 0.5, 0.5)],  # (0, 0, 150, 150)
]


def as_predictions(truth: list, shift: float = 0.0, score: float = 0.9) -> list[list[BoxPrediction]]:
    """Ground truth as pixel detections, moved right by ``shift`` times the box width."""
    out = []
    for boxes, (width, height) in zip(truth, SIZES, strict=True):
        out.append(
            [
                BoxPrediction(
                    NAMES[c],
                    score,
                    round((x + shift * w) * width),
                    round(y * height),
                    round(w * width),
                    round(h * height),
                )
                for c, x, y, w, h in boxes
            ]
        )
    return out


def test_ground_truth_fed_back_scores_one() -> None:
    metrics = detection_metrics(TRUTH, as_predictions(TRUTH), NAMES, SIZES)
    assert (metrics["map30"], metrics["map50"], metrics["map75"]) == (1.0, 1.0, 1.0)
    assert metrics["per_class"]["cat"]["ap50"] == 1.0
    assert metrics["objects"] == 3


def test_shifted_boxes_score_lower_in_order() -> None:
    # Shifting by d of the width gives IoU (1 - d) / (1 + d): 0.2 -> 0.667, 0.4 -> 0.429, 0.6 -> 0.25.
    slight = detection_metrics(TRUTH, as_predictions(TRUTH, 0.2), NAMES, SIZES)
    assert (slight["map30"], slight["map50"], slight["map75"]) == (1.0, 1.0, 0.0)
    more = detection_metrics(TRUTH, as_predictions(TRUTH, 0.4), NAMES, SIZES)
    assert (more["map30"], more["map50"], more["map75"]) == (1.0, 0.0, 0.0)
    far = detection_metrics(TRUTH, as_predictions(TRUTH, 0.6), NAMES, SIZES)
    assert (far["map30"], far["map50"], far["map75"]) == (0.0, 0.0, 0.0)


def test_a_false_positive_between_hits_gives_interpolated_ap() -> None:
    truth = [[(0, 0.1, 0.1, 0.2, 0.2)], [(0, 0.5, 0.5, 0.2, 0.2)]]
    found = [
        [BoxPrediction("cat", 0.9, 20, 10, 40, 20), BoxPrediction("cat", 0.8, 150, 70, 40, 20)],  # hit, miss
        [BoxPrediction("cat", 0.7, 150, 150, 60, 60)],  # hit
    ]
    metrics = detection_metrics(truth, found, NAMES, SIZES)
    # Precision 1 up to recall 0.5, then 2/3 up to recall 1: COCO's 101 recall points give
    # (51 * 1 + 50 * 2/3) / 101.
    assert metrics["map50"] == pytest.approx((51 + 50 * 2 / 3) / 101)
    assert metrics["per_class"]["cat"]["ap50"] == pytest.approx((51 + 50 * 2 / 3) / 101)
    assert metrics["per_class"]["dog"]["ap50"] is None


def test_no_detections_score_zero() -> None:
    metrics = detection_metrics(TRUTH, [[], []], NAMES, SIZES)
    assert (metrics["map30"], metrics["map50"], metrics["map75"]) == (0.0, 0.0, 0.0)
    assert metrics["per_class"]["dog"]["ap50"] == 0.0
