"""Job history, job page, and the live fragments they poll."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from jobs.errors import RetryRefused
from jobs.forms import JobFilterForm
from jobs.history_csv import csv_chunks
from jobs.models import Job
from jobs.selectors import COUNT_CAP, job_get_for_member, job_ordered, job_page
from jobs.services import job_cancel, job_retry
from workspaces.http import WorkspaceRequest, page_or_fragment, workspace_view


def _filter_form(request: WorkspaceRequest) -> JobFilterForm:
    people = []
    if request.membership.is_admin:
        people = list(
            request.workspace.memberships.values_list("user__username", flat=True).order_by("user__username")
        )
    return JobFilterForm(request.GET or None, people=people)


@workspace_view()
@require_GET
def job_history(request: WorkspaceRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = form.filters()
    page = job_page(membership=request.membership, filters=filters)
    query = request.GET.copy()
    query.pop("after", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "form": form,
        "page": page,
        "counts": [(value, label, page.counts.get(value, 0)) for value, label in Job.Status.choices],
        "total": sum(page.counts.values()),
        "capped": page.counts_capped,
        "cap": COUNT_CAP,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "sort": filters.sort,
    }
    return page_or_fragment(request, "jobs/job_history.html", "job-table", context)


@workspace_view()
@require_GET
def job_history_csv(request: WorkspaceRequest) -> StreamingHttpResponse:
    form = _filter_form(request)
    jobs = job_ordered(request.membership, form.filters())
    response = StreamingHttpResponse(csv_chunks(jobs), content_type="text/csv; charset=utf-8")
    # A slug, never the name itself: a name with a newline or a quote would break the header (a 500).
    slug = slugify(request.workspace.name) or "workspace"
    response["Content-Disposition"] = f'attachment; filename="jobs-{slug}.csv"'
    return response


@workspace_view()
@require_GET
def job_row(request: WorkspaceRequest, job_id: uuid.UUID) -> HttpResponse:
    job = job_get_for_member(membership=request.membership, job_id=job_id)
    return render(request, "jobs/job_history.html#job-row", {"job": job})


@workspace_view()
@require_GET
def job_detail(request: WorkspaceRequest, job_id: uuid.UUID) -> HttpResponse:
    job = job_get_for_member(membership=request.membership, job_id=job_id)
    return page_or_fragment(request, "jobs/job_detail.html", "job-live", {"job": job})


@workspace_view()
@require_POST
def job_cancel_view(request: WorkspaceRequest, job_id: uuid.UUID) -> HttpResponse:
    job = job_get_for_member(membership=request.membership, job_id=job_id)
    job_cancel(job=job, actor=request.user)
    if job.status == Job.Status.CANCELLED:
        messages.info(request, "The job was cancelled.")
    elif job.cancel_requested:
        messages.info(request, "Cancel requested: the job stops at its next step.")
    return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)


@workspace_view()
@require_POST
def job_retry_view(request: WorkspaceRequest, job_id: uuid.UUID) -> HttpResponse:
    job = job_get_for_member(membership=request.membership, job_id=job_id)
    try:
        new_job = job_retry(job=job, actor=request.user)
    except RetryRefused as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=job.pk)
    messages.success(request, "Retry started.")
    return redirect("jobs:detail", ws_id=request.workspace.pk, job_id=new_job.pk)
