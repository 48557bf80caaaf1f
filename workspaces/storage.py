"""A workspace's blob store: the store its storage connection points at.

``blobstore`` knows stores, not workspaces; this is where the two meet.
"""

from __future__ import annotations

from django.conf import settings

from blobstore.azure import AzureBlobStore
from blobstore.base import BlobStore
from blobstore.local import LocalBlobStore
from jobs.errors import JobError
from workspaces.models import Connection, Workspace


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


def storage_for(workspace: Workspace) -> tuple[Connection, BlobStore]:
    """The workspace's storage connection and its store; a job fails with a sentence without one."""
    connection = workspace.connections.filter(kind=Connection.Kind.STORAGE).first()
    if connection is None or not connection.is_configured:
        raise JobError(
            "storage_not_configured", "This workspace has no blob storage connection: add one in Settings."
        )
    return connection, store_for_connection(connection)
