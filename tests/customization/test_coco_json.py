"""The fast parse gives the standard library's answer (issue 11): for any bytes, coco_loads returns what
json.loads returns or raises what it raises, and the registration job's verdict (the validation report,
or the parse error with its message) is the same as with json.loads, on the mutated corpus and on its
bytes mutated in turn."""

from __future__ import annotations

import json
import sys
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import customization.services.datasets as datasets
import customization.validation_fast as validation_fast
from customization.coco_json import coco_loads
from jobs.errors import JobError
from tests.customization.test_bad_input_properties import (
    CHOICES,
    FAST,
    JSON,
    KEYS,
    PATHS,
    VALID,
    mutated_coco,
)


def _stdlib(raw: bytes) -> object:
    """json.loads, called one frame down as coco_loads calls it (the nesting limit counts frames)."""
    return json.loads(raw)


def _outcome(parse, raw: bytes) -> tuple:
    """What a parse gives, comparable: the value's repr (types, float bits, key order) or the error."""
    try:
        value = parse(raw)
    except (ValueError, RecursionError) as exc:
        return ("raises", type(exc).__name__, str(exc))
    try:
        return ("value", repr(value))
    except (ValueError, RecursionError):  # repr of a 5,000-digit int, or of a deep list
        return ("value", json.dumps(value, allow_nan=True))


def _verdict(raw: bytes, kind: str, purpose: str) -> tuple:
    """The registration job's answer to these bytes: its parse error, or the validation report."""
    try:
        report, _ = datasets._validated(raw, kind, purpose)
    except JobError as exc:
        return ("job_error", exc.code, exc.message)
    return ("report", report.as_dict())


EDGES = [
    b"NaN",
    b"[Infinity, -Infinity]",
    b'{"width": 1e400, "height": -1e400}',
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"1" * 30,
    b"1" * 4300,
    b"1" * 4301,
    b"1" + b"0" * 5000,
    b"123456789012345678901234567890.5",
    b"1.7976931348623159e308",
    b"[-0, -0.0, 1E5, 1e-400, 0.1e1, 5e-324, 0.30000000000000004]",
    b'"\\ud800"',
    b'"\\udc00\\ud800"',
    b'"\xed\xa0\x80"',
    b'"\xc0\xaf"',
    b'{"images": "\xff"}',
    b'"\xf4\x90\x80\x80"',
    b'"\x01"',
    b'"\x7f"',
    b'{"\\u0000": 1}',
    b"\xef\xbb\xbf{}",
    json.dumps({"images": [{"id": 1, "file_name": "\u00e9"}]}).encode("utf-16"),
    json.dumps({"images": []}).encode("utf-32"),
    b'{"a": 1, "b": 2, "a": 3}',
    b" \x0c1",
    b"\xc2\xa01",
    b"01",
    b"1.",
    b".5",
    b"+1",
    b"[1,]",
    b'{"a": 1,}',
    b"",
    b"1 2",
    b"nul",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"info": ' * 100_000 + b"1" + b"}" * 100_000,
]


@pytest.mark.parametrize("raw", EDGES, ids=range(len(EDGES)))
def test_coco_loads_answers_as_json_loads_on_the_edges(raw):
    assert _outcome(coco_loads, raw) == _outcome(_stdlib, raw)


def test_coco_loads_answers_as_json_loads_at_every_depth_near_the_limit():
    for depth in range(900, 1100):
        for raw in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            assert _outcome(coco_loads, raw) == _outcome(_stdlib, raw), depth


def _serialised(value: object, style: int) -> bytes:
    """``value`` as a file could hold it: ASCII, UTF-8 or indented; ints of any length (json.loads
    refuses those over 4,300 digits, which is then the verdict to match)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        text = json.dumps(value, ensure_ascii=style == 0, indent=2 if style == 2 else None)
    finally:
        sys.set_int_max_str_digits(limit)
    return text.encode("utf-8", "surrogatepass")


# Where the fast parsers go wrong: just past 64 bits (orjson gives a float), past a float's range.
WIDE = st.one_of(
    JSON,
    st.integers(min_value=2**63 - 2, max_value=10**30),
    st.integers(max_value=-(2**63) + 2, min_value=-(10**30)),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0]),
)


# Always tried: an id just past 64 bits, a size past a float's range, a 30-digit box value.
BIG_NUMBERS = {
    **VALID,
    "images": [{**VALID["images"][0], "id": 2**64, "width": 10**400}, *VALID["images"][1:]],
    "annotations": [{**VALID["annotations"][0], "bbox": [10**30, 0, 1, 1]}, *VALID["annotations"][1:]],
}


@st.composite
def corpus(draw: st.DrawFn) -> dict:
    """A mutated_coco document with up to two more places (or fields) set to WIDE values."""
    coco = draw(mutated_coco())
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        target, path = coco, draw(st.sampled_from(PATHS))
        try:
            for key in path[:-1]:
                target = target[key]
            target[draw(st.sampled_from(KEYS)) if isinstance(target, dict) else path[-1]] = draw(WIDE)
        except (KeyError, IndexError, TypeError):
            continue
    return coco


def _mutated_bytes(raw: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``raw`` with a few bytes replaced, deleted or inserted."""
    for where, how, byte in edits:
        at = where % (len(raw) + 1)
        raw = (
            raw[:at] + byte + raw[at + 1 :]
            if how == 0
            else raw[:at] + raw[at + 1 :]
            if how == 1
            else raw[:at] + byte + raw[at:]
        )
    return raw


EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0),
        st.integers(min_value=0, max_value=2),
        st.sampled_from([b"[", b"]", b"{", b'"', b",", b"\\", b"\xff", b"\xed", b"\x00", b"N", b"e9", b"-"])
        | st.binary(min_size=1, max_size=2),
    ),
    max_size=3,
)


@FAST
@given(value=WIDE, style=st.integers(min_value=0, max_value=2), edits=EDITS)
def test_coco_loads_answers_as_json_loads_on_any_json_and_broken_json(value, style, edits):
    raw = _serialised(value, style)
    assert _outcome(coco_loads, raw) == _outcome(_stdlib, raw)
    broken = _mutated_bytes(raw, edits)
    assert _outcome(coco_loads, broken) == _outcome(_stdlib, broken)


@FAST
@given(
    coco=corpus(),
    style=st.integers(min_value=0, max_value=2),
    edits=EDITS,
    kind=st.sampled_from(CHOICES["kind"]),
    purpose=st.sampled_from(CHOICES["purpose"]),
)
@example(coco=BIG_NUMBERS, style=0, edits=[], kind="imageObjectDetection", purpose="training")
@example(coco=BIG_NUMBERS, style=1, edits=[(9, 2, b"N")], kind="imageClassification", purpose="evaluation")
def test_the_registration_verdict_is_the_stdlib_one_on_the_mutated_corpus(coco, style, edits, kind, purpose):
    raw = _serialised(coco, style)
    for data in (raw, _mutated_bytes(raw, edits)):
        fast = _verdict(data, kind, purpose)
        # the reference: json.loads and the general validator, without the typed fast path
        with (
            mock.patch.object(validation_fast, "coco_loads", _stdlib),
            mock.patch.object(validation_fast, "_clean_report", return_value=None),
        ):
            assert _verdict(data, kind, purpose) == fast


def test_the_valid_document_parses_to_itself():
    raw = json.dumps(VALID).encode()
    assert coco_loads(raw) == VALID
    assert _verdict(raw, "imageObjectDetection", "training")[1]["ok"]
