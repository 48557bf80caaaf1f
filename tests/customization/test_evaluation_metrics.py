"""Precision and recall at a threshold, the curves, the confusion matrix and the error score,
against a hand computation on fixed predictions (the browser test checks the slider's script
against the same figures: tests/e2e/test_evaluation_page.py)."""

from __future__ import annotations

import random

import pytest

from customization import metrics

DET = "imageObjectDetection"
CLS = "imageClassification"

# Three detection images (relative boxes). By hand, greedy by confidence, IoU >= 0.5, same tag:
# 1: A .9 exact on A -> TP; A .8 on the same A (IoU .905, taken) -> FP; B .4 exact on B -> TP
# 2: B .7 exactly on an A box -> FP (wrong class); A .3 far away -> FP; the A box is missed
# 3: one B box, no prediction -> missed
DETECTION = [
    (
        {"labels": ["A", "B"], "boxes": [["A", 0.1, 0.1, 0.2, 0.2], ["B", 0.6, 0.6, 0.2, 0.2]]},
        [["A", 0.9, 0.1, 0.1, 0.2, 0.2], ["A", 0.8, 0.11, 0.1, 0.2, 0.2], ["B", 0.4, 0.6, 0.6, 0.2, 0.2]],
    ),
    (
        {"labels": ["A"], "boxes": [["A", 0.5, 0.5, 0.3, 0.3]]},
        [["B", 0.7, 0.5, 0.5, 0.3, 0.3], ["A", 0.3, 0.0, 0.0, 0.1, 0.1]],
    ),
    ({"labels": ["B"], "boxes": [["B", 0.2, 0.2, 0.4, 0.4]]}, []),
]
# Truth A: 2, B: 2.  (threshold: {tag: (tp, fp, fn)}, overall (tp, fp, fn))
DETECTION_HAND = {
    0.5: ({"A": (1, 1, 1), "B": (0, 1, 2)}, (1, 2, 3)),
    0.35: ({"A": (1, 1, 1), "B": (1, 1, 1)}, (2, 2, 2)),
    0.2: ({"A": (1, 2, 1), "B": (1, 1, 1)}, (2, 3, 2)),
    0.95: ({"A": (0, 0, 2), "B": (0, 0, 2)}, (0, 0, 4)),
}

CLASSIFICATION = [
    ({"labels": ["cat"], "boxes": []}, [["cat", 0.8], ["dog", 0.15], ["bird", 0.05]]),
    ({"labels": ["dog"], "boxes": []}, [["cat", 0.6], ["dog", 0.35], ["bird", 0.05]]),
    ({"labels": ["bird"], "boxes": []}, [["bird", 0.5], ["cat", 0.3], ["dog", 0.2]]),
    ({"labels": ["cat"], "boxes": []}, [["dog", 0.55], ["cat", 0.45], ["bird", 0.0]]),
]
CLASSIFICATION_HAND = {
    # at .5: cat predicted on 1 (TP) and 2 (FP); bird on 3 (TP, .5 is at the threshold); dog on 4 (FP)
    0.5: ({"cat": (1, 1, 1), "dog": (0, 1, 1), "bird": (1, 0, 0)}, (2, 2, 2)),
    # at .3: 1 cat TP; 2 cat FP, dog TP; 3 bird TP, cat FP; 4 dog FP, cat TP
    0.3: ({"cat": (2, 2, 0), "dog": (1, 1, 0), "bird": (1, 0, 0)}, (4, 3, 0)),
}


def _data(kind, images, tags):
    return metrics.tag_data([metrics.image_outcome(kind, t, p) for t, p in images], tags)


@pytest.mark.parametrize("threshold", sorted(DETECTION_HAND))
def test_it_counts_detections_as_by_hand(threshold):
    data = _data(DET, DETECTION, ["A", "B"])
    per_tag, overall = DETECTION_HAND[threshold]
    for tag, (tp, fp, fn) in per_tag.items():
        assert metrics.pr_at(data[tag], threshold) == metrics.PR(tp, fp, fn), tag
    assert metrics.overall_at(data, threshold) == metrics.PR(*overall)


@pytest.mark.parametrize("threshold", sorted(CLASSIFICATION_HAND))
def test_it_counts_classifications_as_by_hand(threshold):
    data = _data(CLS, CLASSIFICATION, ["cat", "dog", "bird"])
    per_tag, overall = CLASSIFICATION_HAND[threshold]
    for tag, (tp, fp, fn) in per_tag.items():
        assert metrics.pr_at(data[tag], threshold) == metrics.PR(tp, fp, fn), tag
    assert metrics.overall_at(data, threshold) == metrics.PR(*overall)


def test_precision_and_recall_are_the_ratios_and_none_when_undefined():
    data = _data(DET, DETECTION, ["A", "B"])
    at_half = metrics.overall_at(data, 0.5)
    assert (at_half.precision, at_half.recall) == (pytest.approx(1 / 3), pytest.approx(1 / 4))
    nothing = metrics.overall_at(data, 0.95)
    assert (nothing.precision, nothing.recall) == (None, 0.0)  # no prediction: no precision


def test_the_matching_is_greedy_by_confidence_and_one_truth_is_matched_once():
    outcome = metrics.image_outcome(DET, *DETECTION[0])
    assert [(s.tag, s.confidence, s.tp) for s in outcome.scored] == [
        ("A", 0.9, True),
        ("A", 0.8, False),
        ("B", 0.4, True),
    ]
    wrong = metrics.image_outcome(DET, *DETECTION[1])
    assert [s.wrong_class for s in wrong.scored] == [True, False]
    assert wrong.counts(0.5) == {"false_positives": 0, "missed": 1, "wrong_class": 1}
    assert wrong.counts(0.2) == {"false_positives": 1, "missed": 1, "wrong_class": 1}
    dog_as_cat = metrics.image_outcome(CLS, *CLASSIFICATION[1])
    assert dog_as_cat.counts(0.5) == {"false_positives": 0, "missed": 1, "wrong_class": 1}


def test_a_tie_in_iou_goes_to_the_first_box_and_a_lower_iou_never_steals():
    truth = {"labels": ["A", "A"], "boxes": [["A", 0.0, 0.0, 0.4, 0.4], ["A", 0.05, 0.0, 0.4, 0.4]]}
    # The first prediction overlaps the second box best; the second then takes the first box.
    outcome = metrics.image_outcome(
        DET, truth, [["A", 0.9, 0.05, 0.0, 0.4, 0.4], ["A", 0.8, 0.0, 0.0, 0.4, 0.4]]
    )
    assert [s.tp for s in outcome.scored] == [True, True]
    assert outcome.matched == [("A", 0.8), ("A", 0.9)]


def test_the_error_score_is_false_positive_confidence_plus_what_each_truth_missed():
    scores = [metrics.image_outcome(DET, t, p).score for t, p in DETECTION]
    # 1: FP .8 + (1 - .9) + (1 - .4) = 1.5; 2: FPs .7 + .3, A missed 1 = 2.0; 3: B missed = 1.0
    assert scores == [pytest.approx(1.5), pytest.approx(2.0), pytest.approx(1.0)]
    scores = [metrics.image_outcome(CLS, t, p).score for t, p in CLASSIFICATION]
    # 2 x (1 - the true label's probability)
    assert scores == [pytest.approx(0.4), pytest.approx(1.3), pytest.approx(1.0), pytest.approx(1.1)]


def test_the_curve_has_one_point_per_threshold_and_the_ap_is_its_area():
    data = _data(DET, DETECTION, ["A", "B"])
    assert metrics.pr_curve(data["A"]) == [(0.9, 0.5, 1.0), (0.8, 0.5, 0.5), (0.3, 0.5, pytest.approx(1 / 3))]
    assert metrics.average_precision(data["A"]) == pytest.approx(0.5)
    # B: .7 FP, then .4 TP -> (recall .5, precision .5): area .25
    assert metrics.average_precision(data["B"]) == pytest.approx(0.25)
    tied = metrics.TagData("t", truth=2, scores=[(0.6, True), (0.6, False), (0.2, True)])
    assert metrics.pr_curve(tied) == [(0.6, 0.5, 0.5), (0.2, 1.0, pytest.approx(2 / 3))]


def test_the_confusion_matrix_counts_the_top_prediction_per_true_label():
    names, matrix = metrics.confusion(CLASSIFICATION, ["cat", "dog", "bird"])
    assert names == ["cat", "dog", "bird"]
    assert matrix == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]


@pytest.mark.parametrize(
    ("kind", "images", "tags", "hand"),
    [
        (DET, DETECTION, ["A", "B"], DETECTION_HAND),
        (CLS, CLASSIFICATION, ["cat", "dog", "bird"], CLASSIFICATION_HAND),
    ],
)
def test_the_summary_keeps_the_hand_counts_at_every_percent(kind, images, tags, hand):
    summary = metrics.summarize(kind, iter(images), tags)  # streamed: a generator is enough
    assert summary["answered"] == len(images)
    rows = {r["tag"]: r for r in summary["tags"]}
    for threshold, (per_tag, _) in hand.items():
        level = round(threshold * 100)
        for tag, (tp, fp, fn) in per_tag.items():
            assert (rows[tag]["tp"][level], rows[tag]["fp"][level]) == (tp, fp), (tag, threshold)
            assert rows[tag]["truth"] - rows[tag]["tp"][level] == fn
    data = _data(kind, images, tags)
    for tag, row in rows.items():
        assert row["ap"] == pytest.approx(metrics.average_precision(data[tag]))
        assert [tuple(p) for p in row["curve"]] == [pytest.approx(p) for p in metrics.pr_curve(data[tag])]
    if kind == CLS:
        assert summary["confusion"] == {"names": tags, "matrix": metrics.confusion(images, tags)[1]}
    else:
        assert summary["confusion"] is None


def _quadratic_ap(d):
    """The definition, as written before: the best precision at or after each point (O(P²))."""
    points = metrics.pr_curve(d)
    area, previous = 0.0, 0.0
    for n, (_, recall, _) in enumerate(points):
        area += (recall - previous) * max(p for _, _, p in points[n:])
        previous = recall
    return area


def test_the_average_precision_of_a_long_curve_is_the_definition():
    rng = random.Random(3)
    scores = sorted(((round(rng.random(), 3), rng.random() < 0.4) for _ in range(3000)), key=lambda s: -s[0])
    d = metrics.TagData("t", truth=1500, scores=scores)
    assert metrics.average_precision(d) == pytest.approx(_quadratic_ap(d))


def test_a_curve_of_a_hundred_thousand_points_is_drawn_from_a_few_thousand():
    rng = random.Random(4)
    scores = sorted(((rng.random(), rng.random() < 0.5) for _ in range(100_000)), key=lambda s: -s[0])
    points = metrics.pr_curve(metrics.TagData("t", truth=60_000, scores=scores))
    kept = metrics.curve_outline(points)
    assert len(kept) <= 4 * (metrics.CURVE_STEPS + 1) < len(points)
    assert kept[0] == points[0] and kept[-1] == points[-1]
    position = {id(p): n for n, p in enumerate(points)}
    assert all(id(p) in position for p in kept)  # no point made up
    assert [position[id(p)] for p in kept] == sorted(position[id(p)] for p in kept)  # in order
    # Within each step of recall the lowest and highest precision survive.
    step = [p[2] for p in points if int(p[1] * metrics.CURVE_STEPS) == 120]
    kept_step = {p[2] for p in kept if int(p[1] * metrics.CURVE_STEPS) == 120}
    assert len(step) > 4 and {min(step), max(step)} <= kept_step
    short = points[:500]
    assert metrics.curve_outline(short) == short
