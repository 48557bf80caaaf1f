"""Hostile project, tag and workspace names are escaped on every page that shows them.

The project is built in the sandbox over HTTP with the official Custom Vision SDK, exported by the
real worker, registered as a dataset and trained; then every page a person can reach for it is read.
"""

from __future__ import annotations

import csv as csv_module
import io

import pytest
from azure.cognitiveservices.vision.customvision.training.models import (
    ImageFileCreateBatch,
    ImageFileCreateEntry,
    Region,
)
from django.urls import reverse
from django.utils.html import escape

from jobs.models import Job
from jobs.services import job_start
from tests.conftest import connect_to_sandbox, login, wait_for_job
from tests.migrator.cvproject import DETECTION_GENERAL, picture, sdk

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
TAG_A = "<b>ball</b><script>alert(3)</script>"
TAG_B = '"><img src=x onerror=alert(4)>'
TAG_C = "cube' onmouseover='alert(5)"
WORKSPACE = "Team <svg onload=alert(6)>"
HOSTILE = (PROJECT, TAG_A, TAG_B, TAG_C, WORKSPACE)
# Pieces that must never reach a page raw, even when a longer string is cut or split.
MARKUP = ("<script>alert", "<img src=x", "<b>ball</b>", "<svg onload", "' onmouseover='")


def _hostile_project(base_url: str) -> str:
    client = sdk(base_url)
    project = client.create_project(PROJECT, domain_id=DETECTION_GENERAL)
    tags = [client.create_tag(project.id, name) for name in (TAG_A, TAG_B, TAG_C)]
    for index in range(9):  # 3 per tag, so that training holds some out and scores every tag
        regions = [
            Region(tag_id=tags[index % 3].id, left=0.1, top=0.1, width=0.4, height=0.4),
            Region(tag_id=tags[(index + 1) % 3].id, left=0.55, top=0.5, width=0.3, height=0.3),
        ]
        entry = ImageFileCreateEntry(
            name=f"h{index}", contents=picture(300 + index, size=(120, 90)), regions=regions
        )
        client.create_images_from_files(project.id, ImageFileCreateBatch(images=[entry]))
    return project.id


def _safe(html: str, where: str, shown: tuple[str, ...] = ()) -> None:
    for piece in MARKUP:
        assert piece not in html, f"{where}: raw {piece!r} in the page"
    for name in shown:
        assert escape(name) in html, f"{where}: {name!r} is not shown (escaped)"


@pytest.fixture
def sandboxed(tx_personas, live_server):
    tx_personas.workspace.name = WORKSPACE
    tx_personas.workspace.save()
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def test_hostile_names_are_escaped_on_every_page(client, sandboxed, live_server, celery_worker):
    ws = sandboxed.workspace.pk
    project_id = _hostile_project(live_server.url)
    export = job_start(
        workspace=sandboxed.workspace,
        actor=sandboxed.alice,
        kind="export_project",
        target=PROJECT,
        params={
            "project_id": project_id,
            "project_name": PROJECT,
            "folder": "hostile/",
            "flavours": ["vision"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "overwrite",
        },
    )
    export = wait_for_job(export, timeout=90)
    assert export.status == Job.Status.SUCCEEDED, export.error_message
    register = job_start(
        workspace=sandboxed.workspace,
        actor=sandboxed.alice,
        kind="register_dataset",
        target="hostile-ds",
        params={
            "name": "hostile-ds",
            "kind": "imageObjectDetection",
            "purpose": "training",
            "source": "storage",
            "path": "hostile/train.json",
            "url": "",
            "auth": "sas",
            "budget_hours": 0.01,
            "check": "none",
            "export_job": str(export.pk),
        },
    )
    register = wait_for_job(register, timeout=90)
    assert register.status == Job.Status.SUCCEEDED, (register.error_message, register.result)
    train = job_start(
        workspace=sandboxed.workspace,
        actor=sandboxed.alice,
        kind="train_model",
        target="hostile-m",
        params={
            "name": "hostile-m",
            "kind": "Generic-Detector",
            "dataset": "hostile-ds",
            "eval_dataset": "",
            "budget_hours": 0.01,
        },
    )
    train = wait_for_job(train, timeout=300)
    assert train.status == Job.Status.SUCCEEDED, (train.error_code, train.error_message)

    login(client, sandboxed.alice)
    tags = (TAG_A, TAG_B, TAG_C)
    pages = {
        "projects list": (reverse("migrator:projects", kwargs={"ws_id": ws}), (PROJECT,)),
        "project detail": (
            reverse("migrator:project", kwargs={"ws_id": ws, "project_id": project_id}),
            (PROJECT, *tags),
        ),
        "export job": (reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": export.pk}), (PROJECT, *tags)),
        "register job": (reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": register.pk}), ()),
        "job history": (reverse("jobs:history", kwargs={"ws_id": ws}), (PROJECT[:40],)),  # truncated
        "datasets": (reverse("customization:datasets", kwargs={"ws_id": ws}), ()),
        "dataset": (reverse("customization:dataset", kwargs={"ws_id": ws, "name": "hostile-ds"}), tags),
        "register form": (
            reverse("customization:dataset_register", kwargs={"ws_id": ws})
            + "?name=%3Cscript%3Ealert(1)%3C/script%3E&path=%22%3E%3Cimg%20src=x%20onerror=alert(2)%3E",
            (),
        ),
        "models": (reverse("customization:models", kwargs={"ws_id": ws}), ()),
        "model": (reverse("customization:model", kwargs={"ws_id": ws, "name": "hostile-m"}), tags),
        "compare": (reverse("customization:model_compare", kwargs={"ws_id": ws}) + "?m=hostile-m", ()),
        "train form": (reverse("customization:model_train", kwargs={"ws_id": ws}), ()),
        "try it out": (reverse("customization:try", kwargs={"ws_id": ws}), ()),
        "overview": (reverse("workspaces:overview", kwargs={"ws_id": ws}), (PROJECT,)),
        "settings": (reverse("workspaces:settings", kwargs={"ws_id": ws}), ()),
    }
    for where, (url, shown) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (where, response.status_code)
        _safe(response.content.decode(), where, (WORKSPACE, *shown))

    for job in (export, register, train):  # the history's live-row fragment (htmx)
        row = client.get(
            reverse("jobs:row", kwargs={"ws_id": ws, "job_id": job.pk}), headers={"HX-Request": "true"}
        )
        _safe(row.content.decode(), f"job row {job.kind}")
    fragment = client.get(
        reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": export.pk}), headers={"HX-Request": "true"}
    )
    _safe(fragment.content.decode(), "job fragment")

    # The CSV carries the names as they are, in a download the browser never renders as HTML.
    csv = client.get(reverse("jobs:history_csv", kwargs={"ws_id": ws}))
    assert csv["Content-Type"].startswith("text/csv")
    assert csv["Content-Disposition"].startswith("attachment;")
    assert csv["X-Content-Type-Options"] == "nosniff"
    rows = list(csv_module.DictReader(io.StringIO(b"".join(csv.streaming_content).decode())))
    assert PROJECT in {row["target"] for row in rows}
    # So does the export's report, served as JSON.
    report = client.get(
        reverse("migrator:storage_file", kwargs={"ws_id": ws, "name": export.result["files"]["report"]})
    )
    assert report.status_code == 200
    assert PROJECT in report.content.decode("unicode_escape")
    assert report["Content-Type"] == "application/json"
    assert report["X-Content-Type-Options"] == "nosniff"


def test_active_files_in_storage_are_downloaded_not_opened(client, tx_personas):
    """HTML or SVG someone put in the workspace's storage must not run as Visionport's origin."""
    from workspaces.services import connection_update
    from workspaces.storage import storage_for

    connection_update(
        workspace=tx_personas.workspace,
        kind="storage",
        actor=None,
        storage_auth="local",
        container="escaping",
    )
    _, store = storage_for(tx_personas.workspace)
    store.create_container()
    store.put("x/page.html", b"<script>alert(1)</script>", "text/html")
    store.put("x/pic.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(2)'/>", "image/svg+xml")
    store.put("x/train.json", b"{}", "application/json")
    login(client, tx_personas.bob)

    def fetch(name: str):
        return client.get(
            reverse("migrator:storage_file", kwargs={"ws_id": tx_personas.workspace.pk, "name": name})
        )

    for name in ("x/page.html", "x/pic.svg"):
        response = fetch(name)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;"), name
    assert "Content-Disposition" not in fetch("x/train.json")  # reports still open in the browser
