"""Failures of the Vision stand-in: API errors answered at once, and failures of background runs.

API errors are ``{"error": {"code", "message"[, "innererror"]}}`` with the code in the
``x-ms-error-code`` header. Background failures become a model's or evaluation's ``error``, which
holds only ``code`` and ``message`` (the samples' parser raises TypeError on ``innererror``).
"""

from __future__ import annotations

from django.http import JsonResponse

from sandbox.errors import CvError


class VisionApiError(CvError):
    def __init__(self, status: int, code: str, message: str, inner: str = "") -> None:
        super().__init__(status, code, message)
        self.inner = inner

    def response(self) -> JsonResponse:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.inner:
            error["innererror"] = {"code": self.inner, "message": self.message}
        response = JsonResponse({"error": error}, status=self.status)
        response["x-ms-error-code"] = self.code
        return response


class RunFailed(Exception):
    """A training or evaluation run ends ``failed`` with this code (the documented values)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid_argument(message: str) -> VisionApiError:
    return VisionApiError(400, "InvalidArgument", message)


def invalid_request(message: str, inner: str = "") -> VisionApiError:
    return VisionApiError(400, "InvalidRequest", message, inner)


def dataset_not_found(name: str) -> VisionApiError:
    return VisionApiError(404, "DatasetNotFound", f"Dataset '{name}' was not found.")


def model_not_found(name: str) -> VisionApiError:
    return VisionApiError(404, "ModelNotFound", f"Model '{name}' was not found.")


def evaluation_not_found(model: str, name: str) -> VisionApiError:
    return VisionApiError(404, "EvaluationNotFound", f"Evaluation '{name}' of model '{model}' was not found.")
