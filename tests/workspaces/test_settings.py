"""Connection settings: secrets encrypted at rest, write-only in forms, endpoints validated."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.urls import reverse

from jobs.models import Job
from outbound.endpoints import validate_endpoint
from tests.conftest import login
from workspaces.models import Connection

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-training-key-0123456789abcdef"


def _save(client, personas, kind="custom_vision", **fields):
    url = reverse("workspaces:connection_save", kwargs={"ws_id": personas.workspace.pk, "kind": kind})
    return client.post(url, {f"{kind}-{k}": v for k, v in fields.items()})


def _all_pages(client, personas, user) -> list[str]:
    ws = personas.workspace.pk
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=user,
        kind="check_connections",
        status=Job.Status.FAILED,
        error_code="x",
        error_message="m",
        error_detail="d",
    )
    urls = [
        reverse("workspaces:overview", kwargs={"ws_id": ws}),
        reverse("workspaces:settings", kwargs={"ws_id": ws}),
        reverse("jobs:history", kwargs={"ws_id": ws}),
        reverse("jobs:history_csv", kwargs={"ws_id": ws}),
        reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": job.pk}),
        reverse("migrator:projects", kwargs={"ws_id": ws}),
        reverse("customization:datasets", kwargs={"ws_id": ws}),
        reverse("customization:models", kwargs={"ws_id": ws}),
        reverse("customization:try", kwargs={"ws_id": ws}),
    ]
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        pages.append(content.decode())
    return pages


def test_it_stores_secrets_encrypted(client, personas):
    login(client, personas.alice)
    response = _save(client, personas, endpoint="https://cv.cognitiveservices.azure.com/", secret=SECRET)
    assert response.status_code == 302
    conn = Connection.objects.get(workspace=personas.workspace, kind="custom_vision")
    assert conn.endpoint == "https://cv.cognitiveservices.azure.com"
    assert conn.secret == SECRET
    with db.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM workspaces_connection WHERE id = %s", [conn.pk])
        raw = cursor.fetchone()[0]
    assert SECRET not in raw
    assert raw.startswith("gAAAAA")


def test_secrets_never_appear_in_any_page(client, personas):
    login(client, personas.alice)
    _save(client, personas, endpoint="https://cv.cognitiveservices.azure.com/", secret=SECRET)
    _save(client, personas, "vision", endpoint="https://v.cognitiveservices.azure.com/", secret=SECRET + "v")
    _save(
        client,
        personas,
        "storage",
        storage_auth="sas",
        endpoint="https://acct.blob.core.windows.net",
        secret="sv=2024&sig=" + SECRET,
        container="exports",
    )
    for user in (personas.alice, personas.bob):
        login(client, user)
        for page in _all_pages(client, personas, user):
            assert SECRET not in page


def test_an_empty_secret_keeps_the_stored_one_and_clear_removes_it(client, personas):
    login(client, personas.alice)
    _save(client, personas, endpoint="https://cv.cognitiveservices.azure.com", secret=SECRET)
    _save(client, personas, endpoint="https://cv2.cognitiveservices.azure.com", secret="")
    conn = Connection.objects.get(workspace=personas.workspace, kind="custom_vision")
    assert (conn.endpoint, conn.secret) == ("https://cv2.cognitiveservices.azure.com", SECRET)
    page = client.get(
        reverse("workspaces:settings", kwargs={"ws_id": personas.workspace.pk})
    ).content.decode()
    assert "A secret is stored. Leave empty to keep the stored value." in page
    _save(client, personas, endpoint="https://cv2.cognitiveservices.azure.com", clear_secret="on")
    conn.refresh_from_db()
    assert conn.secret == ""
    assert not conn.is_configured


def test_it_refuses_plain_http_to_a_remote_host(client, personas):
    login(client, personas.alice)
    response = _save(client, personas, endpoint="http://cv.cognitiveservices.azure.com", secret=SECRET)
    assert response.status_code == 400
    assert "Use https:// for cv.cognitiveservices.azure.com" in response.content.decode()
    assert not Connection.objects.filter(workspace=personas.workspace, kind="custom_vision").exists()


def test_storage_with_an_account_key_needs_url_key_and_container(client, personas):
    login(client, personas.alice)
    response = _save(client, personas, "storage", storage_auth="account_key", container="Bad_Name")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the storage account URL." in page
    assert "Enter the account key, SAS token or connection string." in page
    assert "Container names are 3-63 characters" in page


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.cognitiveservices.azure.com/", "https://x.cognitiveservices.azure.com"),
        ("http://127.0.0.1:8000/sandbox/", "http://127.0.0.1:8000/sandbox"),
        ("http://localhost:10000/devstoreaccount1", "http://localhost:10000/devstoreaccount1"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_valid_endpoints(url, expected):
    assert validate_endpoint(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("cognitiveservices.azure.com", "Enter a full URL"),
        ("ftp://x.org", "Enter a full URL"),
        ("http://10.0.0.5/", "a private network address"),
        ("http://example.com/", "Use https://"),
        ("https://user:pw@x.org", "not in the URL"),
        ("https://x.blob.core.windows.net/?sv=1&sig=2", "query string"),
    ],
)
def test_invalid_endpoints(url, message):
    with pytest.raises(ValidationError, match=message):
        validate_endpoint(url)


def test_an_operator_can_allow_plain_http_for_a_host(settings):
    settings.VISIONPORT_ALLOWED_HTTP_HOSTS = ["proxy.internal"]
    assert validate_endpoint("http://proxy.internal/cv") == "http://proxy.internal/cv"
