"""The export's lean Copy Blob path (blobstore.rest) against Azurite: the signature the SDK would
send, both credential kinds, names that need encoding, and errors worded like the SDK path's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.pipeline.transport import HttpRequest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy

from blobstore.azure import AzureBlobStore
from blobstore.base import BlobStoreError, CopyStatus
from blobstore.rest import shared_key_signature
from tests.conftest import AZURITE_ACCOUNT, AZURITE_KEY


def test_the_signature_is_the_one_the_sdk_computes():
    url = "https://acct.blob.core.windows.net/c/a%20b/%C3%BC.jpg?comp=metadata&timeout=30"
    headers = {
        "x-ms-version": "2021-08-06",
        "x-ms-date": "Mon, 23 Nov 2026 12:00:00 GMT",
        "x-ms-copy-source": "https://src/x.jpg?sig=1",
        "Content-Length": "0",
    }
    request = HttpRequest("PUT", url, headers=dict(headers))
    SharedKeyCredentialPolicy("acct", AZURITE_KEY).on_request(PipelineRequest(request, PipelineContext(None)))
    assert shared_key_signature("acct", AZURITE_KEY, "PUT", url, headers) == request.headers["Authorization"]


@pytest.fixture
def source(azurite):
    store = AzureBlobStore.connect(
        auth="account_key", account_url=azurite, secret=AZURITE_KEY, container=f"src{uuid.uuid4().hex[:12]}"
    )
    store.create_container()
    store.put("pics/a cat ü.jpg", b"\xff\xd8\xff" + b"x" * 500, "image/jpeg")
    return store


@pytest.mark.parametrize("auth", ["account_key", "sas"])
def test_copies_into_names_that_need_encoding_with_either_credential(azurite, source, auth):
    container = f"dst{uuid.uuid4().hex[:12]}"
    owner = AzureBlobStore.connect(
        auth="account_key", account_url=azurite, secret=AZURITE_KEY, container=container
    )
    owner.create_container()
    secret = (
        AZURITE_KEY
        if auth == "account_key"
        else generate_container_sas(
            AZURITE_ACCOUNT,
            container,
            account_key=AZURITE_KEY,
            expiry=datetime.now(UTC) + timedelta(hours=1),
            permission=ContainerSasPermissions(read=True, write=True, create=True),
        )
    )
    store = AzureBlobStore.connect(auth=auth, account_url=azurite, secret=secret, container=container)
    assert store.rest is not None  # the lean path, not the SDK's
    name = "My Project_1/images/ü 1+2.jpg"
    assert store.start_copy(name, source.signed_url("pics/a cat ü.jpg")) == CopyStatus.SUCCESS
    assert store.copy_status(name) == (CopyStatus.SUCCESS, "")
    assert owner.get(name) == source.get("pics/a cat ü.jpg")
    assert [b.name for b in owner.list()] == [name]


def test_errors_say_what_to_fix(azurite, source):
    url = source.signed_url("pics/a cat ü.jpg")
    wrong_key = AzureBlobStore.connect(
        auth="account_key",
        account_url=azurite,
        secret=AZURITE_KEY[:-8] + "AAAAAAA=",
        container=source.container.container_name,
    )
    with pytest.raises(BlobStoreError) as failure:
        wrong_key.start_copy("x.jpg", url)
    assert failure.value.code == "AuthenticationFailed" and "key" in failure.value.message
    missing = AzureBlobStore.connect(
        auth="account_key", account_url=azurite, secret=AZURITE_KEY, container="nosuch"
    )
    with pytest.raises(BlobStoreError) as failure:
        missing.start_copy("x.jpg", url)
    assert failure.value.code == "ContainerNotFound"
    with pytest.raises(BlobStoreError) as failure:
        source.copy_status("never-copied.jpg")
    assert failure.value.code == "BlobNotFound"
    nowhere = AzureBlobStore.connect(
        auth="account_key",
        account_url="http://127.0.0.1:9/devstoreaccount1",
        secret=AZURITE_KEY,
        container="c",
    )
    with pytest.raises(BlobStoreError) as failure:
        nowhere.start_copy("x.jpg", url)
    assert failure.value.code == "Unreachable" and "firewall" in failure.value.message
