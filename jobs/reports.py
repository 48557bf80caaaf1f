"""The grouped problem report a validating job keeps in its result (COCO files, AutoML JSONL).

Problems are grouped by rule: each group says how serious it is (an ``error`` blocks, a
``warning`` does not), what is wrong, how to fix it, how often, and where (the first examples).
The validators live with their features (customization.validation, migrator.automl_validation);
the shape of their reports is shared here, where both may import it.
"""

from __future__ import annotations

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
