"""Azure Blob backend (azure-storage-blob), also used against Azurite in tests.

SDK exceptions are translated into BlobStoreError messages that say what to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import quote

import requests
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContainerSasPermissions,
    ContentSettings,
    generate_blob_sas,
    generate_container_sas,
)

from blobstore.base import BlobInfo, BlobStoreError, CopyStatus, explain_code
from blobstore.rest import BlobRest

T = TypeVar("T")
UPLOAD_BLOCK = 4 * 1024 * 1024


def explain(exc: AzureError, where: str, auth: str = "account_key") -> BlobStoreError:
    """Turn an SDK error into a message a user can act on (see ``explain_code``)."""
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return BlobStoreError(
            "Unreachable",
            f"Cannot reach the storage account ({where}): check the account URL and that this "
            "server can reach it (firewall, private endpoint, DNS).",
        )
    code = getattr(exc, "error_code", None) or ""
    if isinstance(exc, ClientAuthenticationError) and not code:
        code = "AuthenticationFailed"
    if isinstance(exc, ResourceNotFoundError) and not code:
        code = "BlobNotFound"
    message = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return explain_code(code, getattr(exc, "status_code", None), message, where, auth)


class AzureBlobStore:
    server_copy = True
    served_here = False

    def __init__(
        self, service: BlobServiceClient, container: str, auth: str = "account_key", sas: str = ""
    ) -> None:
        self.service = service
        self.auth = auth
        self.sas = sas  # the SAS token the store was opened with, if any
        self.container = service.get_container_client(container)
        self.description = f"container {container} at {service.url.split('?')[0]}"
        self.container_url = self.container.url.split("?")[0].rstrip("/")
        self.rest = self._rest()

    def _rest(self) -> BlobRest | None:
        """The lean REST client for the copy hot path, when these credentials can sign for it."""
        key = getattr(self.service.credential, "account_key", None)
        if not key and not self.sas:
            return None
        return BlobRest(self.container.url, account=self.service.account_name, key=key or "", sas=self.sas)

    @classmethod
    def connect(
        cls, *, auth: str, account_url: str, secret: str, container: str, timeout: int = 10, retries: int = 3
    ) -> AzureBlobStore:
        # A pool as large as the exporter's thread count, else azure-core drops and reopens connections.
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        options = {
            "connection_timeout": timeout,
            "read_timeout": max(timeout, 30),
            "retry_total": retries,
            "transport": RequestsTransport(session=session, session_owner=False),
            # A file over 4 MiB goes up in 4 MiB blocks: the SDK reads anything under its 64 MiB
            # single-put limit into memory whole (an export's train.json grows with the project).
            "max_single_put_size": UPLOAD_BLOCK,
            "max_block_size": UPLOAD_BLOCK,
        }
        try:
            if auth == "connection_string":
                service = BlobServiceClient.from_connection_string(secret, **options)
            elif auth == "sas":
                service = BlobServiceClient(account_url, credential=secret.lstrip("?"), **options)
                return cls(service, container, auth, sas=secret.lstrip("?"))
            else:
                service = BlobServiceClient(account_url, credential=secret, **options)
        except (ValueError, AzureError) as exc:
            raise BlobStoreError("InvalidCredentials", f"The storage settings are not usable: {exc}") from exc
        return cls(service, container, auth)

    def _call(self, where: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except AzureError as exc:
            raise explain(exc, where, self.auth) from exc

    def container_exists(self) -> bool:
        return self._call("checking the container", self.container.exists)

    def create_container(self) -> None:
        def create() -> None:
            try:
                self.container.create_container()
            except HttpResponseError as exc:
                if getattr(exc, "error_code", None) != "ContainerAlreadyExists":
                    raise

        self._call("creating the container", create)

    def put(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._call(
            f"writing {name}",
            lambda: self.container.upload_blob(
                name, data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
            ),
        )

    def put_file(self, name: str, path: str, content_type: str = "application/octet-stream") -> None:
        def upload() -> None:
            with open(path, "rb") as fh:
                self.container.upload_blob(
                    name, fh, overwrite=True, content_settings=ContentSettings(content_type=content_type)
                )

        self._call(f"writing {name}", upload)

    def get(self, name: str) -> bytes:
        return self._call(f"reading {name}", lambda: self.container.download_blob(name).readall())

    def exists(self, name: str) -> bool:
        return self._call(f"checking {name}", lambda: self.container.get_blob_client(name).exists())

    def list(self, prefix: str = "", limit: int | None = None) -> Iterator[BlobInfo]:
        pages = self._call(
            "listing blobs",
            lambda: self.container.list_blobs(name_starts_with=prefix or None, results_per_page=limit),
        )
        count = 0
        try:
            for blob in pages:
                yield BlobInfo(name=blob.name, size=blob.size)
                count += 1
                if limit is not None and count >= limit:
                    return
        except AzureError as exc:
            raise explain(exc, "listing blobs", self.auth) from exc

    def delete(self, name: str) -> None:
        self._call(f"deleting {name}", lambda: self.container.delete_blob(name))

    def properties(self, name: str) -> BlobInfo:
        props = self._call(
            f"reading properties of {name}",
            lambda: self.container.get_blob_client(name).get_blob_properties(),
        )
        return BlobInfo(name, props.size, props.content_settings.content_type or "")

    def url(self, name: str) -> str:
        # The SDK's own encoding (BlobClient.url), without building a client per name: an export
        # asks this once per image.
        return f"{self.container_url}/{quote(name, safe='~/')}"

    def signed_url(self, name: str, *, expires_in: int = 3600) -> str:
        if self.sas:
            return f"{self.url(name)}?{self.sas}"  # the caller's SAS is the only signature we have
        credential = self.service.credential
        key = getattr(credential, "account_key", None)
        if not key:
            raise BlobStoreError(
                "CannotSign", "These storage credentials cannot sign URLs; use an account key or a SAS token."
            )
        sas = generate_blob_sas(
            account_name=self.service.account_name,
            container_name=self.container.container_name,
            blob_name=name,
            account_key=key,
            permission=BlobSasPermissions(read=True),
            expiry=datetime.now(UTC) + timedelta(seconds=expires_in),
        )
        return f"{self.url(name)}?{sas}"

    def container_sas(self, *, expires_in: int) -> str:
        """A read+list SAS on the whole container (what dataset registration hands the service).

        A stored SAS is handed out only when it already is no more than that: one that can write
        or delete, or opens the whole account, stays here (CannotSign says what to store instead).
        """
        if self.sas:
            return _read_only(self.sas)
        key = getattr(self.service.credential, "account_key", None)
        if not key:
            raise BlobStoreError(
                "CannotSign", "These storage credentials cannot sign a SAS; use an account key."
            )
        return generate_container_sas(
            account_name=self.service.account_name,
            container_name=self.container.container_name,
            account_key=key,
            permission=ContainerSasPermissions(read=True, list=True),
            expiry=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    def start_copy(self, name: str, source_url: str) -> str:
        if self.rest:
            return self.rest.copy(name, source_url)
        result = self._call(
            f"copying into {name}",
            lambda: self.container.get_blob_client(name).start_copy_from_url(source_url),
        )
        return result.get("copy_status") or CopyStatus.PENDING

    def copy_status(self, name: str) -> tuple[str, str]:
        if self.rest:
            return self.rest.copy_status(name)
        props = self._call(
            f"reading copy status of {name}",
            lambda: self.container.get_blob_client(name).get_blob_properties(),
        )
        copy = props.copy
        return (copy.status or CopyStatus.SUCCESS, copy.status_description or "")


def _read_only(sas: str) -> str:
    """``sas`` when it grants at most read and list on one container; BlobStoreError otherwise."""
    fields = dict(part.partition("=")[::2] for part in sas.lstrip("?").split("&") if part)
    extra = set(fields.get("sp", "")) - {"r", "l"}
    if extra or "ss" in fields or "srt" in fields:
        scope = "the whole account" if "ss" in fields or "srt" in fields else "its container"
        raise BlobStoreError(
            "SasTooBroad",
            f"The stored SAS token opens {scope} with permissions '{fields.get('sp', '')}': Visionport "
            "hands the Vision service only a read-only token. Add the account key in Settings (a short "
            "read-only SAS is then signed for each dataset), or register with managed identity.",
        )
    return sas
