"""The back button after htmx swaps: a page htmx no longer has in its cache comes back whole."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jobs.models import Job
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_back_after_filtering_the_history_restores_the_whole_page(page: Page, live_server, tx_personas):
    done = Job.objects.create(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        target="a count",
        status=Job.Status.SUCCEEDED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/w/{tx_personas.workspace.pk}/jobs/")
    # A miss in htmx's history cache (evicted, or a snapshot it could not save) is what a cache of
    # size 0 gives on every back: htmx asks the server for the page, with HX-Request set, and
    # puts the answer in place of the body.
    page.evaluate("() => { htmx.config.historyCacheSize = 0 }")
    page.select_option("#id_status", "failed")  # htmx swaps the table and pushes ?status=failed
    expect(page.locator("#job-table")).to_contain_text("No jobs match these filters.")
    page.select_option("#id_status", "succeeded")
    expect(page.locator(f"#job-row-{done.pk}")).to_be_visible()

    with page.expect_request(lambda r: r.headers.get("hx-history-restore-request") == "true"):
        page.go_back()
    expect(page).to_have_url(re.compile(r"/jobs/\?.*status=failed"))
    expect(page.locator("#job-table")).to_contain_text("No jobs match these filters.")
    expect(page.locator("nav.mainnav")).to_have_count(1)  # the layout, once
    expect(page.locator("h1")).to_have_count(1)
