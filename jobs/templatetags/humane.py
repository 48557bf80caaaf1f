"""Dates, durations and names as people read them: the one filter set every page uses.

``{% load humane %}``, then:

- ``{{ value|when }}``: a datetime, or the ISO string a service sent (``2026-12-02T06:40:12.345Z``),
  as ``<time datetime="…" title="…">2 Dec 2026, 06:40</time>`` in the server's time zone; the full
  ISO value stays in the attributes. Empty gives "—"; a string that is no date is shown as it is.
- ``{{ value|duration }}``: a ``timedelta`` or a number of seconds as "45 s", "3 min 12 s",
  "2 h 5 min"; ``duration:"min"`` and ``duration:"h"`` read the number in minutes or hours.
- ``{{ value|hours }}``: a budget in hours as the forms give it, "0.05 h (3 min)" or "2 h".
- ``{{ value|label }}``: a service name (``sas``, ``Generic-Detector``) as its label.
- ``{{ job.params|job_params }}``: a job's parameters as (label, value) rows, without server paths.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html

from jobs.labels import EMPTY, duration_text, hours_text, name_label, param_rows

register = template.Library()

DATE_FORMAT = "j M Y, H:i"  # 2 Dec 2026, 06:40
DAY_FORMAT = "j M Y"
UNITS = {"s": 1, "sec": 1, "ms": 0.001, "min": 60, "h": 3600}
# More than six fractional digits (Azure writes seven) are cut to what datetime holds.
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_when(value: object) -> datetime | date | None:
    """A datetime (aware where the value says its zone), a date, or None if the value is none."""
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # A date alone ("2026-12-02") parses as midnight; it is a day, not a time of day.
    if len(text) == 10:
        return moment.date()
    return moment


@register.filter(is_safe=True)
def when(value: object, fmt: str = "") -> str:
    moment = parse_when(value)
    if moment is None:
        return EMPTY if value in (None, "") else conditional_escape(value)
    if isinstance(moment, datetime):
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        moment = timezone.localtime(moment)
        iso = moment.isoformat(timespec="seconds")
        text = dateformat.format(moment, fmt or DATE_FORMAT)
    else:
        iso = moment.isoformat()
        text = dateformat.format(datetime.combine(moment, time()), fmt or DAY_FORMAT)
    return format_html('<time datetime="{}" title="{}">{}</time>', iso, iso, text)


@register.filter
def duration(value: object, unit: str = "s") -> str:
    if value in (None, ""):
        return EMPTY
    if isinstance(value, timedelta):
        return duration_text(value.total_seconds())
    try:
        amount = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return duration_text(amount * UNITS.get(unit, 1))


@register.filter
def hours(value: object) -> str:
    return hours_text(value)


@register.filter
def label(value: object) -> str:
    return name_label(value)


@register.filter
def job_params(params: object) -> list[tuple[str, str]]:
    return param_rows(params if isinstance(params, dict) else {})
