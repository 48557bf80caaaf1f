"""The model page's evaluation section on fixed predictions: readable labels, the figures at the
slider's threshold equal to the hand computation, the error gallery's order, filter and pages,
bad input answered with a sentence, and nothing of another workspace reachable."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from PIL import Image

from customization.metrics import image_outcome
from customization.models import AnalyzedImage, ErrorAnalysis
from customization.services.analysis import _tags, analysis_folder
from sandbox.vision.models import VisionModel
from tests.conftest import connect_to_sandbox, login
from tests.customization.test_evaluation_metrics import CLASSIFICATION, DETECTION
from tests.customization.test_try_result import element
from tests.page_text import page_text

pytestmark = pytest.mark.django_db(transaction=True)

DETAILS = {
    "backbone": "efficientnet-lite0 (ImageNet-pretrained)",
    "evaluatedOn": "heldOutSplit",
    "trainingImages": 12,
    "evaluationImages": 3,
    "steps": 140,
    "trainingSeconds": 42.5,
    "device": "cpu",
}


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def model_create(name: str = "det", kind: str = "Generic-Detector", **extra) -> VisionModel:
    tags = {
        "A": {"accuracy": None, "averagePrecision50": 0.7},
        "B": {"accuracy": None, "averagePrecision50": 0.4},
    }
    performance = {
        "accuracyTop1": None,
        "accuracyTop5": None,
        "averagePrecision": None,
        "calibrationECE": None,
        "meanAveragePrecision30": 0.6,
        "meanAveragePrecision50": 0.55,
        "meanAveragePrecision75": 0.3,
        "tagPerformance": tags,
    }
    return VisionModel.objects.create(
        name=name,
        status="succeeded",
        model_kind=kind,
        training_dataset_name=extra.pop("training_dataset_name", "shapes-ds"),
        time_budget_hours=0.05,
        training_cost_minutes=1.5,
        performance=extra.pop("performance", performance),
        details=extra.pop("details", DETAILS),
        **extra,
    )


def analysis_create(
    workspace,
    images=DETECTION,
    *,
    model="det",
    kind="imageObjectDetection",
    role="evaluation",
    categories=("A", "B"),
):
    analysis = ErrorAnalysis.objects.create(
        workspace=workspace,
        model_name=model,
        dataset="shapes-eval",
        dataset_role=role,
        kind=kind,
        categories=list(categories),
        images=len(images),
        truth_objects=sum(len(t["boxes"] or t["labels"]) for t, _ in images),
        complete=True,
        finished_at=datetime.now(UTC),
    )
    for n, (truth, predictions) in enumerate(images, start=1):
        AnalyzedImage.objects.create(
            analysis=analysis,
            image_id=n,
            file_name=f"shapes/images/{n}.png",
            url=f"http://127.0.0.1:9/shapes/images/{n}.png",
            width=100,
            height=100,
            truth=truth,
            predictions=predictions,
            error_score=image_outcome(kind, truth, predictions).score,
            tags=_tags(truth, predictions),
        )
    return analysis


def _page(client, personas, name="det", user=None, **query):
    login(client, user or personas.bob)
    url = reverse("customization:model", kwargs={"ws_id": personas.workspace.pk, "name": name})
    return client.get(url, query)


def _figures(html: str) -> dict:
    table = element(html, "pr-table")
    rows = {}
    for row in re.findall(r'<tr data-tag-index="([^"]+)">(.*?)</tr>', table, re.S):
        cells = dict(re.findall(r'data-field="(\w+)">([^<]*)<', row[1]))
        rows[row[0]] = cells
    return rows


def test_the_service_figures_have_readable_labels_and_the_training_details(client, sandboxed):
    model_create()
    html = _page(client, sandboxed).content.decode()
    text = page_text(html)
    assert "AVERAGEPRECISION50" not in text.upper().replace("AP@50", "")
    assert "averagePrecision50" not in html
    header = element(html, "tag-metrics").split("</thead>")[0]
    assert "AP@50 (IoU 0.5)" in header
    assert "Accuracy" not in header  # no tag fills it: no empty column
    assert "Backbone efficientnet-lite0 (ImageNet-pretrained)" in text
    assert "Compute cost 1 min 30 s (50% of the budget used)" in text
    assert "Held-out images 3" in text
    assert "Computed on 20% of the training images, held out (not trained on)" in text
    assert "Training steps 140" in text and "Device CPU" in text and "Training time 42 s" in text


def test_the_first_figures_are_the_hand_computation_at_fifty_percent(client, sandboxed):
    model_create()
    analysis = analysis_create(sandboxed.workspace)
    assert analysis.summary == {}  # as an analysis finished before there were summaries
    html = _page(client, sandboxed).content.decode()
    analysis.refresh_from_db()
    assert analysis.summary["answered"] == 3  # computed at the first view, and kept
    rows = _figures(html)
    # By hand (test_evaluation_metrics): A 1 TP 1 FP 1 FN; B 0 TP 1 FP 2 FN; all 1/2/3.
    assert rows["0"] == {"precision": "50.0%", "recall": "50.0%", "tp": "1", "fp": "1", "fn": "1"}
    assert rows["1"] == {"precision": "0.0%", "recall": "0.0%", "tp": "0", "fp": "1", "fn": "2"}
    assert rows["all"] == {"precision": "33.3%", "recall": "25.0%", "tp": "1", "fp": "2", "fn": "3"}
    assert 'id="overall-precision">33.3%<' in html
    data = json.loads(
        re.search(r'<script id="eval-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    # The slider's counts at every whole percent: A's predictions are .9 right, .8 and .3 wrong.
    a, b = data["tags"]
    assert (a["tag"], a["truth"], b["tag"], b["truth"]) == ("A", 2, "B", 2)
    assert len(a["tp"]) == len(a["fp"]) == 101
    assert a["tp"] == [1] * 91 + [0] * 10
    assert a["fp"] == [2] * 31 + [1] * 50 + [0] * 20
    assert b["tp"] == [1] * 41 + [0] * 60 and b["fp"] == [1] * 71 + [0] * 30  # .7 wrong, .4 right
    assert set(a) == {"tag", "truth", "tp", "fp"}  # no per-prediction list: the same size at any count
    assert html.count('<svg class="pr-curve"') == 2
    assert 'id="not-held-out"' not in html


@pytest.mark.parametrize(
    ("t", "overall", "note"),
    [
        ("0.35", ("50.0%", "50.0%"), ""),
        ("35", ("50.0%", "50.0%"), ""),  # a percentage
        ("0.2", ("40.0%", "50.0%"), ""),
        ("abc", ("33.3%", "25.0%"), "is not a threshold: showing 50%"),
        ("nan", ("33.3%", "25.0%"), "is not a threshold: showing 50%"),
        ("-3", ("40.0%", "50.0%"), ""),  # clamped to 0: every prediction counts (2 of 5 right)
        ("250", ("—", "0.0%"), ""),  # clamped to 100%: nothing is predicted
    ],
)
def test_a_threshold_in_the_address_is_used_or_clamped_or_explained(client, sandboxed, t, overall, note):
    model_create()
    analysis_create(sandboxed.workspace)
    response = _page(client, sandboxed, t=t)
    assert response.status_code == 200
    rows = _figures(response.content.decode())
    assert (rows["all"]["precision"], rows["all"]["recall"]) == overall
    if note:
        assert note in page_text(response.content.decode())


def test_figures_on_the_training_dataset_say_they_are_not_held_out(client, sandboxed):
    model_create()
    analysis_create(sandboxed.workspace, role="training")
    text = page_text(element(_page(client, sandboxed).content.decode(), "not-held-out"))
    assert "These figures are not held out." in text


def test_a_classifier_gets_a_confusion_matrix(client, sandboxed):
    model_create("cls", "Generic-Classifier", performance={"accuracyTop1": 0.5, "tagPerformance": {}})
    analysis_create(
        sandboxed.workspace,
        CLASSIFICATION,
        model="cls",
        kind="imageClassification",
        categories=("cat", "dog", "bird"),
    )
    html = _page(client, sandboxed, name="cls").content.decode()
    matrix = element(html, "confusion")
    assert "<title>true cat, predicted dog: 1</title>" in matrix
    assert "<title>true bird, predicted bird: 1</title>" in matrix
    assert _figures(html)["all"] == {"precision": "50.0%", "recall": "50.0%", "tp": "2", "fp": "2", "fn": "2"}


def _order(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-image-id="(\d+)"', element(html, "errors"))]


def test_the_error_gallery_shows_the_worst_first_and_filters_by_tag(client, sandboxed):
    model_create()
    analysis_create(sandboxed.workspace)
    html = _page(client, sandboxed).content.decode()
    # Scores by hand: image 2 = 2.0 (wrong class, a far FP, the A missed), 1 = 1.5, 3 = 1.0.
    assert _order(html) == [2, 1, 3]
    tile = page_text(html.split('data-image-id="2"', 1)[1].split("</figure>", 1)[0])
    assert "1 wrong class" in tile and "1 missed" in tile
    assert "false positive" not in tile  # the far A at 30% is under the threshold
    tile = page_text(html.split('data-image-id="1"', 1)[1].split("</figure>", 1)[0])
    assert "1 false positive" in tile and "1 missed" in tile  # the second A at 80%; B found at 40% only
    assert _order(_page(client, sandboxed, tag="A").content.decode()) == [2, 1]
    # B: in the truth of 1 and 3, predicted at 70% on 2
    assert _order(_page(client, sandboxed, tag="B").content.decode()) == [2, 1, 3]
    unknown = _page(client, sandboxed, tag="<zebra>").content.decode()
    assert _order(unknown) == [2, 1, 3]
    assert "This analysis has no tag named “<zebra>”: showing every image." in page_text(unknown)
    assert "<zebra>" not in unknown  # escaped


def test_the_error_gallery_pages_by_24_and_clamps_the_page(client, sandboxed):
    model_create()
    images = [
        ({"labels": ["A"], "boxes": [["A", 0.1, 0.1, 0.2, 0.2]]}, [["A", c / 40, 0.1, 0.1, 0.2, 0.2]])
        for c in range(1, 31)
    ]
    analysis_create(sandboxed.workspace, images)
    first = _order(_page(client, sandboxed).content.decode())
    assert first == list(range(1, 25))  # the least confident match is the worst
    assert _order(_page(client, sandboxed, page="2").content.decode()) == list(range(25, 31))
    assert _order(_page(client, sandboxed, page="99").content.decode()) == list(range(25, 31))
    assert _order(_page(client, sandboxed, page="x").content.decode()) == first
    login(client, sandboxed.bob)
    fragment = client.get(
        reverse("customization:model", kwargs={"ws_id": sandboxed.workspace.pk, "name": "det"}),
        {"page": "2"},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in fragment.content.decode()
    assert fragment.content.decode().lstrip().startswith('<section class="card ds-gallery" id="errors"')


def _image_url(personas, analysis, image_id=1, name="det"):
    return (
        reverse(
            "customization:analysis_image",
            kwargs={"ws_id": personas.workspace.pk, "name": name, "image_id": image_id},
        )
        + f"?analysis={analysis.pk}"
    )


def test_an_analyzed_image_is_drawn_for_members_and_a_404_to_anyone_else(client, sandboxed):
    model_create()
    analysis = analysis_create(sandboxed.workspace)
    folder = analysis_folder(analysis.pk)
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (100, 100), (90, 120, 150)).save(folder / "1.jpg", "JPEG")
    login(client, sandboxed.bob)
    response = client.get(_image_url(sandboxed, analysis) + "&t=0.35")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (320, 320)
    assert client.get(_image_url(sandboxed, analysis, image_id=99)).status_code == 404
    assert client.get(_image_url(sandboxed, analysis, name="other")).status_code == 404
    gone = client.get(_image_url(sandboxed, analysis, image_id=2))  # its kept copy is missing
    assert gone.status_code == 404 and gone["Content-Type"] == "image/jpeg"
    login(client, sandboxed.charlie)
    assert client.get(_image_url(sandboxed, analysis)).status_code == 404
    assert _page(client, sandboxed, user=sandboxed.charlie).status_code == 404


def test_an_analysis_of_another_workspace_is_never_shown(client, sandboxed):
    model_create()
    theirs = analysis_create(sandboxed.other_workspace)
    html = _page(client, sandboxed, analysis=str(theirs.pk)).content.decode()
    assert "That analysis is not one of this model's" in page_text(html)
    assert 'id="pr-table"' not in html
    login(client, sandboxed.bob)
    url = reverse(
        "customization:analysis_image",
        kwargs={"ws_id": sandboxed.workspace.pk, "name": "det", "image_id": 1},
    )
    assert client.get(url, {"analysis": str(theirs.pk)}).status_code == 404
    assert client.get(url, {"analysis": "not-a-uuid"}).status_code == 404
    assert client.get(url).status_code == 404
    assert "not one of this model's" in page_text(
        _page(client, sandboxed, analysis="not-a-uuid").content.decode()
    )


@pytest.mark.parametrize(
    ("dataset", "sentence"),
    [("", "Pick a dataset to analyze the model on."), ("nope", "The service has no dataset named nope.")],
)
def test_the_analyze_page_refuses_bad_input_with_a_sentence(client, sandboxed, dataset, sentence):
    model_create()
    login(client, sandboxed.bob)
    url = reverse("customization:model_analyze", kwargs={"ws_id": sandboxed.workspace.pk, "name": "det"})
    for response in (client.get(url, {"dataset": dataset}), client.post(url, {"dataset": dataset})):
        assert response.status_code == 400
        assert sentence in page_text(response.content.decode())
    assert client.get(url.replace("/det/", "/missing/"), {"dataset": "x"}).status_code == 404


def test_the_comparison_puts_the_same_figures_side_by_side_with_the_difference(client, sandboxed):
    model_create("det")
    better = {
        "meanAveragePrecision30": 0.7,
        "meanAveragePrecision50": 0.65,
        "meanAveragePrecision75": 0.3,
        "tagPerformance": {"A": {"averagePrecision50": 0.9}, "B": {"averagePrecision50": 0.2}},
    }
    model_create("det2", performance=better)
    analysis_create(sandboxed.workspace)
    later = [
        (truth, [[p[0], min(1.0, p[1] + 0.3), *p[2:]] for p in predictions])
        for truth, predictions in DETECTION
    ]
    analysis_create(sandboxed.workspace, later, model="det2")
    login(client, sandboxed.bob)
    url = reverse("customization:model_compare", kwargs={"ws_id": sandboxed.workspace.pk})
    html = client.get(url + "?m=det&m=det2&t=0.5").content.decode()
    aggregates = page_text(element(html, "compare-aggregates"))
    assert "mAP@50 0.550 0.650 +0.100" in aggregates
    assert "mAP@75 0.300 0.300 ±0" in aggregates
    tags = element(html, "compare-tags")
    assert "AP@50 (IoU 0.5)" in tags and "averagePrecision50" not in tags
    assert '<td class="num worse">0.200<span class="delta delta-down">-0.200</span>' in tags
    # At 50%, det: A 50.0% / 50.0%; det2 (every confidence +.3): A .9->1, .8->1 (FP), .3->.6 (FP):
    # precision 33.3%, recall 50.0%; B: .7->1 FP, .4->.7 TP: 50.0%, 50.0%.
    threshold = page_text(element(html, "compare-threshold"))
    assert "A Precision 50.0% 33.3% -16.7 pt" in threshold
    assert "B Recall 0.0% 50.0% +50.0 pt" in threshold
    assert "All tags Precision 33.3%" in threshold
    bad = client.get(url + "?m=det&m=det2&t=lots")
    assert bad.status_code == 200 and "is not a threshold: showing 50%" in page_text(bad.content.decode())
