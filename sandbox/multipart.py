"""A multipart/form-data parser over the raw body.

Django's own parser must not see the SDK's upload: the part has no filename, so Django would
decode the image bytes into a str field and lose them (docs/wire-formats.md §1.5).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.http import parse_header_parameters


class MultipartError(ValueError):
    pass


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.split(b"\r\n"):
        if not line.strip():
            continue
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise MultipartError("A part header has no colon.")
        headers[name.strip().lower()] = value.strip()
    return headers


def multipart_parse(body: bytes, content_type: str) -> list[Part]:
    _, params = parse_header_parameters(content_type)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise MultipartError("The multipart Content-Type has no boundary.")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    # The first delimiter may open the body without a CRLF before it; the rest cannot.
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2:
        raise MultipartError("The body holds no part.")
    parts: list[Part] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts  # the close delimiter
        line_end = chunk.find(b"\r\n")  # the rest of the delimiter line (transport padding)
        if line_end < 0 or chunk[:line_end].strip():
            raise MultipartError("A delimiter line is malformed.")
        rest = chunk[line_end + 2 :]
        if rest.startswith(b"\r\n"):
            head, content = b"", rest[2:]
        else:
            head, sep, content = rest.partition(b"\r\n\r\n")
            if not sep:
                raise MultipartError("A part has no blank line after its headers.")
        headers = _headers(head)
        _, disposition = parse_header_parameters(headers.get("content-disposition", ""))
        parts.append(
            Part(
                name=disposition.get("name", ""),
                filename=disposition.get("filename"),
                content_type=headers.get("content-type", "application/octet-stream"),
                data=content,
            )
        )
    raise MultipartError("The body ends without the close delimiter.")
