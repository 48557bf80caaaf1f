from __future__ import annotations

from django.conf import settings

from blobstore.azure import AzureBlobStore
from blobstore.base import BlobStore
from blobstore.local import LocalBlobStore
from workspaces.models import Connection


def store_for_connection(connection: Connection, *, retries: int = 3) -> BlobStore:
    """The blob store a workspace's storage connection points at."""
    if connection.storage_auth == Connection.StorageAuth.LOCAL:
        return LocalBlobStore("storage", str(connection.workspace_id), connection.container)
    return AzureBlobStore.connect(
        auth=connection.storage_auth,
        account_url=connection.endpoint,
        secret=connection.secret,
        container=connection.container,
        timeout=settings.CONNECTION_TIMEOUT_SECONDS,
        retries=retries,
    )
