"""With SANDBOX_BLOB_ACCOUNT_URL set, image URLs are SAS URLs into Azurite that Azurite can copy from."""

from __future__ import annotations

import pytest
import requests
from azure.storage.blob import BlobServiceClient

from tests.conftest import AZURITE_KEY
from tests.sandbox.conftest import picture

pytestmark = pytest.mark.django_db(transaction=True)


def test_original_image_uris_are_azurite_sas_urls(client, settings, azurite):
    settings.SANDBOX_BLOB_ACCOUNT_URL = azurite
    settings.SANDBOX_BLOB_ACCOUNT_KEY = AZURITE_KEY
    settings.SANDBOX_BLOB_CONTAINER = "sandbox-images-test"
    project = client.create_project("In Azurite")
    data = picture(42, "PNG")
    image = client.create_images_from_data(project.id, data).images[0].image

    assert image.original_image_uri.startswith(f"{azurite}/sandbox-images-test/original/")
    assert "sig=" in image.original_image_uri and "se=" in image.original_image_uri
    assert requests.get(image.original_image_uri, timeout=10).content == data
    assert requests.get(image.original_image_uri.split("?")[0], timeout=10).status_code in (403, 404)
    assert requests.get(image.thumbnail_uri, timeout=10).headers["Content-Type"] == "image/jpeg"

    # The point of it (docs/wire-formats.md §4): Azurite copies server-side from the same host string.
    service = BlobServiceClient(azurite, credential=AZURITE_KEY)
    target = service.get_container_client("exports-test")
    if not target.exists():
        target.create_container()
    copy = target.get_blob_client("copied.png").start_copy_from_url(image.original_image_uri)
    assert copy["copy_status"] == "success"
    assert target.get_blob_client("copied.png").download_blob().readall() == data
