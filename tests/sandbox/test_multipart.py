"""The raw multipart parser (the SDK's upload must not go through Django's form parser)."""

from __future__ import annotations

import pytest
from requests import Request

from sandbox.multipart import MultipartError, multipart_parse

BINARY = bytes(range(256)) + b"\r\n--not-the-boundary\r\n\r\n" + bytes(range(255, -1, -1))


def _encode(files: dict) -> tuple[bytes, str]:
    prepared = Request("POST", "http://x/", files=files).prepare()
    return prepared.body, prepared.headers["Content-Type"]


def test_it_reads_the_sdk_part_byte_for_byte():
    body, content_type = _encode({"imageData": (None, BINARY, "application/octet-stream")})
    (part,) = multipart_parse(body, content_type)
    assert (part.name, part.filename, part.content_type, part.data) == (
        "imageData",
        None,
        "application/octet-stream",
        BINARY,
    )


def test_it_reads_several_parts_with_filenames():
    body, content_type = _encode(
        {"a": ("a.png", b"\x89PNG...", "image/png"), "b": ("b.jpg", b"", "image/jpeg")}
    )
    parts = multipart_parse(body, content_type)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("a", "a.png", b"\x89PNG..."),
        ("b", "b.jpg", b""),
    ]


def test_it_accepts_a_preamble_and_a_part_without_headers():
    body = b"preamble\r\n--XyZ\r\n\r\nraw bytes\r\n--XyZ--\r\nepilogue"
    (part,) = multipart_parse(body, 'multipart/form-data; boundary="XyZ"')
    assert (part.name, part.data) == ("", b"raw bytes")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "multipart/form-data"),  # no boundary
        (b"nothing here", "multipart/form-data; boundary=b"),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\ntruncated", "multipart/form-data; boundary=b"),
    ],
)
def test_it_refuses_malformed_bodies(body, content_type):
    with pytest.raises(MultipartError):
        multipart_parse(body, content_type)
