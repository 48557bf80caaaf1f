"""What an Azure service client raises when a call fails in a known way."""

from __future__ import annotations


class ServiceError(Exception):
    """A service call failed: ``code`` for machines, ``message`` saying what to change, the HTTP
    ``status`` when there was an answer, ``detail`` for the job's log."""

    def __init__(self, code: str, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail
