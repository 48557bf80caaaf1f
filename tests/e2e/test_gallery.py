"""The dataset gallery in a browser: thumbnails with drawn boxes, paging with htmx, the category filter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from jobs.models import Job
from tests.conftest import connect_to_sandbox
from tests.customization.test_flow import _register
from tests.customization.test_gallery import HOSTILE, put_dataset
from tests.e2e.conftest import log_in, shot
from tests.migrator.cvproject import picture
from workspaces.storage import storage_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOADED = "imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)"


def test_the_gallery_pages_and_filters(page: Page, live_server, tx_personas, celery_worker):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    put_dataset(tx_personas, "e2e", make=lambda n: picture(n, "PNG", (200, 150)))
    job = _register(tx_personas, "gallery-ds", "e2e/train.json")
    assert job.status == Job.Status.SUCCEEDED, job.error_message
    _, store = storage_for(tx_personas.workspace)
    store.delete("e2e/img-5.png")  # shows as a placeholder tile that says why

    log_in(page, live_server.url, "alice")
    page.click("nav.mainnav >> text=Datasets")
    page.click("text=gallery-ds")
    gallery = page.locator("#gallery")
    expect(gallery).to_contain_text("27 images")
    expect(gallery.locator("figure.ds-thumb")).to_have_count(24)
    expect(gallery).to_contain_text("1–24 of 27")
    page.wait_for_function(f"() => ({LOADED})([...document.querySelectorAll('#gallery img')])")
    expect(gallery.locator("figure[data-image-id='3']")).to_contain_text(HOSTILE)  # shown as text, not run
    gallery.scroll_into_view_if_needed()
    shot(page, "dataset-gallery")

    bar = page.locator("#per-category .bar").first
    width = bar.evaluate("(el) => el.style.getPropertyValue('--w')")
    assert width.endswith("%")
    gallery.locator("a[rel=next]").click()
    expect(gallery).to_contain_text("25–27 of 27")
    # htmx saved the page for the Back button before the swap: the chart outside it keeps its bars
    assert bar.evaluate("(el) => el.style.getPropertyValue('--w')") == width
    expect(page.locator("#gallery figure.ds-thumb")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"page=2"))
    page.wait_for_function(f"() => ({LOADED})([...document.querySelectorAll('#gallery img')])")
    shot(page, "dataset-gallery-page2")
    page.locator("#gallery a[rel=prev]").click()
    expect(page.locator("#gallery")).to_contain_text("1–24 of 27")

    page.select_option("#gallery-category", HOSTILE)
    expect(page.locator("#gallery")).to_contain_text("9 of 27 images contain")
    expect(page.locator("#gallery figure.ds-thumb")).to_have_count(9)
    page.wait_for_function(f"() => ({LOADED})([...document.querySelectorAll('#gallery img')])")
    shot(page, "dataset-gallery-filtered")
