"""The validation report as a person reads it: one card per kind of problem, the fix first, then
the first few places, the rest behind a toggle.

``{% load reports %}{% with r=job.result.validation|report_view %}``. The checks and what a job
stores (``customization.validation.Report.as_dict``) are unchanged: this only arranges the stored
dict for the page, so reports of older jobs read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

from jobs.labels import name_label

register = template.Library()

SHOWN = 5  # places shown before the toggle

# What one occurrence of a problem is, by the start of its code.
_UNITS = (
    (("image", "several_labels", "too_many_regions"), ("image", "images")),
    (("annotation", "bbox"), ("annotation", "annotations")),
    (("category", "negative"), ("category", "categories")),
)


def _unit(code: str, count: int) -> str:
    for prefixes, (one, many) in _UNITS:
        if code.startswith(prefixes):
            return f"{count:,} {one if count == 1 else many}"
    return f"{count:,}×"


@dataclass
class Problem:
    code: str
    severity: str
    message: str
    fix: str
    count: int
    where: list[str] = field(default_factory=list)

    @property
    def how_many(self) -> str:
        """ "47 annotations", or "" when the problem is one fact about the whole file."""
        return _unit(self.code, self.count) if self.where or self.count > 1 else ""

    @property
    def shown(self) -> list[str]:
        return self.where[:SHOWN]

    @property
    def hidden(self) -> list[str]:
        return self.where[SHOWN:]

    @property
    def more(self) -> int:
        """How many places are not among the first few: the "and 42 more" of the toggle."""
        return max(0, self.count - len(self.shown)) if self.where else 0

    @property
    def unlisted(self) -> int:
        """Places the report did not keep (it keeps the first 20 of each kind)."""
        return max(0, self.count - len(self.where)) if self.where else 0


@dataclass
class ReportView:
    kind: str
    purpose: str
    images: int
    annotations: int
    categories: int
    ok: bool
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def error_count(self) -> int:
        return sum(p.count for p in self.errors)

    @property
    def warning_count(self) -> int:
        return sum(p.count for p in self.warnings)


def _problems(groups: object, severity: str) -> list[Problem]:
    problems = []
    for g in groups if isinstance(groups, list) else []:
        if not isinstance(g, dict):
            continue
        where = [str(w) for w in g.get("where") or []]
        problems.append(
            Problem(
                code=str(g.get("code", "")),
                severity=str(g.get("severity") or severity),
                message=str(g.get("message", "")),
                fix=str(g.get("fix", "")),
                count=int(g.get("count") or len(where) or 1),
                where=where,
            )
        )
    return problems


@register.filter
def report_view(validation: object) -> ReportView:
    """The stored report (``Report.as_dict()``) arranged for the page."""
    v = validation if isinstance(validation, dict) else {}
    errors = _problems(v.get("errors"), "error")
    return ReportView(
        kind=name_label(v.get("kind", "")),
        purpose=str(v.get("purpose", "")),
        images=int(v.get("images") or 0),
        annotations=int(v.get("annotations") or 0),
        categories=int(v.get("categories") or 0),
        ok=bool(v.get("ok", not errors)),
        errors=errors,
        warnings=_problems(v.get("warnings"), "warning"),
    )
