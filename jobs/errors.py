"""Exceptions a job service raises to end its job in a known way."""

from __future__ import annotations


class JobError(Exception):
    """An expected failure: the job fails with this code and a message a user can act on."""

    def __init__(self, code: str, message: str, detail: str = "", result: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.result = result


class JobCancelled(Exception):
    """Raised inside a running job when the user asked to cancel it."""


class JobWaiting(Exception):
    """Raised by ``JobContext.wait``: park the job for ``seconds`` without holding a worker."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"waiting {seconds} s")
        self.seconds = seconds


class RetryRefused(ValueError):
    """This job cannot be retried as it is (jobs.services.job_retry, a kind's retry hook); the message
    says what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
