"""Try it out and the members page in the browser: the threshold slider filters the list with the
boxes, the Copy buttons put the text on the clipboard, and "Try another image" keeps the model."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from sandbox.vision.models import VisionModel
from tests.conftest import connect_to_sandbox
from tests.customization.test_try_result import RAW, predicted_job
from tests.e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _slide(page: Page, value: int) -> None:
    page.locator("#threshold").evaluate(
        f"el => {{ el.value = {value}; el.dispatchEvent(new Event('input', {{bubbles: true}})); }}"
    )


def _allow_clipboard(page: Page, base_url: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)


def test_the_slider_filters_the_objects_list_with_the_boxes(page: Page, live_server, tx_personas):
    job = predicted_job(tx_personas)
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url + reverse("jobs:detail", kwargs={"ws_id": tx_personas.workspace.pk, "job_id": job.pk})
    )
    rows = page.locator("#predictions li[data-confidence]")
    expect(rows).to_have_count(3)
    expect(rows.filter(visible=True)).to_have_count(2)
    expect(rows.nth(2)).to_be_hidden()  # star, 30%
    expect(page.locator("#threshold-count")).to_have_text("2 of 3 objects at or above 50%")
    shot(page, "try-result-50")

    _slide(page, 20)
    expect(rows.filter(visible=True)).to_have_count(3)
    expect(page.locator("#threshold-count")).to_have_text("3 of 3 objects at or above 20%")
    expect(page.locator("#prediction-image")).to_have_attribute(
        "src",
        f"{reverse('customization:prediction_image', kwargs={'ws_id': tx_personas.workspace.pk, 'job_id': job.pk})}?t=0.20",
    )
    page.wait_for_function("() => document.querySelector('#prediction-image').complete")
    shot(page, "try-result-20")

    _slide(page, 95)
    expect(rows.filter(visible=True)).to_have_count(0)
    expect(page.locator("#predictions-none")).to_be_visible()
    expect(page.locator("#threshold-count")).to_have_text("0 of 3 objects at or above 95%")

    _slide(page, 62)  # at the threshold itself an object is shown, as its box is drawn
    expect(rows.filter(visible=True)).to_have_count(2)
    expect(page.locator("#predictions-none")).to_be_hidden()


def test_the_raw_json_is_copied_as_the_service_sent_it(page: Page, live_server, tx_personas):
    job = predicted_job(tx_personas)
    _allow_clipboard(page, live_server.url)
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url + reverse("jobs:detail", kwargs={"ws_id": tx_personas.workspace.pk, "job_id": job.pk})
    )
    page.click("#raw-json-box summary")
    expect(page.locator("#raw-json")).to_contain_text('"modelVersion": "2023-04-01"')
    page.click("#copy-json")
    expect(page.locator("#copy-json")).to_have_text("Copied")
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == RAW
    shot(page, "try-result-json")
    expect(page.locator("#copy-json")).to_have_text("Copy", timeout=5_000)


def test_try_another_image_goes_back_to_the_form_with_the_model_chosen(page: Page, live_server, tx_personas):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    for name in ("another-model", "shapes-model"):
        VisionModel.objects.create(
            name=name,
            status="succeeded",
            model_kind="Generic-Detector",
            training_dataset_name="d",
            time_budget_hours=1,
        )
    job = predicted_job(tx_personas, model="shapes-model")
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url + reverse("jobs:detail", kwargs={"ws_id": tx_personas.workspace.pk, "job_id": job.pk})
    )
    page.click("#try-another")
    expect(page.locator("h1")).to_have_text("Try it out")
    expect(page.locator("#id_model")).to_have_value("shapes-model")
    expect(page.locator("#id_image")).to_have_value("")
    shot(page, "try-another")


def test_a_new_members_password_is_monospace_and_copied(page: Page, live_server, tx_personas):
    _allow_clipboard(page, live_server.url)
    log_in(page, live_server.url, "alice")
    page.goto(live_server.url + reverse("workspaces:settings", kwargs={"ws_id": tx_personas.workspace.pk}))
    page.fill("#id_username", "dana")
    page.click("button:has-text('Add')")
    password = page.locator("#new-password")
    expect(password).to_be_visible()
    font = password.evaluate("el => getComputedStyle(el).fontFamily")
    assert "monospace" in font, font
    page.click("#copy-password")
    expect(page.locator("#copy-password")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == password.inner_text()
    shot(page, "member-password")
