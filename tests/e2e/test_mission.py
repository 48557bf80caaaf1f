"""The whole mission in one go, in a browser: export → register → train → evaluate → try it out."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ARTIFACTS, connect_to_sandbox
from tests.e2e.conftest import log_in, shot
from tests.migrator.cvproject import detection_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_whole_mission(page: Page, live_server, tx_personas, celery_worker, tmp_path):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    built = detection_project(live_server.url, "Shapes")
    sample = tmp_path / "test.jpg"
    sample.write_bytes(next(iter(built.originals.values())))
    log_in(page, live_server.url, "alice")

    page.click("nav.mainnav >> text=Projects")
    page.click("#projects >> text=Shapes")
    page.fill("#id_folder", "mission/")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "succeeded", timeout=60_000)

    page.click("#register-export")
    expect(page.locator("#id_path")).to_have_value("mission/train.json")
    page.fill("#id_name", "mission-ds")
    page.fill("#id_budget_hours", "0.01")
    page.click("#register-form button[type=submit]")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.locator("#validation")).to_contain_text("No blocking problems")
    shot(page, "30-dataset-registered")

    page.click("text=Train a model on it")
    page.fill("#id_name", "mission-model")
    page.select_option("#id_kind", "Generic-Detector")
    page.select_option("#id_dataset", "mission-ds")
    page.fill("#id_budget_hours", "0.01")
    shot(page, "31-train-form")
    page.click("#train-form button[type=submit]")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "running", timeout=30_000)
    shot(page, "32-training")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "succeeded", timeout=300_000)
    page.click("text=Open model mission-model")
    expect(page.locator("#metrics")).to_contain_text("mAP@50")
    shot(page, "33-model-evaluation")

    latencies = []  # upload to boxes on screen: the first includes loading the model on the worker
    for _ in range(2):
        page.click("nav.mainnav >> text=Try it out")
        page.set_input_files("#id_image", str(sample))
        began = time.monotonic()
        page.click("#try-form button[type=submit]")
        expect(page.locator("#job-live")).to_have_attribute("data-status", "succeeded", timeout=60_000)
        expect(page.locator("#prediction-image")).to_be_visible()
        page.wait_for_function("() => document.querySelector('#prediction-image').complete")
        latencies.append(round(time.monotonic() - began, 2))
    (ARTIFACTS / "try-it-out-latency.txt").write_text(
        f"upload to rendered boxes, seconds: first {latencies[0]}, second {latencies[1]}\n"
    )
    page.locator("#threshold").evaluate(
        "el => { el.value = 5; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    expect(page.locator("#threshold-value")).to_have_text("5%")
    page.wait_for_timeout(500)
    shot(page, "34-try-it-out")
