"""Reads of jobs, always through the member's view of the workspace (admins: all, members: own)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet
from django.http import Http404
from django.utils import timezone

from jobs.models import Job
from workspaces.models import Membership

SORTS = {
    "created": "created_at",
    "kind": "kind",
    "status": "status",
    "person": "actor__username",
    "duration": "elapsed",
}


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


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def job_list(*, membership: Membership, filters: JobFilters) -> tuple[QuerySet[Job], dict[str, int]]:
    """The filtered, sorted list, and the count per status of the list without its status filter."""
    qs = (
        jobs_visible_to(membership)
        .select_related("actor")
        .annotate(elapsed=ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField()))
    )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.person and membership.is_admin:
        qs = qs.filter(actor__username=filters.person)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to) + timedelta(days=1))
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("pk"))}
    if filters.status:
        qs = qs.filter(status=filters.status)
    key = filters.sort.lstrip("-")
    field = SORTS.get(key, "created_at")
    desc = filters.sort.startswith("-")
    order = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
    return qs.order_by(order, "-created_at"), counts
