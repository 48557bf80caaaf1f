"""Request bodies: JSON keys are matched without regard to case, at every level.

The samples package sends PascalCase ("TrainingParameters"), the docs camelCase
("trainingParameters"); the service accepts both (docs/wire-formats.md §5, 18).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from sandbox.http import read_body
from sandbox.vision.errors import VisionApiError, invalid_argument, invalid_request

JSON_TYPES = ("application/json", "application/json-patch+json", "application/merge-patch+json", "text/json")


def json_object(request: HttpRequest) -> dict[str, Any]:
    if (request.content_type or "").lower() not in JSON_TYPES:
        raise VisionApiError(
            415,
            "InvalidRequest",
            "The body must be JSON (Content-Type: application/json).",
            "UnsupportedMediaType",
        )
    raw = read_body(request)
    if not raw.strip():
        raise invalid_request("A JSON body is required.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested past any parser's depth too
        raise invalid_request("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid_request("The body must be a JSON object.")
    return data


def pick(data: dict[str, Any], name: str) -> Any:
    """``data[name]`` with the key matched case-insensitively; None when absent."""
    if name in data:
        return data[name]
    wanted = name.lower()
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value
    return None


def has(data: dict[str, Any], name: str) -> bool:
    wanted = name.lower()
    return any(isinstance(key, str) and key.lower() == wanted for key in data)


def pick_object(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = pick(data, name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_argument(f"{name} must be an object.")
    return value


def pick_str(data: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = pick(data, name)
    if value is None or value == "":
        if required:
            raise invalid_argument(f"{name} is required.")
        return ""
    if not isinstance(value, str):
        raise invalid_argument(f"{name} must be a string.")
    return value
