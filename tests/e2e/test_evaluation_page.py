"""The model page's evaluation section in the browser: the threshold slider recomputes precision
and recall per tag and overall in the page (static/js/evaluation.js), equal to the hand
computation of tests/customization/test_evaluation_metrics.py, without a page load; the PR curves'
dots follow it; the error gallery is drawn again at the new threshold on request."""

from __future__ import annotations

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from customization.services.analysis import analysis_folder
from jobs.models import Job
from tests.conftest import connect_to_sandbox
from tests.customization.test_evaluation_metrics import CLASSIFICATION, DETECTION
from tests.customization.test_evaluation_page import analysis_create, model_create
from tests.customization.test_flow import _register
from tests.customization.test_gallery import put_dataset
from tests.e2e.conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Overall and per-tag (precision, recall) by hand, at the slider's positions (see the metrics test).
HAND = {
    50: {"all": ("33.3%", "25.0%"), "0": ("50.0%", "50.0%"), "1": ("0.0%", "0.0%")},
    35: {"all": ("50.0%", "50.0%"), "0": ("50.0%", "50.0%"), "1": ("50.0%", "50.0%")},
    20: {"all": ("40.0%", "50.0%"), "0": ("33.3%", "50.0%"), "1": ("50.0%", "50.0%")},
    95: {"all": ("—", "0.0%"), "0": ("—", "0.0%"), "1": ("—", "0.0%")},
}


def _slide(page: Page, value: int) -> None:
    page.locator("#eval-threshold").evaluate(
        f"(el) => {{ el.value = {value}; el.dispatchEvent(new Event('input', {{bubbles: true}})); }}"
    )


def _expect_figures(page: Page, value: int) -> None:
    expect(page.locator("#eval-threshold-value")).to_have_text(f"{value}%")
    for index, (precision, recall) in HAND[value].items():
        row = page.locator(f'#pr-table tr[data-tag-index="{index}"]')
        expect(row.locator('[data-field="precision"]')).to_have_text(precision)
        expect(row.locator('[data-field="recall"]')).to_have_text(recall)
    expect(page.locator("#overall-precision")).to_have_text(HAND[value]["all"][0])
    expect(page.locator("#overall-recall")).to_have_text(HAND[value]["all"][1])


def _keep_pictures(analysis, images) -> None:
    """Pictures for the gallery: grey, with the true shapes painted where their boxes are."""
    folder = analysis_folder(analysis.pk)
    folder.mkdir(parents=True, exist_ok=True)
    for n, (truth, _) in enumerate(images, start=1):
        picture = Image.new("RGB", (400, 300), (214, 219, 226))
        draw = ImageDraw.Draw(picture)
        for _, x, y, w, h in truth["boxes"]:
            draw.ellipse([x * 400, y * 300, (x + w) * 400, (y + h) * 300], fill=(70, 90, 130))
        picture.save(folder / f"{n}.jpg", "JPEG")


def test_the_slider_recomputes_precision_and_recall_without_a_page_load(page: Page, live_server, tx_personas):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    model_create()
    analysis = analysis_create(tx_personas.workspace)
    _keep_pictures(analysis, DETECTION)
    log_in(page, live_server.url, "bob")
    url = live_server.url + reverse(
        "customization:model", kwargs={"ws_id": tx_personas.workspace.pk, "name": "det"}
    )
    page.goto(url)
    _expect_figures(page, 50)
    expect(page.locator("#error-tiles figure")).to_have_count(3)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#error-tiles img')].every((i) => i.complete)"
    )
    shot(page, "evaluation-50")

    page.evaluate("() => { window.__sameDocument = 'yes'; }")
    dot = page.locator('circle.at-threshold[data-tag-index="1"]')
    # B at 50%: one wrong box, nothing right: precision 0, recall 0, the plot's bottom left corner
    expect(dot).to_have_attribute("cx", "36.00")
    expect(dot).to_have_attribute("cy", "172.00")
    for value in (35, 20, 95):
        _slide(page, value)
        _expect_figures(page, value)
        if value == 35:
            # B at 35%: recall .5, precision .5 -> the middle of the plot (36 + 96, 12 + 80)
            expect(dot).to_have_attribute("cx", "132.00")
            expect(dot).to_have_attribute("cy", "92.00")
            shot(page, "evaluation-35")
    assert page.evaluate("() => window.__sameDocument") == "yes"  # no page load in between

    _slide(page, 35)
    expect(page.locator("#errors-apply")).to_have_text("Draw at 35%")
    page.click("#errors-apply")
    expect(page.locator("#errors-count")).to_contain_text("Drawn at 35%")
    first = page.locator("#error-tiles img").first
    expect(first).to_have_attribute(
        "src",
        f"{reverse('customization:analysis_image', kwargs={'ws_id': tx_personas.workspace.pk, 'name': 'det', 'image_id': 2})}?analysis={analysis.pk}&t=0.35",
    )
    assert page.evaluate("() => window.__sameDocument") == "yes"
    _expect_figures(page, 35)  # the gallery's swap leaves the figures as they are
    colour = page.locator("#pr-table .ds-chip").first.evaluate("(el) => el.style.getPropertyValue('--c')")
    assert colour.startswith("#"), colour  # the chips keep their colours after the swap
    page.wait_for_function(
        "() => [...document.querySelectorAll('#error-tiles img')].every((i) => i.complete)"
    )
    page.locator("#errors").scroll_into_view_if_needed()
    shot(page, "evaluation-gallery-35")

    page.select_option("#errors-tag", "A")
    expect(page.locator("#error-tiles figure")).to_have_count(2)
    expect(page.locator("#errors-count")).to_contain_text("2 images involve A")


def test_a_classifiers_page_has_a_confusion_matrix_and_the_same_slider(page: Page, live_server, tx_personas):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    model_create(
        "cls",
        "Generic-Classifier",
        performance={"accuracyTop1": 0.5, "averagePrecision": 0.6, "tagPerformance": {}},
    )
    analysis = analysis_create(
        tx_personas.workspace,
        CLASSIFICATION,
        model="cls",
        kind="imageClassification",
        categories=("cat", "dog", "bird"),
        role="training",
    )
    _keep_pictures(analysis, CLASSIFICATION)
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url
        + reverse("customization:model", kwargs={"ws_id": tx_personas.workspace.pk, "name": "cls"})
    )
    expect(page.locator("#not-held-out")).to_be_visible()
    expect(page.locator("#confusion svg rect.cm-cell")).to_have_count(9)
    expect(page.locator("#overall-precision")).to_have_text("50.0%")
    _slide(page, 30)
    # By hand at 30%: 4 right, 3 wrong, nothing missed
    expect(page.locator("#overall-precision")).to_have_text("57.1%")
    expect(page.locator("#overall-recall")).to_have_text("100.0%")
    expect(page.locator('#pr-table tr[data-tag-index="0"] [data-field="fp"]')).to_have_text("2")
    shot(page, "evaluation-classifier-30")


def test_the_comparison_highlights_the_differences(page: Page, live_server, tx_personas):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    model_create("det")
    model_create(
        "det2",
        performance={
            "meanAveragePrecision30": 0.7,
            "meanAveragePrecision50": 0.65,
            "meanAveragePrecision75": 0.2,
            "tagPerformance": {"A": {"averagePrecision50": 0.9}, "B": {"averagePrecision50": 0.2}},
        },
    )
    analysis_create(tx_personas.workspace)
    later = [(t, [[p[0], min(1.0, p[1] + 0.3), *p[2:]] for p in ps]) for t, ps in DETECTION]
    analysis_create(tx_personas.workspace, later, model="det2")
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url
        + reverse("customization:model_compare", kwargs={"ws_id": tx_personas.workspace.pk})
        + "?m=det&m=det2"
    )
    expect(page.locator("#compare-aggregates td.better")).to_have_count(2)
    expect(page.locator("#compare-aggregates td.worse")).to_have_count(1)
    expect(page.locator("#compare-threshold")).to_contain_text("33.3%")
    shot(page, "evaluation-compare")


def test_the_cost_of_an_analysis_is_shown_before_it_starts(
    page: Page, live_server, tx_personas, celery_worker
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    put_dataset(tx_personas, "gal", count=27)
    registered = _register(tx_personas, "gal-ds", "gal/train.json")
    assert registered.status == Job.Status.SUCCEEDED, registered.error_message
    model_create("det", training_dataset_name="gal-ds")
    log_in(page, live_server.url, "bob")
    page.goto(
        live_server.url
        + reverse("customization:model", kwargs={"ws_id": tx_personas.workspace.pk, "name": "det"})
    )
    expect(page.locator("#analyze-dataset option")).to_have_text(["gal-ds (training dataset: not held out)"])
    page.click("#analyze-form button")
    expect(page.locator("#analyze-calls")).to_have_text("27 images = 27 prediction calls")
    expect(page.locator("#analyze-not-held-out")).to_be_visible()
    expect(page.locator("#analyze-start")).to_have_text("Run 27 prediction calls")
    assert not Job.objects.filter(kind="analyze_errors").exists()  # nothing started yet
    shot(page, "evaluation-analyze-cost")
