"""Expected failures of the sandbox's Custom Vision API, carried up to the view as their wire error."""

from __future__ import annotations


class CvError(Exception):
    """Answered as ``{"code": code, "message": message}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found_project() -> CvError:
    return CvError(404, "NotFoundProject", "Project not found")


def not_found_tag() -> CvError:
    return CvError(404, "NotFoundTag", "Tag not found")


def not_found_image() -> CvError:
    return CvError(404, "NotFoundImage", "Image not found")


def bad_request(message: str, code: str = "BadRequest") -> CvError:
    return CvError(400, code, message)
