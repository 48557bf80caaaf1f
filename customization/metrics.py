"""Where a model goes wrong, computed from the per-image predictions an *Analyze errors* job stored.

Pure functions, no database: the model page's figures, the error gallery's order and the browser's
threshold slider (``static/js/evaluation.js``) all come from here.

**Matching** (as customvision.ai does it). For a detector, an image's predictions are taken in
order of confidence, highest first (ties keep the service's order); each one is a true positive
when it overlaps, with IoU ≥ 0.5, a ground-truth box *of the same tag* that no earlier prediction
matched (the unmatched box with the highest IoU is taken), else a false positive. Ground-truth
boxes left unmatched are false negatives. For a classifier, a tag is predicted when its
probability is at or above the threshold; it is a true positive when the image carries that label.

Greedy matching in confidence order decides each prediction from the higher ones only, so the
matching at a threshold ``t`` is the matching of all predictions cut at ``t``. The matching is
therefore done once (here), each prediction keeps a true/false flag, and the precision and recall
at any threshold are counts over ``confidence ≥ t``: that is what the page embeds for the slider.

**Error score** of an image (the gallery shows the worst first), independent of any threshold:

    score = Σ confidence of each false positive  +  Σ (1 − confidence of the match) of each truth

A ground-truth object no prediction matched adds 1; one matched by a 30 % prediction adds 0.7; a
confident false positive adds its confidence. A wrong class costs both (its confidence, and 1 for
the object it missed), so it scores highest. For a classifier with probabilities that sum to 1, the
score is 2 × (1 − the true label's probability). Ties are ordered by image id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

IOU_MATCH = 0.5
DEFAULT_THRESHOLD = 0.5
LEVELS = 101  # the slider's thresholds: 0 %, 1 %, … 100 %
CURVE_STEPS = 400  # a drawn curve keeps a few points per 0.25 % of recall (half a unit of its plot)
SUMMARY_VERSION = 1

Box = tuple[float, float, float, float]  # x, y, w, h, relative to the image


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Scored:
    """One prediction after matching."""

    tag: str
    confidence: float
    tp: bool
    wrong_class: bool = False  # a false positive on an object of another tag (detection)


@dataclass
class ImageOutcome:
    scored: list[Scored]
    truth: Counter  # tag -> number of ground-truth objects (classification: 1 per label)
    matched: list[tuple[str, float]]  # per ground truth: its tag and the confidence that matched it (0: none)
    score: float = 0.0

    def counts(self, threshold: float) -> dict[str, int]:
        """False positives (other than wrong classes), missed objects and wrong classes at ``threshold``."""
        return {
            "false_positives": sum(
                1 for s in self.scored if not s.tp and not s.wrong_class and s.confidence >= threshold
            ),
            "missed": sum(1 for _, c in self.matched if c < threshold),
            "wrong_class": sum(1 for s in self.scored if s.wrong_class and s.confidence >= threshold),
        }


def _order(predictions: Sequence[Sequence]) -> list[int]:
    # Highest confidence first; sorted() is stable, so ties keep the service's order.
    return sorted(range(len(predictions)), key=lambda i: -float(predictions[i][1]))


def image_outcome(kind: str, truth: dict, predictions: Sequence[Sequence]) -> ImageOutcome:
    """Match one image's predictions to its ground truth.

    ``truth`` is ``{"labels": [tag, ...], "boxes": [[tag, x, y, w, h], ...]}`` (relative boxes);
    ``predictions`` are ``[tag, confidence]`` (classification) or ``[tag, confidence, x, y, w, h]``.
    """
    scored: list[Scored] = []
    if kind == "imageObjectDetection":
        boxes = [(str(b[0]), tuple(float(v) for v in b[1:5])) for b in truth.get("boxes") or []]
        taken: list[float | None] = [None] * len(boxes)
        for i in _order(predictions):
            tag, confidence, box = str(predictions[i][0]), float(predictions[i][1]), predictions[i][2:6]
            best, best_iou, other = -1, IOU_MATCH, False
            for j, (truth_tag, truth_box) in enumerate(boxes):
                overlap = iou(box, truth_box)
                if truth_tag != tag:
                    other = other or overlap >= IOU_MATCH
                elif taken[j] is None and overlap >= best_iou and (best < 0 or overlap > best_iou):
                    best, best_iou = j, overlap
            if best >= 0:
                taken[best] = confidence
            scored.append(Scored(tag, confidence, best >= 0, best < 0 and other))
        truth_counts = Counter(tag for tag, _ in boxes)
        matched = [(tag, taken[j] or 0.0) for j, (tag, _) in enumerate(boxes)]
    else:
        labels = list(dict.fromkeys(str(t) for t in truth.get("labels") or []))
        best: dict[str, float] = {}
        for i in _order(predictions):
            tag, confidence = str(predictions[i][0]), float(predictions[i][1])
            hit = tag in labels and tag not in best
            if hit:
                best[tag] = confidence
            # A tag the image does not carry, on an image that carries another: the wrong class.
            scored.append(Scored(tag, confidence, hit, not hit and bool(labels) and tag not in labels))
        truth_counts = Counter(labels)
        matched = [(tag, best.get(tag, 0.0)) for tag in labels]
    outcome = ImageOutcome(scored, truth_counts, matched)
    outcome.score = round(sum(s.confidence for s in scored if not s.tp) + sum(1 - c for _, c in matched), 6)
    return outcome


# --- Precision and recall at a threshold ----------------------------------------------------------


@dataclass
class TagData:
    """What the slider needs for one tag: each prediction's confidence and flag, and the truth count."""

    tag: str
    truth: int = 0
    scores: list[tuple[float, bool]] = field(default_factory=list)


def tag_data(outcomes: Iterable[ImageOutcome], tags: Sequence[str] = ()) -> dict[str, TagData]:
    """Per tag (the dataset's tags first, in their order), from every image's outcome."""
    data = {tag: TagData(tag) for tag in tags}
    for outcome in outcomes:
        for tag, n in outcome.truth.items():
            data.setdefault(tag, TagData(tag)).truth += n
        for s in outcome.scored:
            data.setdefault(s.tag, TagData(s.tag)).scores.append((s.confidence, s.tp))
    for d in data.values():
        d.scores.sort(key=lambda p: -p[0])
    return data


@dataclass(frozen=True)
class PR:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def pr_at(d: TagData, threshold: float) -> PR:
    tp = sum(1 for c, hit in d.scores if hit and c >= threshold)
    fp = sum(1 for c, hit in d.scores if not hit and c >= threshold)
    return PR(tp, fp, d.truth - tp)


def overall_at(data: dict[str, TagData], threshold: float) -> PR:
    """Every tag's counts summed (micro average), as customvision.ai's overall figures."""
    rows = [pr_at(d, threshold) for d in data.values()]
    return PR(sum(r.tp for r in rows), sum(r.fp for r in rows), sum(r.fn for r in rows))


def pr_curve(d: TagData) -> list[tuple[float, float, float]]:
    """(threshold, recall, precision) at each distinct confidence, highest first."""
    points: list[tuple[float, float, float]] = []
    tp = fp = 0
    for n, (confidence, hit) in enumerate(d.scores):
        tp, fp = tp + hit, fp + (not hit)
        if n + 1 < len(d.scores) and d.scores[n + 1][0] == confidence:
            continue  # one point per threshold: ties are in or out together
        points.append((confidence, tp / d.truth if d.truth else 0.0, tp / (tp + fp)))
    return points


def average_precision(d: TagData) -> float | None:
    """Area under the PR curve with precision made monotone (all-point interpolation, as VOC)."""
    if not d.truth:
        return None
    points = pr_curve(d)
    best_from, best = [0.0] * len(points), 0.0  # the best precision at this point or after it
    for n in range(len(points) - 1, -1, -1):
        best = best_from[n] = max(best, points[n][2])
    area, previous_recall = 0.0, 0.0
    for (_, recall, _), best in zip(points, best_from, strict=True):
        area += (recall - previous_recall) * best
        previous_recall = recall
    return area


def counts_by_percent(d: TagData) -> tuple[list[int], list[int]]:
    """The slider's counts: ``tp[k]`` and ``fp[k]`` are the right and wrong predictions with
    confidence ≥ k / 100, for k = 0 … 100 (the same comparison as pr_at)."""
    tp, fp = [0] * LEVELS, [0] * LEVELS
    n = right = wrong = 0
    for k in range(LEVELS - 1, -1, -1):
        while n < len(d.scores) and d.scores[n][0] >= k / 100:
            right, wrong = right + d.scores[n][1], wrong + (not d.scores[n][1])
            n += 1
        tp[k], fp[k] = right, wrong
    return tp, fp


def curve_outline(points: Sequence[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """At most 4 × CURVE_STEPS of a PR curve's points, drawn the same: per step of recall of
    1 / CURVE_STEPS, the first and last point and those of lowest and highest precision."""
    if len(points) <= 4 * CURVE_STEPS:
        return list(points)
    kept: list[tuple[float, float, float]] = []
    bucket: list[tuple[float, float, float]] = []

    def flush() -> None:
        low = min(bucket, key=lambda p: p[2])
        high = max(bucket, key=lambda p: p[2])
        chosen = {id(p) for p in (bucket[0], low, high, bucket[-1])}
        kept.extend(p for p in bucket if id(p) in chosen)

    for point in points:
        if bucket and int(point[1] * CURVE_STEPS) != int(bucket[0][1] * CURVE_STEPS):
            flush()
            bucket = []
        bucket.append(point)
    if bucket:
        flush()
    return kept


def confusion(
    outcomes: Iterable[tuple[dict, Sequence[Sequence]]], tags: Sequence[str]
) -> tuple[list[str], list[list[int]]]:
    """A classifier's confusion matrix: rows are the true label, columns the top prediction.

    Images without a label or without a prediction are left out; tags seen only in predictions
    get a row and column too."""
    pairs = Counter(p for truth, predictions in outcomes if (p := _top_pair(truth, predictions)))
    return _matrix(pairs, tags)


def _top_pair(truth: dict, predictions: Sequence[Sequence]) -> tuple[str, str] | None:
    """(the first true label, the top prediction), or None when either is missing."""
    labels = truth.get("labels") or []
    if not labels or not predictions:
        return None
    return str(labels[0]), str(predictions[_order(predictions)[0]][0])


def _matrix(pairs: Counter, tags: Sequence[str]) -> tuple[list[str], list[list[int]]]:
    names = list(tags)
    for pair in pairs:  # first seen first
        names.extend(t for t in pair if t not in names)
    position = {name: n for n, name in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for (true, predicted), count in pairs.items():
        matrix[position[true]][position[predicted]] += count
    return names, matrix


# --- What the model page keeps of an analysis -----------------------------------------------------


def summarize(kind: str, images: Iterable[tuple[dict, Sequence[Sequence]]], tags: Sequence[str]) -> dict:
    """Everything the model page shows of an analysis, in one pass over its answered images
    (``(truth, predictions)``, streamed): per tag the truth count, AP, the drawn curve and the
    slider's counts at every percent; a classifier's confusion matrix. A few kilobytes at any
    number of images, so the page never reads the images again (customization/analysis_summary.py)."""
    pairs: Counter = Counter()
    answered = 0

    def outcomes() -> Iterable[ImageOutcome]:
        nonlocal answered
        for truth, predictions in images:
            answered += 1
            if kind != "imageObjectDetection" and (pair := _top_pair(truth, predictions)):
                pairs[pair] += 1
            yield image_outcome(kind, truth, predictions)

    rows = []
    for d in tag_data(outcomes(), tags).values():
        if not (d.truth or d.scores):
            continue
        tp, fp = counts_by_percent(d)
        ap = average_precision(d)
        curve = [[round(v, 6) for v in p] for p in curve_outline(pr_curve(d))]
        rows.append({"tag": d.tag, "truth": d.truth, "ap": ap, "curve": curve, "tp": tp, "fp": fp})
    summary = {"version": SUMMARY_VERSION, "answered": answered, "tags": rows, "confusion": None}
    if kind != "imageObjectDetection":
        names, matrix = _matrix(pairs, [r["tag"] for r in rows])
        summary["confusion"] = {"names": names, "matrix": matrix} if names else None
    return summary
