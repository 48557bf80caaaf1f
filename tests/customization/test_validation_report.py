"""The validation report on a register job's page: grouped by kind, the fix first, a few places, the rest
behind a toggle, and counts that read as English."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from customization.templatetags.reports import report_view
from customization.validation import validate_coco
from jobs.models import Job
from jobs.runner import job_run
from tests.conftest import login
from tests.page_text import page_text
from workspaces.models import Connection
from workspaces.services import connection_update
from workspaces.storage import storage_for

pytestmark = pytest.mark.django_db(transaction=True)


def pixel_boxes(count: int) -> dict:
    """A detection file whose ``count`` boxes are all in pixels: one kind of blocking problem."""
    return {
        "images": [
            {
                "id": n,
                "width": 100,
                "height": 100,
                "file_name": f"Pets_1/images/{n}.jpg",
                "coco_url": f"http://127.0.0.1:9/{n}.jpg",
            }
            for n in range(1, count + 1)
        ],
        "annotations": [
            {"id": n, "image_id": n, "category_id": 1, "bbox": [10, 10, 50, 50]} for n in range(1, count + 1)
        ],
        "categories": [{"id": 1, "name": "cat"}],
    }


def register(personas, coco: dict) -> Job:
    """A register job run to its end in this process, on a file in the workspace's local storage."""
    connection_update(
        workspace=personas.workspace,
        kind=Connection.Kind.STORAGE,
        actor=None,
        storage_auth=Connection.StorageAuth.LOCAL,
        container="exports",
    )
    _, store = storage_for(personas.workspace)
    store.create_container()
    store.put("bad/train.json", json.dumps(coco).encode(), "application/json")
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.bob,
        kind="register_dataset",
        target="bad-ds",
        params={
            "name": "bad-ds",
            "kind": "imageObjectDetection",
            "purpose": "training",
            "source": "storage",
            "path": "bad/train.json",
            "url": "",
            "auth": "managedIdentity",
            "budget_hours": 1,
            "check": "none",
            "export_job": "",
        },
    )
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error_code == "validation_failed"
    return job


def job_page(client, personas, job: Job) -> str:
    login(client, personas.bob)
    url = reverse("jobs:detail", kwargs={"ws_id": personas.workspace.pk, "job_id": job.pk})
    return client.get(url).content.decode()


def test_it_groups_a_kind_with_the_fix_first_five_places_and_the_rest_behind_a_toggle(client, tx_personas):
    html = job_page(client, tx_personas, register(tx_personas, pixel_boxes(47)))
    text = page_text(html)
    assert "47 blocking problems of 1 kind" in text
    assert "The file has 47 blocking problems of 1 kind;" in text
    assert "1 kinds" not in text
    problem = re.search(
        r'<section class="alert alert-error problem"[^>]*data-code="bbox_pixels".*?</section>', html, re.S
    ).group(0)
    assert "47 annotations" in page_text(problem)
    fix = problem.index("Divide left and width by the image width")
    places = re.findall(r"<li>(annotation id \d+ \(image \d+\)[^<]*)</li>", problem)
    assert problem.index(places[0]) > fix  # what to do comes before where
    before_toggle = problem.split("<details", 1)[0]
    assert re.findall(r"<li>annotation id (\d+) ", before_toggle) == ["1", "2", "3", "4", "5"]
    toggle = re.search(r"<details[^>]*>\s*<summary[^>]*>(.*?)</summary>(.*?)</details>", problem, re.S)
    assert toggle.group(1) == "and 42 more"
    hidden = toggle.group(2)
    assert re.findall(r"<li>annotation id (\d+) ", hidden) == [str(n) for n in range(6, 21)]
    assert "The other 27 are not listed" in page_text(hidden)
    assert "Where:" not in text  # no wall of paths any more


def test_one_problem_reads_in_the_singular_and_needs_no_toggle(client, tx_personas):
    html = job_page(
        client,
        tx_personas,
        register(
            tx_personas,
            pixel_boxes(2)
            | {
                "annotations": [
                    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50]},
                    {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0.1, 0.1, 0.2, 0.2]},
                ]
            },
        ),
    )
    text = page_text(html)
    assert "1 blocking problem of 1 kind" in text
    assert "The file has 1 blocking problem of 1 kind; nothing was registered. Fix it" in text
    assert "1 annotation" in text
    assert "problem-more" not in html  # one place: nothing to toggle


def test_the_view_of_a_stored_report_counts_places_and_labels_the_kind():
    report = validate_coco(
        pixel_boxes(3) | {"categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]},
        kind="imageObjectDetection",
    ).as_dict()
    view = report_view(report)
    assert view.kind == "Object detection"
    assert (view.error_count, len(view.errors)) == (3, 1)
    (problem,) = view.errors
    assert (problem.how_many, problem.more, problem.hidden, problem.unlisted) == ("3 annotations", 0, [], 0)
    (unused,) = view.warnings
    assert unused.how_many == "1 category"
    assert view.warning_count == 1


def test_an_odd_stored_report_still_reads():
    view = report_view(
        {"errors": [{"code": "image_id_type", "count": "x", "where": "abc"}, 3], "images": "?"}
    )
    assert (view.images, view.ok, view.error_count) == (0, False, 1)
    assert view.errors[0].where == [] and view.errors[0].how_many == ""
