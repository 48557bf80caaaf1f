"""Reads for the model page's evaluation section and the error gallery: the service's figures with
readable labels, and everything computed from an *Analyze errors* run (customization/metrics.py).

Every lookup is scoped to the workspace; an analysis of another workspace is never found.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.paginator import Page, Paginator

from config.colors import category_hex, text_hex
from customization import metrics
from customization.analysis_summary import analysis_summary
from customization.models import AnalyzedImage, DatasetRecord, ErrorAnalysis
from customization.svg import confusion_svg, pr_curve_svg
from jobs.labels import duration_text
from workspaces.models import Workspace

PAGE_SIZE = 24  # as the dataset gallery

# The wire's per-tag keys (tagPerformance) as a person reads them; detectors and classifiers differ.
TAG_KEYS = {
    "imageObjectDetection": {"averagePrecision50": "AP@50 (IoU 0.5)", "accuracy": "Accuracy"},
    "imageClassification": {"averagePrecision50": "Average precision", "accuracy": "Accuracy"},
}
EVALUATED_ON = {
    "testDataset": "the evaluation dataset",
    "heldOutSplit": "20% of the training images, held out (not trained on)",
}
DETAIL_LABELS = {
    "backbone": "Backbone",
    "evaluatedOn": "Evaluated on",
    "trainingImages": "Training images",
    "evaluationImages": "Held-out images",
    "steps": "Training steps",
    "trainingSeconds": "Training time",
    "device": "Device",
    "finalLoss": "Final loss",
    "unlabelledImages": "Images without a label (left out)",
    "unknownClassLabels": "Test labels of unknown classes (left out)",
}


def words(key: str) -> str:
    """``someWireKey`` → "Some wire key", for a key no table names."""
    spaced = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", key).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower()


def performance_kind(model: dict | None) -> str:
    kind = ((model or {}).get("trainingParameters") or {}).get("modelKind", "")
    return "imageClassification" if kind == "Generic-Classifier" else "imageObjectDetection"


def tag_table(performance: dict, annotation_kind: str) -> tuple[list[str], list[tuple[str, list]]]:
    """The per-tag table: readable column labels, and per tag its values; a column no tag fills
    (a detector's Accuracy) is left out."""
    per_tag = performance.get("tagPerformance") or {}
    keys: list[str] = []
    for values in per_tag.values():
        for key, value in (values or {}).items():
            if value is not None and key not in keys:
                keys.append(key)
    names = TAG_KEYS.get(annotation_kind, {})
    rows = [(tag, [(values or {}).get(k) for k in keys]) for tag, values in sorted(per_tag.items())]
    return [names.get(k) or words(k) for k in keys], rows


def sandbox_details(model: dict | None) -> list[tuple[str, Any]]:
    """The local service's own facts about a training (``sandboxDetails``, not in Azure's schema)."""
    details = (model or {}).get("sandboxDetails") or {}
    rows = []
    for key, value in details.items():
        if value in (None, ""):
            continue
        if key == "evaluatedOn":
            value = EVALUATED_ON.get(value, value)
            test = ((model or {}).get("evaluationParameters") or {}).get("testDatasetName")
            if details.get("evaluatedOn") == "testDataset" and test:
                value = f"{value} {test}"
        rows.append((DETAIL_LABELS.get(key) or words(key), key, value))
    order = list(DETAIL_LABELS)
    rows.sort(key=lambda r: order.index(r[1]) if r[1] in order else len(order))
    shown = []
    for label, key, value in rows:
        if key == "trainingSeconds" and isinstance(value, int | float):
            value = duration_text(float(value))
        elif key == "device":
            value = str(value).upper() if str(value).lower() in ("cpu", "cuda") else value
        elif isinstance(value, dict | list):
            value = (
                ", ".join(f"{k}: {v}" for k, v in value.items())
                if isinstance(value, dict)
                else ", ".join(map(str, value))
            )
        shown.append((label, value))
    return shown


@dataclass
class HeldOut:
    """How many images (and objects) the service's figures were computed on, where that is known."""

    images: int | None = None
    objects: int | None = None
    source: str = ""


def held_out(*, workspace: Workspace, model: dict | None, analysis: ErrorAnalysis | None) -> HeldOut:
    details = (model or {}).get("sandboxDetails") or {}
    test = ((model or {}).get("evaluationParameters") or {}).get("testDatasetName")
    if analysis and analysis.held_out and analysis.dataset == test:
        return HeldOut(analysis.images, analysis.truth_objects, f"the evaluation dataset {test}")
    if test:
        record = DatasetRecord.objects.filter(workspace=workspace, name=test).first()
        if record:
            return HeldOut(
                record.images, sum(record.per_category.values()) or None, f"the evaluation dataset {test}"
            )
    if details.get("evaluationImages") is not None:
        return HeldOut(details["evaluationImages"], None, EVALUATED_ON.get(details.get("evaluatedOn"), ""))
    return HeldOut()


# --- Analyses ------------------------------------------------------------------------------------


def analyses_for(*, workspace: Workspace, model: str) -> list[ErrorAnalysis]:
    return list(
        ErrorAnalysis.objects.filter(workspace=workspace, model_name=model, complete=True)
        .select_related("started_by")
        .order_by("-created_at")[:20]
    )


def analysis_get(*, workspace: Workspace, model: str, analysis_id: str = "") -> ErrorAnalysis | None:
    """The analysis asked for (only among this workspace's, of this model), else the latest."""
    found = ErrorAnalysis.objects.filter(workspace=workspace, model_name=model, complete=True)
    if analysis_id:
        try:
            return found.filter(pk=uuid.UUID(str(analysis_id))).first()
        except ValueError:
            return None
    return found.order_by("-created_at").first()


def threshold_from(value: object, default: float = metrics.DEFAULT_THRESHOLD) -> tuple[float, str]:
    """A threshold from the query string (a fraction or a percentage), clamped; and a sentence
    when what was given could not be used."""
    if value in (None, ""):
        return default, ""
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        return default, f"“{str(value)[:20]}” is not a threshold: showing {default:.0%}."
    if number != number:  # NaN
        return default, f"“{str(value)[:20]}” is not a threshold: showing {default:.0%}."
    if number > 1:
        number /= 100  # 40 means 40 %
    # To a whole percent, as the slider moves (the page keeps the counts at each percent).
    return round(min(max(number, 0.0), 1.0) * 100) / 100, ""


def _percent(value: float | None) -> str:
    """As static/js/evaluation.js writes it (``toFixed(1)``: the exact value, halves up), so that
    the page's first figures and the slider's agree to the character."""
    if value is None:
        return "—"
    return f"{Decimal(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@dataclass
class TagRow:
    index: int
    tag: str
    truth: int
    pr: metrics.PR
    ap: float | None
    curve: Any = None

    @property
    def colour(self) -> str:
        return category_hex(self.tag)

    @property
    def text(self) -> str:
        return text_hex(self.colour)

    @property
    def precision(self) -> str:
        return _percent(self.pr.precision)

    @property
    def recall(self) -> str:
        return _percent(self.pr.recall)


@dataclass
class Figures:
    analysis: ErrorAnalysis
    threshold: float
    rows: list[TagRow]
    overall: metrics.PR
    slider: dict  # embedded as JSON for static/js/evaluation.js
    confusion: Any = None
    answered: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def precision(self) -> str:
        return _percent(self.overall.precision)

    @property
    def recall(self) -> str:
        return _percent(self.overall.recall)

    @property
    def percent(self) -> int:
        return round(self.threshold * 100)


def analysis_figures(analysis: ErrorAnalysis, threshold: float) -> Figures:
    """Precision and recall per tag and overall at ``threshold`` (to a whole percent), the curves,
    the confusion matrix (classifiers) and the data the slider recomputes them from, all from the
    analysis's summary (customization/analysis_summary.py)."""
    summary = analysis_summary(analysis)
    level = round(threshold * 100)
    rows = []
    for index, tag in enumerate(summary["tags"]):
        tp = tag["tp"][level]
        pr = metrics.PR(tp, tag["fp"][level], tag["truth"] - tp)
        row = TagRow(index, tag["tag"], tag["truth"], pr, tag["ap"])
        row.curve = pr_curve_svg(tag["tag"], index, tag["curve"])
        rows.append(row)
    overall = metrics.PR(*(sum(getattr(r.pr, k) for r in rows) for k in ("tp", "fp", "fn")))
    slider = {
        "threshold": level / 100,
        "tags": [{k: tag[k] for k in ("tag", "truth", "tp", "fp")} for tag in summary["tags"]],
    }
    figures = Figures(analysis, level / 100, rows, overall, slider, answered=summary["answered"])
    if summary["confusion"]:
        figures.confusion = confusion_svg(summary["confusion"]["names"], summary["confusion"]["matrix"])
    return figures


# --- The error gallery ---------------------------------------------------------------------------


@dataclass
class ErrorTile:
    row: AnalyzedImage
    outcome: metrics.ImageOutcome
    threshold: float

    @property
    def counts(self) -> dict[str, int]:
        return self.outcome.counts(self.threshold)

    @property
    def display_name(self) -> str:
        return self.row.file_name.rstrip("/").rsplit("/", 1)[-1] or self.row.file_name

    @property
    def truth(self) -> list[tuple[str, int, str]]:
        names = [b[0] for b in self.row.truth.get("boxes") or []] or list(self.row.truth.get("labels") or [])
        return [(n, c, category_hex(n)) for n, c in Counter(names).items()]

    @property
    def top(self) -> list[tuple[str, str, str]]:
        """The strongest predictions at or above the threshold (at most 4)."""
        shown = [s for s in self.outcome.scored if s.confidence >= self.threshold][:4]
        return [(s.tag, f"{s.confidence:.0%}", category_hex(s.tag)) for s in shown]


@dataclass
class ErrorPage:
    page: Page
    tiles: list[ErrorTile]
    tag: str
    tags: list[str]
    total: int
    note: str = ""


def error_page(*, analysis: ErrorAnalysis, tag: str, page: object, threshold: float) -> ErrorPage:
    """The worst images first (error score, then image id), filtered to a tag when it is one of the
    analysis's; 24 a page, a page out of range shows the last one."""
    rows = analysis.rows.order_by("-error_score", "image_id")
    tags = analysis_summary(analysis)["gallery_tags"]
    note = ""
    if tag and tag not in tags:
        note = f"This analysis has no tag named “{tag[:60]}”: showing every image."
        tag = ""
    if tag:
        rows = rows.filter(tags__contains=f"|{tag}|")
    paged = Paginator(rows, PAGE_SIZE).get_page(page)
    tiles = [
        ErrorTile(r, metrics.image_outcome(analysis.kind, r.truth, r.predictions), threshold) for r in paged
    ]
    return ErrorPage(paged, tiles, tag, tags, paged.paginator.count, note)


def analyzed_image_get(
    *, workspace: Workspace, analysis_id: uuid.UUID, image_id: int
) -> AnalyzedImage | None:
    return (
        AnalyzedImage.objects.filter(
            analysis__workspace=workspace, analysis_id=analysis_id, image_id=image_id
        )
        .select_related("analysis")
        .first()
    )


# --- Comparing models ----------------------------------------------------------------------------

AGGREGATES = [
    ("averagePrecision", "Average precision"),
    ("accuracyTop1", "Top-1 accuracy"),
    ("accuracyTop5", "Top-5 accuracy"),
    ("meanAveragePrecision30", "mAP@30"),
    ("meanAveragePrecision50", "mAP@50"),
    ("meanAveragePrecision75", "mAP@75"),
]


@dataclass
class Cell:
    text: str
    delta: str = ""  # the difference to the first model, signed
    trend: str = ""  # "better", "worse" or ""


def _cell(value: float | None, first: float | None, *, is_first: bool, percent: bool = False) -> Cell:
    if value is None:
        return Cell("—")
    text = _percent(value) if percent else f"{value:.3f}"
    if is_first or first is None:
        return Cell(text)
    delta = value - first
    shown = f"{delta * 100:+.1f} pt" if percent else f"{delta:+.3f}"
    trend = "better" if delta > 0.0005 else "worse" if delta < -0.0005 else ""
    return Cell(text, shown if trend else "±0", trend)


@dataclass
class CompareRow:
    label: str
    tag: str
    cells: list[Cell]


def model_comparison(*, workspace: Workspace, models: list[dict], threshold: float) -> dict:
    """The same figures side by side, each with its difference to the first model: the service's
    aggregates and per-tag values, and precision and recall per tag at ``threshold`` from each
    model's latest analysis."""
    if not models:
        return {}
    perfs = [m.get("modelPerformance") or {} for m in models]
    aggregates = []
    for key, label in AGGREGATES:
        values = [p.get(key) for p in perfs]
        if any(v is not None for v in values):
            aggregates.append(
                CompareRow(label, "", [_cell(v, values[0], is_first=n == 0) for n, v in enumerate(values)])
            )
    per_tag = []
    tags = sorted({t for p in perfs for t in (p.get("tagPerformance") or {})})
    kind = performance_kind(models[0])
    for tag in tags:
        rows = [(p.get("tagPerformance") or {}).get(tag) or {} for p in perfs]
        for key in dict.fromkeys(k for r in rows for k, v in r.items() if v is not None):
            values = [r.get(key) for r in rows]
            label = TAG_KEYS.get(kind, {}).get(key) or words(key)
            per_tag.append(
                CompareRow(label, tag, [_cell(v, values[0], is_first=n == 0) for n, v in enumerate(values)])
            )
    analyses = [analysis_get(workspace=workspace, model=m["name"]) for m in models]
    figures = [analysis_figures(a, threshold) if a else None for a in analyses]
    at_threshold = []
    analysed_tags = list(dict.fromkeys(r.tag for f in figures if f for r in f.rows))
    for tag in analysed_tags:
        found = [next((r for r in f.rows if r.tag == tag), None) if f else None for f in figures]
        for label, attr in (("Precision", "precision"), ("Recall", "recall")):
            values = [getattr(r.pr, attr) if r else None for r in found]
            at_threshold.append(
                CompareRow(
                    label,
                    tag,
                    [_cell(v, values[0], is_first=n == 0, percent=True) for n, v in enumerate(values)],
                )
            )
    if any(figures):
        for label, attr in (("Precision", "precision"), ("Recall", "recall")):
            values = [getattr(f.overall, attr) if f else None for f in figures]
            at_threshold.append(
                CompareRow(
                    label,
                    "All tags",
                    [_cell(v, values[0], is_first=n == 0, percent=True) for n, v in enumerate(values)],
                )
            )
    return {
        "aggregates": aggregates,
        "per_tag": per_tag,
        "at_threshold": at_threshold,
        "sources": list(zip(models, analyses, strict=True)),
        "percent": round(threshold * 100),
    }
