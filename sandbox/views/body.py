"""JSON request bodies, read from the raw stream (see sandbox.http.read_body)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from sandbox.errors import bad_request
from sandbox.http import read_body


def json_body(request: HttpRequest, *, allow_empty: bool = False) -> dict[str, Any]:
    raw = read_body(request)
    if not raw.strip():
        if allow_empty:
            return {}
        raise bad_request("A JSON body is required.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested past any parser's depth too
        raise bad_request("The body is not valid JSON.") from None
    if data is None and allow_empty:
        return {}
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    return data


def json_list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{key} must be a list.")
    return value
