"""Fault injection as clients see it: the SDK's retries, plain requests, and the command."""

from __future__ import annotations

import json
import time

import pytest
import requests
from azure.cognitiveservices.vision.customvision.training.models import CustomVisionErrorException
from django.core.management import call_command

from blobstore.signing import signed_url
from sandbox import injection
from sandbox.keys import sandbox_key
from sandbox.services.faults import faults_get, faults_set
from tests.sandbox.conftest import api_url, key_headers

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sdk_waits_out_a_429_with_retry_after_on_a_get(client):
    project = client.create_project("Throttled")
    faults_set(tps_limit=1, retry_after=True)
    throttled = injection.stats["throttled"]
    began = time.monotonic()
    client.get_project(project.id)  # takes the one token of this second
    client.get_project(project.id)  # 429 with Retry-After: 1; the SDK sleeps and tries again
    assert time.monotonic() - began >= 0.9
    assert injection.stats["throttled"] == throttled + 1
    with pytest.raises(CustomVisionErrorException) as exc:
        client.create_tag(project.id, "cat")  # POSTs are never retried
    assert "Too Many Requests" in str(exc.value)


def test_a_429_without_retry_after_is_not_retried(client, sandbox_url):
    faults_set(tps_limit=1, retry_after=False)
    assert (
        requests.get(api_url(sandbox_url, "projects"), headers=key_headers(), timeout=10).status_code == 200
    )
    response = requests.get(api_url(sandbox_url, "projects"), headers=key_headers(), timeout=10)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert response.json()["error"]["code"] == "429"
    with pytest.raises(CustomVisionErrorException) as exc:
        client.get_projects()
    assert "Too Many Requests" in str(exc.value)


def test_the_error_rate_answers_500_or_503_for_that_share_of_requests(sandbox_url):
    faults_set(error_rate=1.0)
    statuses = {
        requests.get(api_url(sandbox_url, "projects"), headers=key_headers(), timeout=10).status_code
        for _ in range(12)
    }
    assert statuses <= {500, 503} and statuses
    response = requests.get(api_url(sandbox_url, "domains"), headers=key_headers(), timeout=10)
    assert response.json()["code"] == "ErrorUnknown"
    vision = requests.get(
        f"{sandbox_url}/computervision/datasets?api-version=2023-04-01-preview",
        headers={"Ocp-Apim-Subscription-Key": sandbox_key("vision")},
        timeout=10,
    )
    assert vision.status_code in (500, 503) and vision.json()["error"]["code"] == "ErrorUnknown"

    faults_set(error_rate=0.5)
    statuses_half = [
        requests.get(api_url(sandbox_url, "domains"), headers=key_headers(), timeout=10).status_code
        for _ in range(40)
    ]
    assert 0 < statuses_half.count(200) < 40  # both kinds (all one way has odds of 1 in 10^12)


def test_a_dropped_response_gives_requests_a_connection_error(sandbox_url):
    faults_set(drop_rate=1.0)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        requests.get(api_url(sandbox_url, "domains"), headers=key_headers(), timeout=5)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        requests.get(api_url(sandbox_url, "projects"), headers={"Training-Key": "wrong"}, timeout=5)
    faults_set(drop_rate=0)
    assert requests.get(api_url(sandbox_url, "domains"), headers=key_headers(), timeout=5).status_code == 200


def test_latency_is_added_to_each_request(sandbox_url):
    faults_set(latency_ms=300)
    began = time.monotonic()
    assert requests.get(api_url(sandbox_url, "domains"), headers=key_headers(), timeout=10).status_code == 200
    assert time.monotonic() - began >= 0.3


def test_the_image_host_shares_the_latency_and_no_other_fault(sandbox_url):
    faults_set(latency_ms=1000, error_rate=1.0)
    began = time.monotonic()
    response = requests.get(signed_url("sandbox", "images/original/missing.jpg", 60), timeout=10)
    assert time.monotonic() - began >= 1.0
    assert response.status_code == 404 and response.headers["x-ms-error-code"] == "BlobNotFound"
    began = time.monotonic()
    assert requests.get(signed_url("storage", "missing.jpg", 60), timeout=10).status_code == 404
    assert time.monotonic() - began < 1.0  # the other local root is not the sandbox's


def test_the_command_sets_shows_and_clears_faults(capsys):
    call_command(
        "sandbox_faults",
        "--latency-ms",
        "20",
        "--tps",
        "50",
        "--no-retry-after",
        "--error-rate",
        "0.1",
        "--drop-rate",
        "0.02",
    )
    assert "latency 20 ms" in capsys.readouterr().out
    assert faults_get() == faults_get(fresh=True)
    call_command("sandbox_faults", "--json")
    shown = json.loads(capsys.readouterr().out)
    assert shown == {
        "latency_ms": 20,
        "tps_limit": 50.0,
        "retry_after": False,
        "error_rate": 0.1,
        "drop_rate": 0.02,
    }
    call_command("sandbox_faults", "--error-rate", "0")  # only that one changes
    assert faults_get().latency_ms == 20 and faults_get().error_rate == 0
    call_command("sandbox_faults", "--off")
    assert "off" in capsys.readouterr().out
    assert not faults_get().active
    with pytest.raises(Exception, match="between 0 and 1"):
        call_command("sandbox_faults", "--drop-rate", "2")
