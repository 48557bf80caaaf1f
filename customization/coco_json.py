"""Parsing a COCO file's bytes: msgspec's decoder, with the standard library's answer where they differ.

``coco_loads(raw)`` returns what ``json.loads(raw)`` returns and raises what it raises, about three
times faster and without ``json.loads``'s decoded copy of the text (docs/validation.md has the figures).
msgspec gives the same Python values for valid JSON (dicts with the last of duplicate keys at the first
one's place, exact big ints, the same floats). What it refuses and the standard library takes (NaN and
Infinity, numbers beyond a float's range, lone surrogates, a UTF-8 BOM, UTF-16 and UTF-32), and what
neither takes (invalid UTF-8, broken JSON, ints over 4,300 digits), goes to ``json.loads``, which gives
today's value or today's error with today's message. tests/customization/test_coco_json.py holds both
to the same answer.

Nesting: both count the interpreter's recursion (RecursionError past it). msgspec is called a few frames
deeper than ``json.loads`` would be, so it gives up first and every file it takes, ``json.loads`` takes
too; the few it gives up on just before the limit go to ``json.loads``, which decides as it does today.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable

import msgspec

# json.loads reaches its C scanner through 3 Python frames, where msgspec is entered directly; being 10
# frames deeper keeps msgspec's nesting limit below json.loads's (RecursionError counts them all alike).
_HEADROOM = 10
_decode = msgspec.json.Decoder().decode


def coco_loads(raw: bytes) -> object:
    """``json.loads(raw)``, decoded by msgspec where it gives the same answer (see the module's text)."""
    try:
        return _without_gc(lambda: _deeper(_HEADROOM, raw))
    except (msgspec.DecodeError, RecursionError):
        return json.loads(raw)


def _deeper(frames: int, raw: bytes) -> object:
    return _deeper(frames - 1, raw) if frames else _decode(raw)


def _without_gc(call: Callable[[], object]) -> object:
    """``call()`` with the cyclic garbage collector paused: a parse only allocates (JSON has no cycles),
    and collections triggered while millions of new objects are alive make a 1,000,000-image parse
    twice as slow."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return call()
    finally:
        if enabled:
            gc.enable()
