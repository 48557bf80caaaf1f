"""One colour per category name, the same on every page and in every drawn image.

The project browser (migrator), the dataset chart and gallery, and the Try-it-out boxes
(customization) all read their colours here, so that "square" is one colour everywhere. This
module sits in ``config`` so that neither feature app imports the other.

A name is hashed (BLAKE2b, stable across processes and Python versions, unlike ``hash()``) into a
palette of 20 clearly distinct colours: Tableau 10 without its grey (a grey box reads as "nothing"),
interleaved with 11 more picked greedily in CIELAB for the largest distance to every colour
already chosen (Glasbey's method), at mid lightness and chroma so that a box stands out on a
photo. Any two colours of the palette are at least 25 CIELAB units apart. Two names share a colour
only when their hashes land on the same slot (1 chance in 20 for any two names); every label also
carries its name.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

RGB = tuple[int, int, int]

_TABLEAU = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_GLASBEY = (
    "#5544cc",
    "#ee22aa",
    "#99cc11",
    "#dd88ff",
    "#00dd66",
    "#776600",
    "#0088ff",
    "#00ddaa",
    "#992255",
    "#00ccff",
    "#006644",
)
PALETTE: tuple[str, ...] = tuple(
    c for i in range(len(_GLASBEY)) for c in (_TABLEAU[i : i + 1] + _GLASBEY[i : i + 1])
)
# The hash's personalisation, picked once so that the demo's shapes (circle, square, triangle, star)
# and the test projects' tags land on colours far apart. Changing it (or the palette) recolours every
# category; the gallery's cache key includes the palette, so no stale thumbnail is served.
_PERSON = b"589"


def _rgb(hex_colour: str) -> RGB:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


@lru_cache(maxsize=4096)
def category_index(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=_PERSON).digest()
    return int.from_bytes(digest, "big") % len(PALETTE)


def category_hex(name: str) -> str:
    """The category's colour as CSS ``#rrggbb``."""
    return PALETTE[category_index(name)]


def category_rgb(name: str) -> RGB:
    """The category's colour as an (r, g, b) tuple, for Pillow."""
    return _rgb(category_hex(name))


def _luminance(colour: RGB) -> float:
    """WCAG relative luminance."""

    def linear(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_rgb(background: RGB) -> RGB:
    """Black or white, whichever has the higher contrast on ``background`` (always at least 4.58:1)."""
    black, white = (0, 0, 0), (255, 255, 255)
    return black if contrast(background, black) >= contrast(background, white) else white


def text_hex(background: RGB | str) -> str:
    rgb = _rgb(background) if isinstance(background, str) else background
    return "#000000" if text_rgb(rgb) == (0, 0, 0) else "#ffffff"
