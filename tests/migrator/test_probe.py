"""How the export names a blob before a server-side copy: the source's declared type, else its bytes."""

from __future__ import annotations

import uuid

import pytest

from blobstore.azure import AzureBlobStore
from migrator.services.fetch import NotAnImage, SourceExpired, http_pool, probe
from tests.conftest import AZURITE_KEY

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


@pytest.fixture
def store(azurite):
    store = AzureBlobStore.connect(
        auth="account_key", account_url=azurite, secret=AZURITE_KEY, container=f"p{uuid.uuid4().hex[:12]}"
    )
    store.create_container()
    return store


def test_a_declared_image_type_names_the_blob(store):
    store.put("a", PNG, "image/png")
    assert probe(http_pool(2), store.signed_url("a")) == (len(PNG), ".png", "image/png")


def test_a_generic_type_is_sniffed_from_the_first_bytes(store):
    store.put("b", PNG, "application/octet-stream")
    assert probe(http_pool(2), store.signed_url("b")) == (len(PNG), ".png", "image/png")
    store.put("c", b"%PDF-1.7 not an image", "application/octet-stream")
    with pytest.raises(NotAnImage):
        probe(http_pool(2), store.signed_url("c"))


def test_an_expired_url_asks_for_a_fresh_one(store):
    store.put("d", PNG, "image/png")
    url = store.signed_url("d", expires_in=-60)
    with pytest.raises(SourceExpired):
        probe(http_pool(2), url)
