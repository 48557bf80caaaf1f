"""The project browser against the sandbox over HTTP: lists, details, warnings, clear errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.models import Job
from tests.conftest import connect_to_sandbox, login
from tests.migrator.cvproject import classification_project, detection_project
from workspaces.services import connection_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandboxed(tx_personas, live_server):
    connect_to_sandbox(tx_personas.workspace, live_server.url)
    return tx_personas


def _projects_url(personas) -> str:
    return reverse("migrator:projects", kwargs={"ws_id": personas.workspace.pk})


def test_it_lists_projects_with_type_and_counts(client, sandboxed, live_server):
    classification_project(live_server.url, "Pets")
    detection_project(live_server.url, "Shapes")
    login(client, sandboxed.bob)
    response = client.get(_projects_url(sandboxed))
    projects = {p.name: p for p in response.context["projects"]}
    assert projects["Pets"].kind == "Classification"
    assert projects["Pets"].classification_type == "Multiclass"
    assert (projects["Pets"].tagged, projects["Pets"].untagged, projects["Pets"].tag_count) == (10, 2, 4)
    assert projects["Shapes"].kind == "ObjectDetection"
    assert (projects["Shapes"].tagged, projects["Shapes"].untagged) == (6, 1)


def test_a_project_page_shows_tags_samples_and_warnings(client, sandboxed, live_server):
    built = classification_project(live_server.url, "Pets")
    login(client, sandboxed.bob)
    url = reverse(
        "migrator:project", kwargs={"ws_id": sandboxed.workspace.pk, "project_id": built.project_id}
    )
    response = client.get(url)
    detail = response.context["detail"]
    assert [(t.name, t.image_count) for t in detail.tags] == [
        ("cat", 4),
        ("dog", 4),
        ("Negative", 2),
        ("bird", 0),
    ]
    assert len(detail.samples) == 10
    warnings = " ".join(detail.warnings)
    assert "2 images carry the Negative tag" in warnings
    assert "2 images are untagged" in warnings
    assert "1 tag has fewer than 2 images" in warnings
    assert response.context["form"].initial["folder"] == f"Pets_{built.project_id}/"


def test_exporting_from_the_project_page_starts_a_job(client, sandboxed, live_server):
    built = classification_project(live_server.url, "Pets")
    login(client, sandboxed.bob)
    url = reverse(
        "migrator:project", kwargs={"ws_id": sandboxed.workspace.pk, "project_id": built.project_id}
    )
    response = client.post(
        url,
        {
            "folder": "out",
            "flavours": ["vision"],
            "multilabel": "first",
            "negative": "category",
            "existing": "overwrite",
        },
    )
    job = Job.objects.get(kind="export_project")
    assert response["Location"] == reverse(
        "jobs:detail", kwargs={"ws_id": sandboxed.workspace.pk, "job_id": job.pk}
    )
    assert job.params == {
        "project_id": built.project_id,
        "project_name": "Pets",
        "folder": "out/",
        "flavours": ["vision"],
        "multilabel": "first",
        "negative": "category",
        "existing": "overwrite",
    }
    assert job.actor == sandboxed.bob


def test_a_bad_folder_is_refused(client, sandboxed, live_server):
    built = classification_project(live_server.url, "Pets")
    login(client, sandboxed.alice)
    url = reverse(
        "migrator:project", kwargs={"ws_id": sandboxed.workspace.pk, "project_id": built.project_id}
    )
    response = client.post(
        url,
        {
            "folder": "../escape",
            "flavours": ["vision"],
            "multilabel": "skip",
            "negative": "skip",
            "existing": "version",
        },
    )
    assert "without .. or backslashes" in response.content.decode()
    assert not Job.objects.exists()


def test_an_unknown_project_is_404(client, sandboxed):
    login(client, sandboxed.alice)
    url = reverse(
        "migrator:project",
        kwargs={"ws_id": sandboxed.workspace.pk, "project_id": "00000000-0000-0000-0000-000000000001"},
    )
    assert client.get(url).status_code == 404


def test_a_wrong_key_is_explained(client, sandboxed, live_server):
    connection_update(
        workspace=sandboxed.workspace,
        kind="custom_vision",
        actor=None,
        endpoint=f"{live_server.url}/sandbox",
        secret="nope",
    )
    login(client, sandboxed.alice)
    page = client.get(_projects_url(sandboxed)).content.decode()
    assert "Custom Vision rejected the training key (401)" in page
    assert "Connection settings" in page


def test_an_unreachable_endpoint_is_explained(client, sandboxed):
    connection_update(
        workspace=sandboxed.workspace,
        kind="custom_vision",
        actor=None,
        endpoint="http://127.0.0.1:9/sandbox",
        secret="k",
    )
    login(client, sandboxed.bob)
    page = client.get(_projects_url(sandboxed)).content.decode()
    assert "Cannot reach Custom Vision at http://127.0.0.1:9/sandbox" in page


def test_throttling_is_explained(client, sandboxed, live_server):
    from sandbox.services.faults import faults_clear, faults_set

    faults_set(error_rate=1.0)
    try:
        login(client, sandboxed.bob)
        page = client.get(_projects_url(sandboxed)).content.decode()
    finally:
        faults_clear()
    import re

    assert "Custom Vision answered HTTP 50" in page, re.findall(r"<strong>(.*?)</strong>", page)
