"""The AutoML validation report as the COCO one reads (customization's ``report_view``): one card per
kind of problem, the fix first, the first five places, the rest behind a toggle.

``{% load automl_reports %}{% with v=report|automl_report %}``. It only arranges the stored dict
(``migrator.automl_validation.Report.as_dict``) for the page, and never raises on an odd one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

register = template.Library()

SHOWN = 5


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
        if not (self.where or self.count > 1):
            return ""
        if self.code.startswith("few_per_label"):
            unit = "label"
        elif self.code.startswith(("line", "image", "label", "box")):
            unit = "line"
        else:
            unit = "place"
        return f"{self.count:,} {unit}{'' if self.count == 1 else 's'}"

    @property
    def shown(self) -> list[str]:
        return self.where[:SHOWN]

    @property
    def hidden(self) -> list[str]:
        return self.where[SHOWN:]

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.shown)) if self.where else 0

    @property
    def unlisted(self) -> int:
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
    per_category: dict

    @property
    def error_count(self) -> int:
        return sum(p.count for p in self.errors)

    @property
    def warning_count(self) -> int:
        return sum(p.count for p in self.warnings)


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0


def _problems(groups: object, severity: str) -> list[Problem]:
    problems = []
    for g in groups if isinstance(groups, list) else []:
        if not isinstance(g, dict):
            continue
        where = [str(w) for w in g.get("where") or [] if isinstance(g.get("where"), list)]
        problems.append(
            Problem(
                code=str(g.get("code", "")),
                severity=str(g.get("severity") or severity),
                message=str(g.get("message", "")),
                fix=str(g.get("fix", "")),
                count=_int(g.get("count")) or len(where) or 1,
                where=where,
            )
        )
    return problems


@register.filter
def automl_report(validation: object) -> ReportView:
    v = validation if isinstance(validation, dict) else {}
    errors = _problems(v.get("errors"), "error")
    per_category = v.get("per_category")
    return ReportView(
        kind=str(v.get("kind", "")),
        purpose=str(v.get("purpose", "")),
        images=_int(v.get("images")),
        annotations=_int(v.get("annotations")),
        categories=_int(v.get("categories")),
        ok=bool(v.get("ok", not errors)),
        errors=errors,
        warnings=_problems(v.get("warnings"), "warning"),
        per_category=per_category if isinstance(per_category, dict) else {},
    )
