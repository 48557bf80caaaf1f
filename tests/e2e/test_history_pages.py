"""Paging the job history in the browser: Next 25 and Back to the start, with the counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jobs.models import Job
from tests.e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_history_pages_forward_and_back_to_the_start(page: Page, live_server, tx_personas):
    now = timezone.now()
    Job.objects.bulk_create(
        Job(
            workspace=tx_personas.workspace,
            actor=tx_personas.alice,
            actor_name="alice",
            kind="test_count",
            target=f"job-{i:02d}",
            status=Job.Status.FAILED if i % 10 == 0 else Job.Status.SUCCEEDED,
            created_at=now - timedelta(minutes=i),
            started_at=now - timedelta(minutes=i),
            finished_at=now - timedelta(minutes=i) + timedelta(seconds=i),
        )
        for i in range(30)
    )
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/w/{tx_personas.workspace.pk}/jobs/")
    table = page.locator("#job-table")
    expect(table).to_contain_text("The first 25 of 30")
    expect(page.locator(".status-tabs a[data-status=failed] strong")).to_have_text("3")
    expect(table.locator("tbody tr")).to_have_count(25)
    shot(page, "history-first-page")

    page.click("#history-next")
    expect(table).to_contain_text("5 more of 30")
    expect(page).to_have_url(re.compile(r"after="))
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("tbody tr").first).to_contain_text("job-25")
    expect(page.locator("#history-next")).to_have_count(0)

    page.click("#history-first")
    expect(table).to_contain_text("The first 25 of 30")
    expect(table.locator("tbody tr").first).to_contain_text("job-00")

    # A sort keeps its order across pages: longest first, and the next page goes on from there.
    page.goto(f"{live_server.url}/w/{tx_personas.workspace.pk}/jobs/?sort=-duration")
    expect(table.locator("tbody tr").first).to_contain_text("job-29")
    page.click("#history-next")
    expect(table.locator("tbody tr").first).to_contain_text("job-04")
    expect(table.locator("tbody tr").last).to_contain_text("job-00")
