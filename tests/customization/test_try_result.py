"""The Try-it-out result on the job page: the service's JSON as JSON, the objects or tags strongest
first and filtered at the slider's threshold, a way to try another image, and no server path."""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from jobs.models import Job
from sandbox.vision.models import VisionModel
from tests.conftest import connect_to_sandbox, login

RAW = {
    "modelVersion": "2023-04-01",
    "metadata": {"width": 120, "height": 90},
    "customModelResult": {
        "objectsResult": {
            "values": [
                {
                    "boundingBox": {"x": 10, "y": 10, "w": 60, "h": 50},
                    "tags": [{"name": "square", "confidence": 0.91}],
                },
                {
                    "boundingBox": {"x": 12, "y": 12, "w": 58, "h": 46},
                    "tags": [{"name": "star", "confidence": 0.3}],
                },
                {
                    "boundingBox": {"x": 70, "y": 40, "w": 30, "h": 30},
                    "tags": [{"name": "circle", "confidence": 0.62}],
                },
            ]
        }
    },
}
OBJECTS = [
    {"name": "square", "confidence": 0.91, "box": [10, 10, 60, 50]},
    {"name": "star", "confidence": 0.3, "box": [12, 12, 58, 46]},
    {"name": "circle", "confidence": 0.62, "box": [70, 40, 30, 30]},
]


def predicted_job(personas, *, objects=OBJECTS, tags=(), raw=RAW, model: str = "shapes-model") -> Job:
    """A finished prediction, with its kept image on disk, as the predict job leaves it."""
    job_id = uuid.uuid4()
    folder = Path(settings.VAR_DIR) / "predictions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id}.png"
    Image.new("RGB", (120, 90), (200, 200, 200)).save(path, "PNG")
    return Job.objects.create(
        id=job_id,
        workspace=personas.workspace,
        actor=personas.bob,
        kind="predict",
        target=model,
        status=Job.Status.SUCCEEDED,
        params={
            "model": model,
            "image_path": str(path),
            "content_type": "image/png",
            "width": 120,
            "height": 90,
        },
        result={
            "model": model,
            "latency_ms": 41,
            "raw": raw,
            "tags": list(tags),
            "objects": list(objects),
            "width": 120,
            "height": 90,
        },
    )


class _Element(HTMLParser):
    """The source of the element with a given id, children included."""

    VOID = {"img", "input", "br", "hr", "meta", "link", "source", "wbr"}

    def __init__(self, page: str, element_id: str) -> None:
        super().__init__(convert_charrefs=False)
        self.element_id, self.depth, self.start, self.end = element_id, 0, None, None
        self.line_starts = [0]
        for line in page.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.end is not None or tag in self.VOID:
            return
        if self.start is None and dict(attrs).get("id") == self.element_id:
            self.start = self._where()
        if self.start is not None:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.start is not None and self.end is None and tag not in self.VOID:
            self.depth -= 1
            if self.depth == 0:
                self.end = self._where()

    def _where(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column


def element(page: str, element_id: str) -> str:
    parser = _Element(page, element_id)
    parser.feed(page)
    assert parser.start is not None and parser.end is not None, element_id
    return page[parser.start : parser.end]


def _result(client, personas, job: Job) -> str:
    """The prediction's part of its job page (the page's parameters list is not part of it)."""
    login(client, personas.bob)
    page = client.get(reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk}))
    assert page.status_code == 200
    return element(page.content.decode(), "job-result")


@pytest.mark.django_db
def test_it_shows_the_services_json_pretty_printed_with_a_copy_button(client, personas):
    section = _result(client, personas, predicted_job(personas))
    shown = html.unescape(re.search(r'<pre id="raw-json">(.*?)</pre>', section, re.S).group(1))
    # PostgreSQL's jsonb keeps the values but not the key order, so compare the parsed JSON and
    # check the layout: real JSON, indented by two spaces, one member per line.
    assert json.loads(shown) == RAW
    assert shown == json.dumps(json.loads(shown), indent=2)
    assert "'modelVersion'" not in shown
    assert 'data-copy="#raw-json"' in section


@pytest.mark.django_db
def test_it_lists_objects_strongest_first_and_hides_those_under_the_threshold(client, personas):
    section = _result(client, personas, predicted_job(personas))
    rows = re.findall(r'<li data-confidence="([0-9.]+)"( hidden)?>.*?>(\w+)</span>', section)
    assert [(c, bool(h), n) for c, h, n in rows] == [
        ("0.91", False, "square"),
        ("0.62", False, "circle"),
        ("0.3", True, "star"),
    ]
    assert "2 of 3 objects at or above 50%" in section
    assert '<li id="predictions-none" class="muted small" hidden>' in section


@pytest.mark.django_db
def test_a_classifiers_tags_are_filtered_by_the_slider_too(client, personas):
    tags = [{"name": "cat", "confidence": 0.2}, {"name": "dog", "confidence": 0.8}]
    section = _result(
        client, personas, predicted_job(personas, objects=[], tags=tags, raw={"modelVersion": "x"})
    )
    assert 'id="threshold"' in section
    assert "1 of 2 tags at or above 50%" in section
    assert re.search(r'<li data-confidence="0.2" hidden>', section)


@pytest.mark.django_db
def test_it_offers_to_try_another_image_with_the_same_model(client, personas):
    section = _result(client, personas, predicted_job(personas, model="shapes model"))
    url = reverse("customization:try", kwargs={"ws_id": personas.workspace.pk})
    assert f'id="try-another" href="{url}?model=shapes%20model">Try another image</a>' in section


@pytest.mark.django_db
def test_the_result_never_shows_the_server_path_of_the_image(client, personas):
    job = predicted_job(personas)
    section = _result(client, personas, job)
    assert job.params["image_path"] not in section
    assert "image_path" not in section
    assert str(settings.VAR_DIR) not in section


@pytest.mark.django_db
def test_a_prediction_whose_image_is_gone_answers_a_placeholder_not_a_500(client, personas):
    job = predicted_job(personas)
    Path(job.params["image_path"]).unlink()
    login(client, personas.bob)
    url = reverse("customization:prediction_image", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk})
    response = client.get(url + "?t=0.5")
    assert response.status_code == 404
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size[0] > 100


@pytest.mark.django_db(transaction=True)
def test_try_another_image_comes_back_with_the_model_chosen(client, tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    for name in ("first-model", "shapes-model"):
        VisionModel.objects.create(
            name=name,
            status="succeeded",
            model_kind="Generic-Detector",
            training_dataset_name="d",
            time_budget_hours=1,
        )
    login(client, tx_personas.bob)
    url = reverse("customization:try", kwargs={"ws_id": tx_personas.workspace.pk})
    page = client.get(url, {"model": "shapes-model"}).content.decode()
    assert re.search(r'<option value="shapes-model" selected>', page), page
    assert "image_path" not in page and str(settings.VAR_DIR) not in page
    page = client.get(url).content.decode()
    assert not re.search(r"<option [^>]*selected", page)
