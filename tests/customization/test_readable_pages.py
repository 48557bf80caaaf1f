"""Datasets, models and Try it out read as a person reads them, against the Vision sandbox over HTTP:
empty states that link to the step that fills them, dates in words, labels instead of the service's
names, and gallery captions that show the file's own name."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from PIL import Image

from customization.models import DatasetRecord
from sandbox.vision.models import VisionDataset, VisionModel
from tests.conftest import connect_to_sandbox, login
from tests.page_text import ISO_DATETIME, page_text
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)

CREATED = datetime(2026, 12, 2, 6, 40, 12, 345000, tzinfo=UTC)


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def _get(client, personas, view: str, **kwargs) -> str:
    login(client, personas.bob)
    response = client.get(reverse(f"customization:{view}", kwargs={"ws_id": personas.workspace.pk, **kwargs}))
    assert response.status_code == 200
    return response.content.decode()


def _href(personas, name: str) -> str:
    return f'href="{reverse(name, kwargs={"ws_id": personas.workspace.pk})}"'


def test_an_empty_datasets_page_links_to_an_export_and_to_registering(client, sandboxed):
    html = _get(client, sandboxed, "datasets")
    assert "No datasets yet" in html
    empty = html.split('id="datasets-empty"', 1)[1]
    assert _href(sandboxed, "migrator:projects") in empty
    assert _href(sandboxed, "customization:dataset_register") in empty


def test_an_empty_models_page_links_to_training(client, sandboxed):
    empty = _get(client, sandboxed, "models").split('id="models-empty"', 1)[1]
    assert _href(sandboxed, "customization:model_train") in empty
    assert _href(sandboxed, "customization:datasets") in empty


def test_try_it_out_without_a_trained_model_links_to_training(client, sandboxed):
    VisionModel.objects.create(
        name="still-training",
        status="training",
        model_kind="Generic-Detector",
        training_dataset_name="d",
        time_budget_hours=1,
    )
    empty = _get(client, sandboxed, "try").split('id="try-empty"', 1)[1]
    assert _href(sandboxed, "customization:model_train") in empty
    assert _href(sandboxed, "customization:models") in empty


def test_the_datasets_list_and_page_show_dates_and_labels_in_words(client, sandboxed):
    VisionDataset.objects.create(
        name="pets-ds",
        annotation_kind="imageObjectDetection",
        auth_kind="sas",
        annotation_file_uris=["http://127.0.0.1:9/none.json"],
        created=CREATED,
    )
    DatasetRecord.objects.create(
        workspace=sandboxed.workspace,
        name="pets-ds",
        kind="imageObjectDetection",
        annotation_url="http://127.0.0.1:9/none.json",
        source="Pets/train.json",
        auth="sas",
        sas_expires_at=CREATED + timedelta(days=2),
        images=3,
    )
    text = page_text(_get(client, sandboxed, "datasets"))
    assert "pets-ds Object detection 3 outside Visionport 2 Dec 2026, 06:40" in text
    assert not ISO_DATETIME.search(text)
    html = _get(client, sandboxed, "dataset", name="pets-ds")
    text = page_text(html)
    assert "Object detection · images read with a SAS token" in text
    assert "Created 2 Dec 2026, 06:40" in text
    assert "SAS expires 4 Dec 2026, 06:40" in text
    assert not ISO_DATETIME.search(text)
    assert "· sas" not in text
    assert '<time datetime="2026-12-02T06:40:12+00:00"' in html


def test_the_models_pages_show_kinds_statuses_costs_and_dates_in_words(client, sandboxed):
    VisionModel.objects.create(
        name="m1",
        status="succeeded",
        model_kind="Generic-Detector",
        training_dataset_name="pets-ds",
        time_budget_hours=0.05,
        training_cost_minutes=0.6,
        created=CREATED,
        updated=CREATED + timedelta(minutes=3),
    )
    VisionModel.objects.create(
        name="m2",
        status="notStarted",
        model_kind="Generic-Classifier",
        training_dataset_name="pets-ds",
        time_budget_hours=1,
    )
    text = page_text(_get(client, sandboxed, "models"))
    assert "m1 General (object detection) pets-ds Succeeded 36 s" in text
    assert "m2 General (classification) pets-ds Not started —" in text
    assert "Generic-" not in text and "notStarted" not in text
    text = page_text(_get(client, sandboxed, "model", name="m1"))
    assert "General (object detection) on pets-ds · budget 0.05 h (3 min)" in text
    assert "Status Succeeded" in text
    assert "Compute cost 36 s" in text
    assert "Created 2 Dec 2026, 06:40 Updated 2 Dec 2026, 06:43" in text
    assert not ISO_DATETIME.search(text)
    assert "Generic-" not in text


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (128, 128, 128)).save(out, "PNG")
    return out.getvalue()


def test_gallery_captions_show_the_file_name_and_keep_the_full_path_in_the_title(client, sandboxed):
    _, store = storage_for(sandboxed.workspace)
    store.create_container()
    folder = "Pets_8f0c2a5e-54b4-4a11-9d0e-3c1f2b7a9e61/images"
    store.put(f"{folder}/cat-01.png", _png(), "image/png")
    coco = {
        "images": [
            {
                "id": 1,
                "width": 80,
                "height": 60,
                "file_name": f"{folder}/cat-01.png",
                "coco_url": store.url(f"{folder}/cat-01.png"),
            }
        ],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    store.put("pets/train.json", json.dumps(coco).encode(), "application/json")
    VisionDataset.objects.create(
        name="pets-ds",
        annotation_kind="imageClassification",
        annotation_file_uris=[store.url("pets/train.json")],
    )
    html = _get(client, sandboxed, "dataset", name="pets-ds")
    assert '<span class="ds-file">cat-01.png</span>' in html
    assert f'title="{folder}/cat-01.png: cat"' in html
