"""The job page and the job history read as a person reads them: labelled parameters without server
paths, dates and durations in words, and an empty history that links to the first steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from jobs.models import Job
from tests.conftest import login
from tests.page_text import ISO_DATETIME, page_text

CREATED = datetime(2026, 12, 2, 6, 40, 12, tzinfo=UTC)


def _job(personas, kind: str, params: dict, **fields) -> Job:
    job = Job.objects.create(
        workspace=personas.workspace, actor=personas.bob, kind=kind, target="t", params=params, **fields
    )
    Job.objects.filter(pk=job.pk).update(created_at=CREATED)
    job.refresh_from_db()
    return job


def _page(client, personas, job: Job) -> str:
    login(client, personas.bob)
    return client.get(
        reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk})
    ).content.decode()


def test_a_prediction_never_shows_the_image_path_on_the_server(client, personas):
    path = "/srv/visionport/var/predictions/0f1e2d3c.png"
    job = _job(
        personas,
        "predict",
        {"model": "shapes-m", "image_path": path, "content_type": "image/png", "width": 120, "height": 90},
    )
    html = _page(client, personas, job)
    assert "image_path" not in html
    assert path not in html
    assert "/srv/visionport" not in html
    text = page_text(html)
    assert "Model shapes-m" in text
    assert "Image size 120 × 90 px" in text
    assert "content_type" not in text


def test_parameters_are_labelled_and_service_names_read_as_words(client, personas):
    job = _job(
        personas,
        "train_model",
        {
            "name": "m1",
            "kind": "Generic-Detector",
            "dataset": "shapes-ds",
            "eval_dataset": "",
            "budget_hours": 0.05,
        },
    )
    text = page_text(_page(client, personas, job))
    assert "Budget 0.05 h (3 min)" in text
    assert "Kind General (object detection)" in text
    assert "Evaluation dataset 20% of the training set, held out" in text
    for raw in ("budget_hours", "eval_dataset", "Generic-Detector"):
        assert raw not in text
    job = _job(
        personas,
        "register_dataset",
        {
            "name": "d",
            "kind": "imageObjectDetection",
            "auth": "sas",
            "source": "storage",
            "path": "Pets_1/train.json",
            "url": "",
        },
    )
    text = page_text(_page(client, personas, job))
    assert "Access to the images SAS token" in text
    assert "Kind Object detection" in text
    assert "Path in storage Pets_1/train.json" in text
    assert " sas " not in f" {text} "


def test_dates_and_durations_read_as_words_with_the_iso_value_kept_in_the_markup(client, personas):
    job = _job(
        personas,
        "test_count",
        {"steps": 3},
        status=Job.Status.SUCCEEDED,
        started_at=CREATED + timedelta(seconds=8),
        finished_at=CREATED + timedelta(seconds=200.3),
    )
    retry = _job(personas, "test_count", {"steps": 3}, retry_of=job)
    html = _page(client, personas, job)
    text = page_text(html)
    assert "Created 2 Dec 2026, 06:40" in text
    assert "Started 2 Dec 2026, 06:40" in text
    assert "Finished 2 Dec 2026, 06:43" in text
    assert "Duration 3 min 12 s" in text
    assert "Retried as job of 2 Dec 2026, 06:40" in text
    assert not ISO_DATETIME.search(text)
    assert '<time datetime="2026-12-02T06:40:12+00:00" title="2026-12-02T06:40:12+00:00">' in html
    assert "Retry of Succeeded job of 2 Dec 2026, 06:40" in page_text(_page(client, personas, retry))


def test_an_empty_history_links_to_the_first_steps(client, personas):
    login(client, personas.bob)
    html = client.get(reverse("jobs:history", kwargs={"ws_id": personas.workspace.pk})).content.decode()
    ws = personas.workspace.pk
    assert "No jobs yet" in html
    assert f'href="{reverse("migrator:projects", kwargs={"ws_id": ws})}"' in html
    assert f'href="{reverse("customization:dataset_register", kwargs={"ws_id": ws})}"' in html
    assert f'href="{reverse("customization:model_train", kwargs={"ws_id": ws})}"' in html
    assert f'action="{reverse("workspaces:check_connections", kwargs={"ws_id": ws})}"' in html
    assert "as those capabilities arrive" not in html


def test_a_history_with_no_match_offers_to_show_every_job(client, personas):
    _job(personas, "test_count", {})
    login(client, personas.bob)
    url = reverse("jobs:history", kwargs={"ws_id": personas.workspace.pk})
    html = client.get(url, {"status": "failed"}).content.decode()
    assert "No jobs match these filters." in html
    assert f'<a href="{url}">Show every job</a>' in html


def test_an_export_report_gives_its_time_and_what_it_left_out_in_words(client, personas):
    job = _job(
        personas,
        "export_project",
        {
            "project_name": "Pets",
            "folder": "Pets_1/",
            "flavours": ["vision"],
            "multilabel": "skip",
            "negative": "category",
            "existing": "version",
        },
        status=Job.Status.SUCCEEDED,
        result={
            "destination": "exports/Pets_1/",
            "images": {"listed": 12, "copied": 12, "failed": 0},
            "left_out_of_annotations": {"multilabel": 2, "untagged": 1},
            "clamped_boxes": 0,
            "timings": {"total_seconds": 192.34},
            "files": {},
        },
    )
    text = page_text(_page(client, personas, job))
    assert "Time 3 min 12 s" in text
    assert "Left out: several tags 2 images" in text
    assert "Left out: untagged 1 image" in text
    assert "Images with several tags Left out" in text
    assert "Negative tag Kept as a category" in text
    assert "Files written Azure AI Vision COCO" in text
    assert "multilabel" not in text and "192.34" not in text


def test_only_a_queued_job_says_it_waits_for_a_worker(client, personas):
    """A training that a worker has started, before its first progress, is not "waiting for a worker"."""
    queued = _job(personas, "train_model", {"name": "m"})
    running = _job(personas, "train_model", {"name": "m"}, status=Job.Status.RUNNING, started_at=CREATED)
    assert "Waiting for a worker" in page_text(_page(client, personas, queued))
    text = page_text(_page(client, personas, running))
    assert "Waiting for a worker" not in text
    assert "Started; waiting for its first progress" in text
