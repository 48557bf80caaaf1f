"""The validation report in a real browser: a kind of problem shows five places, and its toggle opens
the rest."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.customization.test_validation_report import pixel_boxes, register
from tests.e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_toggle_opens_the_places_beyond_the_first_five(page: Page, live_server, tx_personas):
    job = register(tx_personas, pixel_boxes(47))
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url + reverse("jobs:detail", kwargs={"ws_id": tx_personas.workspace.pk, "job_id": job.pk})
    )
    report = page.locator("#validation")
    expect(report.locator("#validation-summary")).to_have_text("47 blocking problems of 1 kind")
    problem = report.locator("[data-code=bbox_pixels]")
    expect(problem.locator(".problem-fix")).to_contain_text("Divide left and width by the image width")
    expect(problem.locator(".problem-where li")).to_have_count(5)
    sixth = problem.locator(".problem-more li").first
    expect(sixth).to_be_hidden()
    shot(page, "validation-report-closed")

    problem.locator("summary", has_text="and 42 more").click()
    expect(sixth).to_be_visible()
    expect(sixth).to_contain_text("annotation id 6 (image 6)")
    expect(problem.locator(".problem-more")).to_contain_text("The other 27 are not listed")
    shot(page, "validation-report-open")
