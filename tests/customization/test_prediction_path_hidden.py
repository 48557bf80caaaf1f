"""No page shows where the server keeps an uploaded prediction image (issue 9)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from jobs.models import Job
from jobs.services import job_start
from sandbox.vision.models import VisionModel
from tests.conftest import connect_to_sandbox, login, wait_for_job


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 200, 200)).save(out, "PNG")
    return out.getvalue()


def _pages(client, workspace, job: Job) -> dict[str, str]:
    ws = workspace.pk
    detail = reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": job.pk})
    pages = {
        "detail": client.get(detail).content.decode(),
        "live": client.get(detail, HTTP_HX_REQUEST="true").content.decode(),
        "history": client.get(reverse("jobs:history", kwargs={"ws_id": ws})).content.decode(),
        "row": client.get(reverse("jobs:row", kwargs={"ws_id": ws, "job_id": job.pk})).content.decode(),
    }
    csv = client.get(reverse("jobs:history_csv", kwargs={"ws_id": ws}))
    pages["csv"] = b"".join(csv.streaming_content).decode()
    return pages


def _assert_no_server_path(pages: dict[str, str]) -> None:
    for name, text in pages.items():
        assert "var/predictions" not in text, name
        assert "predictions/" not in text, name
        assert str(settings.VAR_DIR) not in text, name


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_prediction_shows_its_file_name_not_the_server_path(
    client, tx_personas, live_server, celery_worker
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    VisionModel.objects.create(
        name="shapes-model",
        status="succeeded",
        model_kind="Generic-Detector",
        training_dataset_name="d",
        time_budget_hours=1,
    )
    login(client, tx_personas.bob)
    image = io.BytesIO(_png())
    image.name = "holiday photo.png"
    response = client.post(
        reverse("customization:try", kwargs={"ws_id": tx_personas.workspace.pk}),
        {"model": "shapes-model", "image": image},
    )
    assert response.status_code == 302, response.content.decode()
    job = wait_for_job(Job.objects.get(kind="predict"), timeout=60)
    assert Path(job.params["image_path"]).is_file()  # kept on the server, for the drawn result
    for user in (tx_personas.bob, tx_personas.alice):
        login(client, user)
        pages = _pages(client, tx_personas.workspace, job)
        _assert_no_server_path(pages)
        assert "<dt>Image name</dt><dd>holiday photo.png</dd>" in pages["detail"]


@pytest.mark.django_db
def test_a_finished_prediction_never_shows_the_server_path(client, personas):
    from tests.customization.test_try_result import predicted_job

    job = predicted_job(personas)
    for user in (personas.bob, personas.alice):
        login(client, user)
        _assert_no_server_path(_pages(client, personas.workspace, job))


@pytest.mark.django_db(transaction=True)
def test_a_prediction_whose_image_is_gone_says_so_without_the_server_path(
    client, tx_personas, live_server, celery_worker
):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    job = job_start(
        workspace=tx_personas.workspace,
        actor=tx_personas.bob,
        kind="predict",
        target="m",
        params={
            "model": "m",
            "image_path": str(Path(settings.VAR_DIR) / "predictions" / f"{uuid.uuid4()}.png"),
            "content_type": "image/png",
            "width": 1,
            "height": 1,
        },
    )
    job = wait_for_job(job, timeout=60)
    assert job.status == Job.Status.FAILED
    assert job.error_code == "image_gone", job.error_detail
    for user in (tx_personas.bob, tx_personas.alice):
        login(client, user)
        _assert_no_server_path(_pages(client, tx_personas.workspace, job))
