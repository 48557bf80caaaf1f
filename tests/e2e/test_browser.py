"""User flows in a real browser, against a live server and a real Celery worker."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from jobs.models import Job
from jobs.services import job_start
from tests.conftest import connect_to_sandbox, wait_for_job
from tests.e2e.conftest import log_in, shot
from workspaces.services import connection_update

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_check_connections_from_the_ui_then_find_filter_and_export_it(
    page: Page, live_server, tx_personas, celery_worker
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    page.goto(f"{live_server.url}/")
    shot(page, "01-login")
    log_in(page, live_server.url, "alice")
    expect(page.locator("h1")).to_have_text("Alice's team")
    shot(page, "02-overview")

    page.click("button:has-text('Check connections')")
    live = page.locator("#job-live")
    expect(live).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(page.locator("[data-connection] .badge")).to_have_text(["Works", "Works", "Works"])
    expect(page.locator("#job-message")).to_have_text("All connections checked.")
    expect(page.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    shot(page, "03-job-succeeded")
    job = Job.objects.get(workspace=tx_personas.workspace)

    page.click("nav.mainnav >> text=Jobs")
    row = page.locator(f"#job-row-{job.pk}")
    expect(row).to_contain_text("Check connections")
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text("Succeeded")
    shot(page, "04-job-history")

    page.select_option("#id_status", "failed")  # htmx swaps the table on change
    expect(page.locator("#job-table")).to_contain_text("No jobs match these filters.")
    assert "status=failed" in page.url
    page.select_option("#id_status", "succeeded")
    expect(page.locator(f"#job-row-{job.pk}")).to_be_visible()
    shot(page, "05-job-history-filtered")

    with page.expect_download() as download_info:
        page.click("#csv-export")
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    assert [(r["id"], r["status"], r["person"]) for r in rows] == [(str(job.pk), "succeeded", "alice")]


def test_live_progress_cancel_and_retry(page: Page, live_server, tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.bob,
        kind="test_count",
        target="a long count",
        params={"steps": 300, "delay": 0.1},
    )
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/w/{tx_personas.workspace.pk}/jobs/{job.pk}/")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "running")
    expect(page.locator("#job-message")).to_contain_text("Step ", timeout=10_000)
    first = page.locator("#job-message").inner_text()
    expect(page.locator("#job-message")).not_to_have_text(first, timeout=10_000)  # updates without reload
    shot(page, "06-job-running")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Cancel')")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "cancelled", timeout=15_000)
    expect(page.locator("#job-events")).to_contain_text("Cancel requested by bob.")
    shot(page, "07-job-cancelled")

    page.click("button:has-text('Retry')")
    expect(page.locator(".alert-success")).to_have_text("Retry started.")
    retry = Job.objects.get(retry_of=job)
    assert page.url.endswith(f"/jobs/{retry.pk}/")
    expect(page.locator("text=Retry of")).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Cancel')")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "cancelled", timeout=15_000)


def test_history_rows_update_live(page: Page, live_server, tx_personas, celery_worker):
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.alice,
        kind="test_count",
        params={"steps": 20, "delay": 0.15},
    )
    wait_for_job(job, lambda j: j.status == Job.Status.RUNNING)
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/w/{tx_personas.workspace.pk}/jobs/")
    row = page.locator(f"#job-row-{job.pk}")
    expect(row).to_have_attribute("data-status", "running")
    expect(row).to_have_attribute("data-status", "succeeded", timeout=20_000)  # no reload


def test_a_failing_connection_is_explained_with_a_way_to_fix_it(
    page: Page, live_server, tx_personas, celery_worker
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    connection_update(
        workspace=tx_personas.workspace,
        kind="custom_vision",
        actor=None,
        endpoint=f"{live_server.url}/sandbox",
        secret="wrong-key",
    )
    log_in(page, live_server.url, "alice")
    page.click("nav.mainnav >> text=Settings")
    shot(page, "08-settings")
    page.click("button:has-text('Check connections')")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "failed", timeout=30_000)
    card = page.locator("[data-connection=custom_vision]")
    expect(card).to_contain_text("the key was rejected")
    expect(page.locator("#job-error")).to_contain_text("1 of 3 connections failed")
    shot(page, "09-job-failed")
    card.locator("text=Fix in Settings").click()
    page.fill("#id_custom_vision-secret", connect_key())
    page.locator("#connection-custom_vision button:has-text('Save')").click()
    expect(page.locator(".alert-success")).to_contain_text("Custom Vision (training) saved.")
    page.click("button:has-text('Check connections')")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "succeeded", timeout=30_000)


def connect_key() -> str:
    from sandbox.keys import sandbox_key

    return sandbox_key("customvision")


def test_pages_work_on_a_phone_sized_screen(browser, live_server, tx_personas):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server.url, "bob")
    page.click("label.nav-toggle-label")
    page.click("nav.mainnav >> text=Jobs")
    expect(page.locator("h1")).to_have_text("Jobs")
    shot(page, "10-phone-jobs")
    for section in ("Projects", "Datasets", "Models", "Try it out"):
        page.click("label.nav-toggle-label")
        page.click(f"nav.mainnav >> text={section}")
        expect(page.locator("h1")).to_contain_text(section.replace("Projects", "Custom Vision projects"))
    shot(page, "11-phone-empty-state")
    context.close()
