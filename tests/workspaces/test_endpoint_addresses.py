"""The endpoint rule looks at the address, not only the scheme: metadata services, link-local,
private and unusable addresses are refused in every spelling; a connection string's endpoints pass
the same rule as an account URL."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from outbound.endpoints import connection_string_endpoints, validate_endpoint
from tests.conftest import login
from workspaces.models import Connection


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://169.254.169.254/", "metadata"),
        ("https://2852039166/", "metadata"),  # 169.254.169.254 as one decimal number
        ("https://0xa9.0xfe.0xa9.0xfe/", "metadata"),  # in hex
        ("https://0251.0376.0251.0376/", "metadata"),  # in octal
        ("https://[::ffff:169.254.169.254]/", "metadata"),  # IPv4-mapped IPv6
        ("https://[::ffff:a9fe:a9fe]/", "metadata"),
        ("https://[fd00:ec2::254]/", "metadata"),
        ("https://169.254.1.1/", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://10.0.0.5/", "private"),
        ("https://172.16.8.1/", "private"),
        ("https://192.168.1.10/", "private"),
        ("https://167772165/", "private"),  # 10.0.0.5 in decimal
        ("https://[fd12:3456::1]/", "private"),
        ("https://100.64.0.1/", "private"),
        ("https://0.0.0.0/", "not a service address"),
        ("https://[::]/", "not a service address"),
        ("https://224.0.0.1/", "not a service address"),
    ],
)
def test_addresses_that_are_no_service_endpoint_are_refused(url, why):
    with pytest.raises(ValidationError, match=why):
        validate_endpoint(url)


def test_a_name_that_resolves_to_a_forbidden_address_is_refused(monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "innocent.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(
        ValidationError, match=r"innocent.example.org \(169.254.169.254\) is a cloud metadata"
    ):
        validate_endpoint("https://innocent.example.org/")


def test_loopback_and_public_addresses_still_pass():
    assert validate_endpoint("http://127.0.0.1:8000/sandbox") == "http://127.0.0.1:8000/sandbox"
    assert validate_endpoint("http://[::1]:10000/devstoreaccount1") == "http://[::1]:10000/devstoreaccount1"
    assert validate_endpoint("https://20.150.1.1/") == "https://20.150.1.1"
    assert validate_endpoint("https://acct.blob.core.windows.net") == "https://acct.blob.core.windows.net"


def test_an_operator_can_allow_a_private_host_but_never_a_metadata_address(settings):
    settings.VISIONPORT_ALLOWED_PRIVATE_HOSTS = ["10.0.0.5", "169.254.169.254"]
    assert validate_endpoint("https://10.0.0.5/") == "https://10.0.0.5"
    with pytest.raises(ValidationError, match="metadata"):
        validate_endpoint("https://169.254.169.254/")


def test_connection_string_endpoints_are_read():
    assert connection_string_endpoints(
        "BlobEndpoint=http://169.254.169.254/acct;SharedAccessSignature=sv=1"
    ) == ["http://169.254.169.254/acct"]
    assert connection_string_endpoints(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=k==;EndpointSuffix=core.windows.net"
    ) == ["https://acct.blob.core.windows.net"]


@pytest.mark.django_db
def test_a_connection_string_pointing_at_the_metadata_service_is_not_saved(client, personas):
    login(client, personas.alice)
    secret = "BlobEndpoint=http://169.254.169.254/acct;SharedAccessSignature=sv=2022&sig=abc"
    response = client.post(
        reverse("workspaces:connection_save", kwargs={"ws_id": personas.workspace.pk, "kind": "storage"}),
        {
            "storage-storage_auth": "connection_string",
            "storage-secret": secret,
            "storage-container": "exports",
        },
    )
    page = response.content.decode()
    assert "The connection string&#x27;s endpoint is refused" in page or "endpoint is refused" in page
    assert "sig=abc" not in page  # the secret is never echoed
    storage = Connection.objects.filter(workspace=personas.workspace, kind=Connection.Kind.STORAGE).first()
    assert storage is None or storage.storage_auth != Connection.StorageAuth.CONNECTION_STRING
