"""The grouped problem report a validating job keeps in its result (COCO files, AutoML JSONL).

Problems are grouped by rule: each group says how serious it is (an ``error`` blocks, a
``warning`` does not), what is wrong, how to fix it, how often, and where (the first examples).
The validators live with their features (customization.validation, migrator.automl_validation);
the shape of their reports, and how a page reads a stored one (``report_view``, behind each app's
template filter), are shared here, where both may import them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

EXAMPLES = 20


@dataclass
class Group:
    code: str
    severity: str  # error | warning
    message: str
    fix: str
    count: int = 0
    where: list[str] = field(default_factory=list)


@dataclass
class Report:
    kind: str
    purpose: str
    images: int = 0
    annotations: int = 0
    categories: int = 0
    per_category: dict[str, int] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def add(self, code: str, severity: str, message: str, fix: str, where: str = "") -> None:
        group = self.groups.get(code)
        if group is None:
            group = self.groups[code] = Group(code, severity, message, fix)
        group.count += 1
        if where and len(group.where) < EXAMPLES:
            group.where.append(where)

    @property
    def errors(self) -> list[Group]:
        return [g for g in self.groups.values() if g.severity == "error"]

    @property
    def warnings(self) -> list[Group]:
        return [g for g in self.groups.values() if g.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "purpose": self.purpose,
            "ok": self.ok,
            "images": self.images,
            "annotations": self.annotations,
            "categories": self.categories,
            "per_category": self.per_category,
            "errors": [g.__dict__ for g in self.errors],
            "warnings": [g.__dict__ for g in self.warnings],
        }


# --- the stored report as a page reads it ------------------------------------------------------
SHOWN = 5  # places shown before the toggle


@dataclass
class Problem:
    code: str
    severity: str
    message: str
    fix: str
    count: int
    where: list[str] = field(default_factory=list)
    unit: str = ""  # "47 annotations"; "" when the problem is one fact about the whole file

    @property
    def how_many(self) -> str:
        return self.unit if self.where or self.count > 1 else ""

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


def _problems(groups: object, severity: str, unit: Callable[[str, int], str]) -> list[Problem]:
    problems = []
    for g in groups if isinstance(groups, list) else []:
        if not isinstance(g, dict):
            continue
        where = [str(w) for w in g.get("where")] if isinstance(g.get("where"), list) else []
        code = str(g.get("code", ""))
        count = _int(g.get("count")) or len(where) or 1
        problems.append(
            Problem(
                code=code,
                severity=str(g.get("severity") or severity),
                message=str(g.get("message", "")),
                fix=str(g.get("fix", "")),
                count=count,
                where=where,
                unit=unit(code, count),
            )
        )
    return problems


def report_view(
    validation: object, *, unit: Callable[[str, int], str], kind_label: Callable[[object], str] = str
) -> ReportView:
    """A stored report (``Report.as_dict()``) arranged for the page: never raises on an odd one, so
    reports of older jobs read the same way. ``unit(code, count)`` says what a place is ("3 lines")."""
    v = validation if isinstance(validation, dict) else {}
    errors = _problems(v.get("errors"), "error", unit)
    per_category = v.get("per_category")
    return ReportView(
        kind=kind_label(v.get("kind", "")),
        purpose=str(v.get("purpose", "")),
        images=_int(v.get("images")),
        annotations=_int(v.get("annotations")),
        categories=_int(v.get("categories")),
        ok=bool(v.get("ok", not errors)),
        errors=errors,
        warnings=_problems(v.get("warnings"), "warning", unit),
        per_category=per_category if isinstance(per_category, dict) else {},
    )
