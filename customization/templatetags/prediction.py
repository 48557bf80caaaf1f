"""The Try-it-out result as a person reads it: ``{% load prediction %}``.

- ``{{ job.result.raw|pretty_json }}``: the service's answer as JSON, indented (not a Python dict).
- ``{{ job.result|prediction_rows }}``: the objects (or, for a classifier, the tags) strongest
  first, each with its category colour and whether it is shown at the page's first threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import template

from config.colors import category_hex, text_hex

register = template.Library()

THRESHOLD = 0.5  # where the slider starts; the image is first drawn at it too


@register.filter
def pretty_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class Row:
    name: str
    confidence: float

    @property
    def colour(self) -> str:
        return category_hex(self.name)

    @property
    def text(self) -> str:
        return text_hex(self.colour)

    @property
    def key(self) -> str:
        """The confidence as the drawing compares it (4 decimals), for the slider's script."""
        return repr(round(self.confidence, 4))

    @property
    def percent(self) -> str:
        return f"{self.confidence:.1%}"

    @property
    def width(self) -> str:
        return f"{max(0.0, min(self.confidence, 1.0)) * 100:.1f}"

    @property
    def shown(self) -> bool:
        return round(self.confidence, 4) >= THRESHOLD


@dataclass(frozen=True)
class Rows:
    kind: str  # "objects" or "tags"
    items: list[Row]

    @property
    def shown(self) -> int:
        return sum(row.shown for row in self.items)

    @property
    def noun(self) -> str:
        one = self.kind[:-1]
        return one if len(self.items) == 1 else self.kind


@register.filter
def prediction_rows(result: dict) -> Rows:
    kind = "objects" if result.get("objects") else "tags"
    rows = [Row(str(p.get("name", "")), float(p.get("confidence") or 0)) for p in result.get(kind) or []]
    return Rows(kind, sorted(rows, key=lambda row: -row.confidence))
