"""A diverged training as the dashboard shows it (the sandbox side: tests/sandbox_vision/test_diverged.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from customization.training_rules import LOCAL_MINIMUM_HOURS
from tests.conftest import connect_to_sandbox
from tests.e2e.conftest import log_in, shot
from tests.sandbox_vision.conftest import folder, vision  # noqa: F401 (fixtures)
from tests.sandbox_vision.test_diverged import BUDGET, _register


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_shows_a_diverged_training(
    page: Page,
    live_server,
    tx_personas,
    vision,  # noqa: F811 (a fixture imported above)
    folder,  # noqa: F811
    celery_worker,
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    _register(vision, folder, "diverge-data")
    log_in(page, live_server.url, "bob")

    page.goto(
        live_server.url + reverse("customization:model_train", kwargs={"ws_id": tx_personas.workspace.pk})
    )
    page.fill("#id_name", "diverge-dash")
    page.select_option("#id_kind", "Generic-Classifier")
    page.select_option("#id_dataset", "diverge-data")
    page.fill("#id_budget_hours", str(max(BUDGET, LOCAL_MINIMUM_HOURS)))  # the form refuses less
    page.click("#train-form button[type=submit]")
    expect(page.locator("#job-live")).to_have_attribute("data-status", "failed", timeout=120_000)
    error = page.locator("#job-error")
    expect(error).to_contain_text("Training diverged at step")
    expect(error).to_contain_text("lower it there and train again")
    expect(error.locator("code")).to_have_text("diverged")
    shot(page, "40-training-diverged-job")

    page.click("text=Open model diverge-dash")
    expect(page.locator("#model-status")).to_have_text("Failed")
    alert = page.locator("#model-error")
    expect(alert).to_contain_text("Training diverged at step")
    expect(alert).to_contain_text("This model's learning rate (1e+12) comes from SANDBOX_TRAINER_CONFIG")
    expect(alert.locator("code")).to_have_text("diverged")
    status = page.locator(".card", has=page.locator("#model-status"))
    expect(status).to_contain_text("Compute cost")
    expect(status.locator("dt:text-is('Compute cost') + dd")).not_to_have_text("—")  # the cost is recorded
    expect(page.locator(".page-head .actions >> text=Try it out")).to_have_count(0)
    shot(page, "41-training-diverged-model")
