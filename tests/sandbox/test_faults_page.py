"""The fault-injection settings page: staff change the faults, the sandbox API then answers with them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from azure.cognitiveservices.vision.customvision.training.models import CustomVisionErrorException
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from sandbox.services.faults import faults_clear, faults_get, faults_set
from tests.conftest import PASSWORD, login
from tests.sandbox.conftest import api_url, key_headers

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/sandbox-settings/"
OFF = {"latency_ms": "0", "tps_limit": "0", "error_percent": "0", "drop_percent": "0"}


@pytest.fixture(autouse=True)
def _faults_off() -> Iterator[None]:
    """Faults are shared by every test and the live server: always leave them off."""
    yield
    faults_clear()


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("sam", "sam@example.org", PASSWORD, is_staff=True)


def _get(url: str) -> requests.Response:
    return requests.get(url, headers=key_headers(), timeout=10)


def test_the_url_is_the_named_route():
    assert reverse("sandbox_faults") == URL


def test_staff_set_a_tps_limit_and_latency_that_the_sandbox_then_answers_with(staff, sandbox_url, client):
    browser = login(Client(), staff)
    page = browser.get(URL).content.decode()
    assert "All off" in page
    assert "apply to every workspace that uses this installation's sandbox" in page

    response = browser.post(URL, {**OFF, "tps_limit": "1"})  # Retry-After unticked
    assert response.status_code == 302 and response["Location"] == URL
    assert faults_get(fresh=True).tps_limit == 1 and not faults_get(fresh=True).retry_after
    assert _get(api_url(sandbox_url, "projects")).status_code == 200
    throttled = _get(api_url(sandbox_url, "projects"))
    assert throttled.status_code == 429 and "Retry-After" not in throttled.headers
    with pytest.raises(CustomVisionErrorException, match="Too Many Requests"):
        client.get_projects()  # the official SDK gives up on a 429 without Retry-After

    response = browser.post(URL, {**OFF, "latency_ms": "400", "retry_after": "on"}, follow=True)
    assert "Sandbox faults saved." in response.content.decode()
    assert "400 ms" in response.content.decode()
    began = time.monotonic()
    assert _get(api_url(sandbox_url, "domains")).status_code == 200
    assert time.monotonic() - began >= 0.4
    client.get_projects()  # no TPS limit any more

    browser.post(URL, {**OFF, "error_percent": "100"})
    assert _get(api_url(sandbox_url, "domains")).status_code in (500, 503)
    assert faults_get(fresh=True).error_rate == 1.0

    response = browser.post(URL, {"action": "off"}, follow=True)
    assert "All sandbox faults are off." in response.content.decode()
    assert not faults_get(fresh=True).active
    assert _get(api_url(sandbox_url, "domains")).status_code == 200


def test_a_superuser_may_use_it_and_sees_the_link(db):
    admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    admin.is_staff = False  # superuser alone is enough
    admin.save()
    browser = login(Client(), admin)
    page = browser.get(URL)
    assert page.status_code == 200
    assert 'id="nav-sandbox-faults"' in page.content.decode()


def test_people_who_are_not_staff_get_404_and_change_nothing(personas):
    faults_set(latency_ms=5)
    for user in (personas.alice, personas.bob, personas.charlie):  # alice is a workspace admin
        browser = login(Client(), user)
        assert browser.get(URL).status_code == 404
        assert browser.post(URL, {**OFF, "tps_limit": "1"}).status_code == 404
        assert browser.post(URL, {"action": "off"}).status_code == 404
        home = browser.get(reverse("workspaces:settings", kwargs={"ws_id": personas.workspace.pk}))
        assert "nav-sandbox-faults" not in home.content.decode()
    assert faults_get(fresh=True).latency_ms == 5
    assert faults_get(fresh=True).tps_limit == 0


def test_anonymous_people_are_sent_to_log_in(db):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_post_without_the_csrf_token_is_refused(staff):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    assert browser.post(URL, {**OFF, "tps_limit": "1"}).status_code == 403
    assert not faults_get(fresh=True).active


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latency_ms", "10001", "Enter a number of milliseconds from 0 to 10000."),
        ("latency_ms", "-1", "Enter a number of milliseconds from 0 to 10000."),
        ("latency_ms", "fast", "Enter a number of milliseconds from 0 to 10000."),
        ("tps_limit", "-0.5", "Enter 0 (no limit) or a positive number of requests per second."),
        ("error_percent", "101", "Enter a percentage from 0 to 100."),
        ("drop_percent", "-3", "Enter a percentage from 0 to 100."),
        ("drop_percent", "", "Enter a percentage from 0 to 100."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(staff, field, value, message):
    faults_set(latency_ms=5)
    browser = login(Client(), staff)
    response = browser.post(URL, {**OFF, "latency_ms": "7", field: value})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was changed: correct the fields marked below." in page
    assert message in page
    assert faults_get(fresh=True) == faults_get(fresh=True).__class__(latency_ms=5)
