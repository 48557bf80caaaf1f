"""Inline SVG charts for the evaluation page, drawn by the server: precision-recall curves and a
classifier's confusion matrix.

The Content-Security-Policy refuses ``style=""``, so the charts use presentation attributes
(``fill``, ``stroke``: data colours) and classes from ``static/css/evaluation.css`` (fixed looks).
Every name reaches the markup through ``escape``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from config.colors import category_hex

# The plot area of a PR curve inside its viewBox; the slider's script reads it from data-plot.
CURVE_W, CURVE_H = 240, 200
PLOT = (36, 12, 192, 160)  # left, top, width, height


def _x(recall: float) -> float:
    return round(PLOT[0] + recall * PLOT[2], 2)


def _y(precision: float) -> float:
    return round(PLOT[1] + (1 - precision) * PLOT[3], 2)


def pr_curve_svg(tag: str, index: int, points: Sequence[tuple[float, float, float]]) -> SafeString:
    """One tag's precision-recall curve (a step line from recall 0), with a dot the slider moves."""
    left, top, width, height = PLOT
    parts = [
        f'<svg class="pr-curve" viewBox="0 0 {CURVE_W} {CURVE_H}" role="img" '
        f'aria-label="Precision-recall curve of {escape(tag)}" data-plot="{left} {top} {width} {height}">',
        f'<rect class="plot-bg" x="{left}" y="{top}" width="{width}" height="{height}"/>',
    ]
    for tick in (0.25, 0.5, 0.75):
        parts.append(f'<line class="grid" x1="{_x(tick)}" y1="{top}" x2="{_x(tick)}" y2="{top + height}"/>')
        parts.append(f'<line class="grid" x1="{left}" y1="{_y(tick)}" x2="{left + width}" y2="{_y(tick)}"/>')
    for tick in (0, 0.5, 1):
        parts.append(
            f'<text class="tick" x="{_x(tick)}" y="{top + height + 12}" text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text class="tick" x="{left - 4}" y="{_y(tick) + 3}" text-anchor="end">{tick:g}</text>'
        )
    parts.append(
        f'<text class="axis" x="{left + width / 2}" y="{CURVE_H - 2}" text-anchor="middle">Recall</text>'
        f'<text class="axis" x="10" y="{top + height / 2}" text-anchor="middle" '
        f'transform="rotate(-90 10 {top + height / 2})">Precision</text>'
    )
    if points:
        coords, recall = [], 0.0
        for _, r, p in points:
            coords += [f"{_x(recall)},{_y(p)}", f"{_x(r)},{_y(p)}"]
            recall = r
        colour = category_hex(tag)
        parts.append(f'<polyline class="curve" points="{" ".join(coords)}" stroke="{colour}"/>')
        parts.append(
            f'<circle class="at-threshold" r="5" cx="-10" cy="-10" data-tag-index="{index}" fill="{colour}"/>'
        )
    else:
        parts.append(
            f'<text class="tick" x="{left + width / 2}" y="{top + height / 2}" text-anchor="middle">No predictions</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every name above is escaped)


def confusion_svg(names: Sequence[str], matrix: Sequence[Sequence[int]]) -> SafeString:
    """Rows: the true label; columns: the top prediction. Shades by the share of the row."""
    cell, label_w, label_h = 52, 110, 76
    n = len(names)
    width, height = label_w + n * cell + 4, label_h + n * cell + 4
    parts = [
        f'<svg class="confusion" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'aria-label="Confusion matrix: rows are the true label, columns the top prediction">'
    ]
    for j, name in enumerate(names):
        x = label_w + j * cell + cell / 2
        parts.append(
            f'<text class="cm-label" x="{x - 4}" y="{label_h - 8}" transform="rotate(-40 {x - 4} {label_h - 8})">'
            f"{escape(name[:18])}</text>"
        )
    for i, (name, row) in enumerate(zip(names, matrix, strict=True)):
        y = label_h + i * cell
        parts.append(
            f'<text class="cm-label" x="{label_w - 6}" y="{y + cell / 2 + 4}" text-anchor="end">{escape(name[:18])}</text>'
        )
        total = sum(row) or 1
        for j, count in enumerate(row):
            shade = min(5, round(5 * count / total)) if count else 0
            kind = "ok" if i == j else "err"
            x = label_w + j * cell
            parts.append(
                f'<rect class="cm-cell cm-{kind}-{shade}" x="{x}" y="{y}" width="{cell}" height="{cell}">'
                f"<title>true {escape(name)}, predicted {escape(names[j])}: {count}</title></rect>"
            )
            parts.append(
                f'<text class="cm-count{" cm-dark" if shade >= 3 else ""}" x="{x + cell / 2}" y="{y + cell / 2 + 4}" '
                f'text-anchor="middle">{count}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every name above is escaped)
