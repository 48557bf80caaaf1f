"""Browse Custom Vision projects, open one, export it, watch the progress, open the report."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import connect_to_sandbox
from tests.e2e.conftest import log_in, shot
from tests.migrator.cvproject import classification_project, detection_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_browse_and_export_a_project(page: Page, live_server, tx_personas, celery_worker):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    classification_project(live_server.url, "Pets")
    detection_project(live_server.url, "Shapes")
    log_in(page, live_server.url, "bob")
    page.click("nav.mainnav >> text=Projects")
    table = page.locator("#projects")
    expect(table).to_contain_text("Pets")
    expect(table.locator("tr", has_text="Shapes")).to_contain_text("Object detection")
    expect(table.locator("tr", has_text="Pets")).to_contain_text("Classification")
    shot(page, "20-projects")

    page.click("#projects >> text=Shapes")
    expect(page.locator("#tags")).to_contain_text("ball")
    expect(page.locator("#samples .region").first).to_be_visible()
    shot(page, "21-project-detector")

    page.goto(f"{live_server.url}/w/{tx_personas.workspace.pk}/projects/")
    page.click("#projects >> text=Pets")
    expect(page.locator("#warnings")).to_contain_text("Negative")
    expect(page.locator("#warnings")).to_contain_text("2 images are untagged")
    shot(page, "22-project-classifier")
    page.fill("#id_folder", "pets-export/")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator("#job-result")).to_contain_text("pets-export/train.json")
    expect(page.locator("#categories")).to_contain_text("cat")
    shot(page, "23-export-done")

    page.click("#file-report")
    report = json.loads(page.locator("body").inner_text())
    assert report["images"]["copied"] == 12
    assert report["annotations_after"] == {"cat": 4, "dog": 4}
