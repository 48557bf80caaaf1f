"""The "Check connections" job: test each connection for reachability and permission.

Each check returns a ConnectionReport with steps a user can read ("Reached the endpoint", "Key
accepted", ...) and, when something fails, what to do about it. The job fails when any
configured connection fails, and always stores the full report as its result.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

import requests
from django.conf import settings

from blobstore.base import BlobStoreError
from jobs.errors import JobError
from jobs.models import Job
from jobs.runner import JobContext
from workspaces.crypto import SecretUnreadable
from workspaces.models import Connection
from workspaces.selectors import connections_by_kind
from workspaces.storage import store_for_connection

CV_API = "customvision/v3.4-preview/training"
VISION_API_VERSION = "2023-04-01-preview"


@dataclass
class Step:
    name: str
    ok: bool
    message: str


@dataclass
class ConnectionReport:
    kind: str
    label: str
    status: str = "ok"  # ok | failed | not_configured
    summary: str = ""
    steps: list[Step] = field(default_factory=list)

    def passed(self, name: str, message: str) -> None:
        self.steps.append(Step(name, True, message))

    def failed(self, name: str, message: str) -> ConnectionReport:
        self.steps.append(Step(name, False, message))
        self.status = "failed"
        self.summary = message
        return self


def _http_failure(report: ConnectionReport, response: requests.Response, key_help: str) -> ConnectionReport:
    status = response.status_code
    if 300 <= status < 400:
        return report.failed(
            "API",
            f"The endpoint answered {status}, a redirect, which is not followed (the key would go "
            "with it): enter the resource's own endpoint (its Keys and Endpoint page).",
        )
    if status in (401, 403):
        return report.failed("Key", f"The endpoint answered {status}: the key was rejected. {key_help}")
    if status == 404:
        return report.failed(
            "API",
            "The endpoint answered 404: it does not serve this API. Check the endpoint URL "
            "(the resource's Keys and Endpoint page) and that the resource is of the right kind.",
        )
    if status == 429:
        return report.failed(
            "Quota",
            "The service is throttling requests (429). The connection works, but the "
            "resource is at its rate limit; try again in a minute or raise the pricing tier.",
        )
    return report.failed("Service", f"The service answered HTTP {status}; try again later.")


def _get(url: str, headers: dict[str, str], params: dict[str, str] | None = None) -> requests.Response:
    """No redirect is followed: requests would send the key header on to the new host."""
    return requests.get(
        url,
        headers=headers,
        params=params,
        timeout=settings.CONNECTION_TIMEOUT_SECONDS,
        allow_redirects=False,
    )


def _unreachable(report: ConnectionReport, endpoint: str, exc: requests.RequestException) -> ConnectionReport:
    if isinstance(exc, requests.Timeout):
        return report.failed(
            "Reach", f"{endpoint} did not answer within {settings.CONNECTION_TIMEOUT_SECONDS} s."
        )
    return report.failed(
        "Reach",
        f"Cannot reach {endpoint}: check the URL and that this server can reach it (DNS, firewall, proxy).",
    )


def check_custom_vision(connection: Connection) -> ConnectionReport:
    report = ConnectionReport(connection.kind, connection.get_kind_display())
    url = f"{connection.endpoint}/{CV_API}/projects"
    try:
        response = _get(url, {"Training-Key": connection.secret, "Accept": "application/json"})
    except requests.RequestException as exc:
        return _unreachable(report, connection.endpoint, exc)
    report.passed("Reach", f"Reached {connection.endpoint}.")
    if response.status_code != 200:
        return _http_failure(
            report, response, "Use the training key (Key 1 or Key 2) of the Custom Vision training resource."
        )
    try:
        projects = response.json()
        count = len(projects)
    except (ValueError, TypeError):
        return report.failed("API", "The endpoint answered, but not with the Custom Vision Training API.")
    report.passed("Key", "Training key accepted.")
    report.passed("Projects", f"{count} project{'s' if count != 1 else ''} visible.")
    report.summary = f"Works: {count} project{'s' if count != 1 else ''} visible."
    return report


def check_vision(connection: Connection) -> ConnectionReport:
    report = ConnectionReport(connection.kind, connection.get_kind_display())
    url = f"{connection.endpoint}/computervision/datasets"
    try:
        response = _get(
            url,
            {"Ocp-Apim-Subscription-Key": connection.secret},
            {"api-version": VISION_API_VERSION, "top": "1"},
        )
    except requests.RequestException as exc:
        return _unreachable(report, connection.endpoint, exc)
    report.passed("Reach", f"Reached {connection.endpoint}.")
    if response.status_code != 200:
        return _http_failure(report, response, "Use Key 1 or Key 2 of the Vision or multi-service resource.")
    report.passed("Key", "Key accepted.")
    report.passed("Customization", "Model customization API answers (datasets listed).")
    report.summary = "Works: model customization API available."
    return report


def check_storage(connection: Connection) -> ConnectionReport:
    report = ConnectionReport(connection.kind, connection.get_kind_display())
    probe = f".visionport-check/{uuid.uuid4().hex}.txt"
    try:
        store = store_for_connection(connection, retries=0)
        if not store.container_exists():
            if connection.storage_auth != Connection.StorageAuth.LOCAL:
                return report.failed(
                    "Container",
                    f"The container {connection.container} does not exist. Create it in "
                    "the storage account, or check its name.",
                )
            store.create_container()
        report.passed("Container", f"Container {connection.container} found.")
        store.put(probe, b"visionport connection check", "text/plain")
        report.passed("Write", "Can write blobs.")
        if store.get(probe) != b"visionport connection check":
            return report.failed("Read", "A blob read back differs from what was written.")
        report.passed("Read", "Can read blobs.")
        next(iter(store.list(prefix=".visionport-check/", limit=1)), None)
        report.passed("List", "Can list blobs.")
        store.delete(probe)
        report.passed("Delete", "Can delete blobs.")
    except BlobStoreError as exc:
        return report.failed(exc.code, exc.message)
    report.summary = f"Works: read, write, list and delete in {connection.container}."
    return report


CHECKS = {
    Connection.Kind.CUSTOM_VISION: check_custom_vision,
    Connection.Kind.STORAGE: check_storage,
    Connection.Kind.VISION: check_vision,
}


def connections_check(job: Job, ctx: JobContext) -> dict:
    """Job service: check every connection of the job's workspace."""
    connections = connections_by_kind(workspace=job.workspace)
    reports: list[ConnectionReport] = []
    total = len(connections)
    for index, (kind, connection) in enumerate(connections.items()):
        label = connection.get_kind_display()
        ctx.progress(index, total, f"Checking {label}…")
        if not connection.is_configured:
            report = ConnectionReport(kind, label, "not_configured", "Not set up yet: add it in Settings.")
        else:
            try:
                report = CHECKS[kind](connection)
            except SecretUnreadable as exc:
                report = ConnectionReport(kind, label).failed("Key", str(exc))
        reports.append(report)
        ctx.log(f"{label}: {report.summary}", "info" if report.status != "failed" else "warning")
    ctx.progress(total, total, "All connections checked.")
    result = {"connections": [asdict(r) for r in reports]}
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        names = ", ".join(r.label for r in failed)
        raise JobError(
            "connection_check_failed",
            f"{len(failed)} of {total} connection{'s' if total != 1 else ''} failed: {names}. "
            "See each connection below for what to fix.",
            result=result,
        )
    return result
