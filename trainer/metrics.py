"""Held-out metrics, computed the way Azure reports them.

Classification: average precision (sklearn, one-vs-rest, macro over the classes present), top-1,
top-5 (None below 6 classes: trivially 1.0 there, so the UI shows "n/a"), per-class precision,
recall and AP. Detection: COCO mAP at IoU 0.30, 0.50 and 0.75 from pycocotools' ``COCOeval``
(one run per threshold with ``params.iouThrs = [t]``; ``stats[0]``: all areas, 100 detections).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, top_k_accuracy_score

from trainer.data import Box
from trainer.model import BoxPrediction

IOU_THRESHOLDS = {"map30": 0.30, "map50": 0.50, "map75": 0.75}


def classification_metrics(
    y_true: Sequence[int], scores: np.ndarray, class_names: Sequence[str]
) -> dict[str, Any]:
    """Metrics for labels ``y_true`` (class indices) and scores ``[N, C]`` (columns in class order)."""
    y = np.asarray(y_true, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    count = len(class_names)
    if scores.shape != (len(y), count):
        raise ValueError(f"scores must be [{len(y)}, {count}], got {list(scores.shape)}")
    if not len(y):
        raise ValueError("no samples to evaluate")
    onehot = np.eye(count, dtype=np.int64)[y]
    present = [c for c in range(count) if onehot[:, c].any()]
    per_class_ap = {c: float(average_precision_score(onehot[:, c], scores[:, c])) for c in present}
    predicted = scores.argmax(1)
    precision, recall, _, support = precision_recall_fscore_support(
        y, predicted, labels=list(range(count)), zero_division=0
    )
    return {
        "average_precision": float(np.mean(list(per_class_ap.values()))),
        "top1": float((predicted == y).mean()),
        "top5": float(top_k_accuracy_score(y, scores, k=5, labels=list(range(count)))) if count > 5 else None,
        "images": len(y),
        "per_class": {
            name: {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "ap": per_class_ap.get(c),
                "images": int(support[c]),
            }
            for c, name in enumerate(class_names)
        },
    }


def detection_metrics(
    ground_truth: Sequence[Sequence[Box]],
    predictions: Sequence[Sequence[BoxPrediction]],
    class_names: Sequence[str],
    image_sizes: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """COCO mAP for per-image ground truth (relative boxes) against pixel-box predictions.

    ``image_sizes`` are ``(width, height)``; predictions name their class, ground truth indexes it.
    """
    if not len(ground_truth) == len(predictions) == len(image_sizes):
        raise ValueError("ground_truth, predictions and image_sizes must have one entry per image")
    index = {name: i for i, name in enumerate(class_names)}
    images, annotations, detections = [], [], []
    for image_id, (boxes, found, (width, height)) in enumerate(
        zip(ground_truth, predictions, image_sizes, strict=True), start=1
    ):
        images.append({"id": image_id, "width": width, "height": height})
        for cls, left, top, w, h in boxes:
            box = [left * width, top * height, w * width, h * height]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": cls + 1,
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": 0,
                }
            )
        for p in found:
            detections.append(
                {
                    "image_id": image_id,
                    "category_id": index[p.class_name] + 1,
                    "bbox": [float(p.x), float(p.y), float(p.w), float(p.h)],
                    "score": float(p.confidence),
                }
            )
    present = sorted({a["category_id"] - 1 for a in annotations})
    result: dict[str, Any] = {"images": len(images), "objects": len(annotations)}
    per_class: dict[str, dict[str, Any]] = {
        name: {"ap50": None, "objects": sum(a["category_id"] == c + 1 for a in annotations)}
        for c, name in enumerate(class_names)
    }
    if not annotations:
        raise ValueError("no ground-truth boxes to evaluate against")
    if not detections:
        result.update(dict.fromkeys(IOU_THRESHOLDS, 0.0))
        for c in present:
            per_class[class_names[c]]["ap50"] = 0.0
        result["per_class"] = per_class
        return result
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        truth = COCO()
        truth.dataset = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": c + 1, "name": n} for c, n in enumerate(class_names)],
        }
        truth.createIndex()
        found = truth.loadRes(detections)
        for key, threshold in IOU_THRESHOLDS.items():
            evaluation = COCOeval(truth, found, "bbox")
            evaluation.params.iouThrs = np.array([threshold])
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
            result[key] = max(float(evaluation.stats[0]), 0.0)
            if key == "map50":
                # precision[T, R, K, A, M]: area "all" (0), 100 detections (-1); -1 marks no ground truth
                precision = evaluation.eval["precision"][0, :, :, 0, -1]
                for c in present:
                    column = precision[:, c]
                    per_class[class_names[c]]["ap50"] = float(column[column > -1].mean())
    result["per_class"] = per_class
    return result
