"""The Custom Vision Training client of a workspace, and its errors in words a user can act on."""

from __future__ import annotations

from azure.cognitiveservices.vision.customvision.training import CustomVisionTrainingClient
from msrest.authentication import ApiKeyCredentials
from msrest.exceptions import ClientRequestError, HttpOperationError

from azureclient.errors import ServiceError
from workspaces.models import Connection, Workspace

CLASSIFICATION = "Classification"
OBJECT_DETECTION = "ObjectDetection"


class CustomVisionError(ServiceError):
    """A Custom Vision call failed; the message says what to change."""


def cv_client(connection: Connection, timeout: int = 30) -> CustomVisionTrainingClient:
    client = CustomVisionTrainingClient(
        connection.endpoint, ApiKeyCredentials(in_headers={"Training-key": connection.secret})
    )
    # azureclient.retry owns retries, for every verb: the SDK must hand back every answer as it came
    # (with no status list, urllib3 would turn a 503 into a RetryError that hides the status).
    client.config.retry_policy.retries = 0
    client.config.retry_policy.policy.status_forcelist = frozenset()
    client.config.connection.timeout = timeout
    return client


def cv_connection(workspace: Workspace) -> Connection:
    connection = workspace.connections.filter(kind=Connection.Kind.CUSTOM_VISION).first()
    if connection is None or not connection.is_configured:
        raise CustomVisionError(
            "cv_not_configured", "This workspace has no Custom Vision connection: add one in Settings."
        )
    return connection


def explain(exc: Exception, endpoint: str) -> CustomVisionError:
    """Translate an SDK failure into a typed error with a message that says what to do."""
    if isinstance(exc, HttpOperationError):
        status = getattr(exc.response, "status_code", None)
        code = getattr(getattr(exc, "error", None), "code", None) or ""
        if status == 401 or status == 403:
            return CustomVisionError(
                "cv_unauthorized",
                "Custom Vision rejected the training key (401). Copy Key 1 of the training resource "
                "into Settings.",
            )
        if status == 404:
            if code == "NotFoundProject":
                return CustomVisionError(
                    "cv_project_not_found", "The project no longer exists in Custom Vision."
                )
            return CustomVisionError(
                "cv_not_found",
                f"Custom Vision answered 404 ({code or 'no code'}): check the endpoint URL.",
            )
        if status == 429:
            return CustomVisionError(
                "cv_throttled",
                "Custom Vision kept throttling requests (429) after several retries; "
                "try again later or lower the resource's load.",
            )
        return CustomVisionError("cv_error", f"Custom Vision answered HTTP {status}: {exc}")
    if isinstance(exc, ClientRequestError):
        return CustomVisionError(
            "cv_unreachable",
            f"Cannot reach Custom Vision at {endpoint}: check the endpoint and the network.",
            detail=str(exc),
        )
    return CustomVisionError("cv_error", f"Custom Vision call failed: {exc}")


def cv_call(fn, policy, endpoint: str):
    """Run one Custom Vision call under the retry policy; failures come out as CustomVisionError."""
    from azureclient.retry import with_retries

    try:
        return with_retries(fn, policy)
    except CustomVisionError:
        raise
    except Exception as exc:
        raise explain(exc, endpoint) from exc
