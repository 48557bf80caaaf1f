"""One retry policy for every call to an Azure service, POSTs included.

The Custom Vision SDK retries only some GETs (docs/wire-formats.md §1.7): not POSTs, not a 429 without
Retry-After. So its own retries are switched off and every call goes through ``with_retries``:
exponential backoff with full jitter on 429 (honouring Retry-After), 408, 5xx, timeouts and
connection resets; anything else is raised at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import requests
import urllib3
from msrest.exceptions import ClientRequestError, HttpOperationError

from blobstore.base import BlobStoreError

T = TypeVar("T")
RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}
RETRYABLE_BLOB_CODES = {"Unreachable", "ServerBusy", "OperationTimedOut", "InternalError"}


class HTTPStatusError(Exception):
    """An HTTP error answer from a plain (non-SDK) call, with what a retry needs to know."""

    def __init__(self, status: int, headers: object, where: str) -> None:
        super().__init__(f"HTTP {status} {where}")
        self.status = status
        self.headers = headers


class RetryPolicy:
    def __init__(
        self,
        attempts: int = 7,
        base: float = 0.25,
        cap: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.retries = 0  # how many retries this policy has made (for the export report)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, 60.0) + random.uniform(0, 0.1)  # noqa: S311 (jitter, not crypto)
        return random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311


def _retry_after(headers: object) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def classify(exc: BaseException) -> tuple[bool, float | None]:
    """(retryable, Retry-After seconds) for an exception from the SDK, requests or the blob store."""
    if isinstance(exc, HttpOperationError):
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        return status in RETRYABLE_STATUS, _retry_after(getattr(response, "headers", None))
    if isinstance(exc, ClientRequestError):
        return True, None  # transport failure inside msrest: reset, timeout, refused
    if isinstance(exc, requests.HTTPError):
        response = exc.response
        return (
            response is not None and response.status_code in RETRYABLE_STATUS,
            _retry_after(response.headers if response is not None else None),
        )
    if isinstance(exc, requests.RequestException | urllib3.exceptions.HTTPError):
        return True, None
    if isinstance(exc, HTTPStatusError):
        return exc.status in RETRYABLE_STATUS, _retry_after(exc.headers)
    if isinstance(exc, BlobStoreError):
        return exc.code in RETRYABLE_BLOB_CODES or exc.code.startswith("HTTP5"), None
    if isinstance(exc, ConnectionError | TimeoutError):
        return True, None
    return False, None


def with_retries(fn: Callable[[], T], policy: RetryPolicy) -> T:
    for attempt in range(policy.attempts):
        try:
            return fn()
        except Exception as exc:
            retryable, retry_after = classify(exc)
            if not retryable or attempt == policy.attempts - 1:
                raise
            policy.retries += 1
            policy.sleep(policy.delay(attempt, retry_after))
    raise AssertionError("unreachable")
