"""The AutoML validation report as the COCO one reads (``jobs.reports.report_view``): one card per
kind of problem, the fix first, the first five places, the rest behind a toggle.

``{% load automl_reports %}{% with v=report|automl_report %}``. It only arranges the stored dict
(``migrator.automl_validation.Report.as_dict``) for the page, and never raises on an odd one.
"""

from __future__ import annotations

from django import template

from jobs import reports

register = template.Library()


def _unit(code: str, count: int) -> str:
    if code.startswith("few_per_label"):
        unit = "label"
    elif code.startswith(("line", "image", "label", "box")):
        unit = "line"
    else:
        unit = "place"
    return f"{count:,} {unit}{'' if count == 1 else 's'}"


@register.filter
def automl_report(validation: object) -> reports.ReportView:
    return reports.report_view(validation, unit=_unit)
