"""Projects, domains and tags through the official SDK, and the API's error shapes."""

from __future__ import annotations

import pytest
import requests
from azure.cognitiveservices.vision.customvision.training.models import CustomVisionErrorException, Tag

from tests.sandbox.conftest import CLASSIFICATION_GENERAL, DETECTION_GENERAL, api_url, key_headers, sdk_client

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_the_real_domains(client):
    domains = {d.id: d for d in client.get_domains()}
    assert domains[CLASSIFICATION_GENERAL].type == "Classification"
    assert domains[DETECTION_GENERAL].type == "ObjectDetection"
    assert len(domains) == 13
    assert client.get_domain(DETECTION_GENERAL).name == "General"
    with pytest.raises(CustomVisionErrorException) as exc:
        client.get_domain("00000000-0000-0000-0000-000000000000")
    assert exc.value.error.code == "NotFoundDomain"


def test_it_creates_gets_lists_and_deletes_projects(client, sandbox_url):
    assert client.get_projects() == []
    created = client.create_project("Pets", description="cats and dogs", classification_type="Multilabel")
    assert created.settings.domain_id == CLASSIFICATION_GENERAL
    assert created.settings.classification_type == "Multilabel"
    assert created.created.tzinfo is not None
    detector = client.create_project("Boxes", domain_id=DETECTION_GENERAL)
    assert detector.settings.classification_type is None
    assert [p.name for p in client.get_projects()] == ["Pets", "Boxes"]
    assert client.get_project(created.id).description == "cats and dogs"

    response = requests.delete(
        api_url(sandbox_url, f"projects/{created.id}"), headers=key_headers(), timeout=10
    )
    assert response.status_code == 204
    client.delete_project(detector.id)  # the SDK accepts only 204
    assert client.get_projects() == []


def test_it_answers_not_found_with_the_flat_error_body(client, sandbox_url):
    with pytest.raises(CustomVisionErrorException) as exc:
        client.get_project("6f3b8a4e-0000-4000-8000-000000000000")
    assert exc.value.error.code == "NotFoundProject"
    assert exc.value.response.status_code == 404
    assert str(exc.value) == "Project not found"
    response = requests.get(
        api_url(sandbox_url, "projects/not-a-guid/tags"), headers=key_headers(), timeout=10
    )
    assert response.json() == {"code": "NotFoundProject", "message": "Project not found"}
    assert response.headers["Content-Type"] == "application/json"
    unknown = requests.get(api_url(sandbox_url, "no/such/path"), headers=key_headers(), timeout=10)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NotFound")


def test_it_rejects_a_wrong_or_missing_key_like_the_gateway(sandbox_url):
    with pytest.raises(CustomVisionErrorException) as exc:
        sdk_client(sandbox_url, key="wrong").get_projects()
    assert "Unauthorized" in str(exc.value)
    assert exc.value.error.code is None
    response = requests.get(api_url(sandbox_url, "projects"), timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "401"


def test_it_accepts_the_key_header_in_any_case_and_the_v33_alias(sandbox_url):
    from sandbox.keys import sandbox_key

    url = f"{sandbox_url}/sandbox/customvision/v3.3/training/projects"
    response = requests.get(url, headers={"TRAINING-KEY": sandbox_key("customvision")}, timeout=10)
    assert (response.status_code, response.json()) == (200, [])


def test_it_creates_updates_and_deletes_tags(client):
    project = client.create_project("Pets")
    cat = client.create_tag(project.id, "cat", description="felines")
    negative = client.create_tag(project.id, "Negative", type="Negative")
    assert (cat.type, cat.image_count, negative.type) == ("Regular", 0, "Negative")
    with pytest.raises(CustomVisionErrorException) as exc:
        client.create_tag(project.id, "CAT")
    assert exc.value.error.code == "BadRequestTagNameNotUnique"
    with pytest.raises(CustomVisionErrorException) as exc:
        client.create_tag(project.id, "none", type="Negative")
    assert exc.value.error.code == "BadRequestMultipleNegativeTag"

    updated = client.update_tag(
        project.id, cat.id, Tag(name="kitten", description="small cats", type="Regular")
    )
    assert (updated.name, updated.description) == ("kitten", "small cats")
    assert client.get_tag(project.id, cat.id).name == "kitten"
    assert [t.name for t in client.get_tags(project.id)] == ["kitten", "Negative"]

    client.delete_tag(project.id, cat.id)
    assert [t.name for t in client.get_tags(project.id)] == ["Negative"]
    with pytest.raises(CustomVisionErrorException) as exc:
        client.get_tag(project.id, cat.id)
    assert exc.value.error.code == "NotFoundTag"


def test_it_refuses_an_unknown_domain_and_reports_iterations_as_missing(client):
    with pytest.raises(CustomVisionErrorException) as exc:
        client.create_project("X", domain_id="11111111-1111-1111-1111-111111111111")
    assert exc.value.error.code == "BadRequestProjectUnknownDomain"
    project = client.create_project("Y")
    with pytest.raises(CustomVisionErrorException) as exc:
        client.get_tags(project.id, iteration_id="11111111-1111-1111-1111-111111111111")
    assert exc.value.error.code == "NotFoundIteration"


@pytest.mark.parametrize("body", [b"{not json", b"[" * 100_000 + b"]" * 100_000], ids=["broken", "deep"])
def test_a_body_that_is_not_json_gets_a_400_that_says_so(client, sandbox_url, body):
    project = client.create_project("Pets")
    tag = client.create_tag(project.id, "cat")
    response = requests.patch(
        api_url(sandbox_url, f"projects/{project.id}/tags/{tag.id}"),
        data=body,
        headers={**key_headers(), "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["message"] == "The body is not valid JSON."
