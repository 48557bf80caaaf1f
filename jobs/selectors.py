"""Reads of jobs, always through the member's view of the workspace (admins: all, members: own)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jobs.counts import status_counts
from jobs.models import Job
from workspaces.models import Membership

# Sort key -> the column its index (jobs.models.Job.Meta.indexes) orders by.
SORTS = {
    "created": "created_at",
    "kind": "kind",
    "status": "status",
    "person": "actor_name",
    "duration": "duration_ms",
}
PAGE_SIZE = 25
COUNT_CAP = 10_000  # counts that must be taken from the rows (a date filter) stop here: "10,000+"


def jobs_visible_to(membership: Membership) -> QuerySet[Job]:
    qs = Job.objects.filter(workspace_id=membership.workspace_id)
    if not membership.is_admin:
        qs = qs.filter(actor_id=membership.user_id)
    return qs


def job_get_for_member(*, membership: Membership, job_id: uuid.UUID | str) -> Job:
    try:
        return jobs_visible_to(membership).select_related("actor", "retry_of").get(pk=job_id)
    except (Job.DoesNotExist, ValueError) as exc:
        raise Http404("No such job") from exc


@dataclass
class JobFilters:
    kind: str = ""
    status: str = ""
    person: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "-created"
    after: str = ""  # the cursor of the page before (JobPage.next_cursor), "" for the first page


@dataclass
class JobPage:
    jobs: list[Job]
    counts: dict[str, int]  # per status, of the list without its status filter
    counts_capped: bool  # True when a count stopped at COUNT_CAP
    next_cursor: str  # "" on the last page
    first: bool


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _cursor_encode(job: Job, column: str) -> str:
    value = getattr(job, column)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, job.created_at.isoformat(), str(job.pk)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(token: str, column: str) -> tuple[Any, datetime, uuid.UUID] | None:
    """The (key, created_at, id) a cursor names, or None for one that was not made here."""
    try:
        value, created, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        created_at = datetime.fromisoformat(created)
        if column == "created_at":
            value = datetime.fromisoformat(value)
        elif column == "duration_ms":
            value = int(value)
        elif not isinstance(value, str):
            return None
        return value, created_at, uuid.UUID(pk)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def _after(column: str, desc: bool, cursor: tuple[Any, datetime, uuid.UUID]) -> Q:
    """Rows after the cursor in (column, created_at, id) order: the keyset condition, with the
    first column's bound on its own so that the index range starts there."""
    value, created_at, pk = cursor
    op = "lt" if desc else "gt"
    if column == "created_at":
        return Q(**{f"created_at__{op}e": created_at}) & (
            Q(**{f"created_at__{op}": created_at}) | Q(created_at=created_at, **{f"pk__{op}": pk})
        )
    return Q(**{f"{column}__{op}e": value}) & (
        Q(**{f"{column}__{op}": value})
        | Q(**{column: value, f"created_at__{op}": created_at})
        | Q(**{column: value, "created_at": created_at, f"pk__{op}": pk})
    )


def _person_id(membership: Membership, filters: JobFilters) -> int | None:
    """The user id of the admin's person filter (-1 for a name that is no member), else None."""
    if not (filters.person and membership.is_admin):
        return None
    found = membership.workspace.memberships.filter(user__username=filters.person).values_list("user_id")
    return found[0][0] if found else -1


def _filtered(membership: Membership, filters: JobFilters) -> QuerySet[Job]:
    qs = jobs_visible_to(membership)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    person = _person_id(membership, filters)
    if person is not None:
        qs = qs.filter(actor_id=person)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to) + timedelta(days=1))
    return qs


def _counts(membership: Membership, filters: JobFilters, qs: QuerySet[Job]) -> tuple[dict[str, int], bool]:
    """Exact counts from jobs.counts where the filters allow; with dates, counted up to COUNT_CAP."""
    if not (filters.date_from or filters.date_to):
        person = _person_id(membership, filters)
        actor_id = membership.user_id if not membership.is_admin else person
        return status_counts(
            workspace_id=membership.workspace_id, actor_id=actor_id, kind=filters.kind
        ), False
    counts = {}
    for status in Job.Status.values:
        n = qs.filter(status=status).order_by()[: COUNT_CAP + 1].count()
        if n:
            counts[status] = min(n, COUNT_CAP)
    return counts, any(n >= COUNT_CAP for n in counts.values())


def job_order(sort: str) -> tuple[str, bool]:
    """The column and direction of a sort key such as "-duration" (unknown keys: newest first)."""
    key = sort.lstrip("-")
    if key not in SORTS:
        return "created_at", True
    return SORTS[key], sort.startswith("-")


def job_ordered(membership: Membership, filters: JobFilters) -> QuerySet[Job]:
    """The filtered list in its sort order, ties broken by (created_at, id) in the same direction."""
    column, desc = job_order(filters.sort)
    qs = _filtered(membership, filters)
    if filters.status:
        qs = qs.filter(status=filters.status)
    keys = [column, "created_at", "pk"] if column != "created_at" else ["created_at", "pk"]
    return qs.order_by(*(f"-{k}" if desc else k for k in keys))


def job_page(*, membership: Membership, filters: JobFilters, size: int = PAGE_SIZE) -> JobPage:
    """One page of the history: the jobs after ``filters.after``, and the counts per status.

    Keyset pagination: a page costs the same at any depth and with any number of jobs, read by
    walking the sort key's index from the cursor (``EXPLAIN`` is checked in the tests).
    """
    column, desc = job_order(filters.sort)
    qs = job_ordered(membership, filters)
    cursor = _cursor_decode(filters.after, column) if filters.after else None
    if cursor:
        qs = qs.filter(_after(column, desc, cursor))
    rows = list(qs[: size + 1])
    counts, capped = _counts(membership, filters, _filtered(membership, filters))
    more = len(rows) > size
    rows = rows[:size]
    return JobPage(
        jobs=rows,
        counts=counts,
        counts_capped=capped,
        next_cursor=_cursor_encode(rows[-1], column) if more else "",
        first=cursor is None,
    )
