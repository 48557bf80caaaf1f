"""The validation report as a person reads it: one card per kind of problem, the fix first, then
the first few places, the rest behind a toggle.

``{% load reports %}{% with r=job.result.validation|report_view %}``. The checks and what a job
stores (``customization.validation.Report.as_dict``) are unchanged: this only arranges the stored
dict for the page (``jobs.reports.report_view``), so reports of older jobs read the same way.
"""

from __future__ import annotations

from django import template

from jobs import reports
from jobs.labels import name_label

register = template.Library()

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


@register.filter
def report_view(validation: object) -> reports.ReportView:
    """The stored report (``Report.as_dict()``) arranged for the page."""
    return reports.report_view(validation, unit=_unit, kind_label=name_label)
