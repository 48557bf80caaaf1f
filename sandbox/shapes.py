"""Generated pictures of simple shapes, for demo and benchmark projects a model can learn from.

Every picture comes from a ``random.Random`` the caller seeds, so a seed gives the same bytes on
every run (for one Pillow version). Shapes are drawn supersampled on their own layer and
composited onto a gradient background with noise and faint clutter; each shape's normalised
bounding box is the tight box of the drawn outline.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageOps

SHAPES = ("circle", "square", "triangle", "star")
SUPERSAMPLE = 3


@dataclass(frozen=True)
class DrawnShape:
    kind: str
    left: float  # normalised box, as Custom Vision regions are
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Picture:
    data: bytes  # JPEG
    width: int
    height: int
    shapes: tuple[DrawnShape, ...]

    @property
    def kinds(self) -> list[str]:
        """The distinct shape kinds in the picture, in SHAPES order."""
        present = {s.kind for s in self.shapes}
        return [k for k in SHAPES if k in present]


def _luma(rgb: Sequence[int]) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _colour(rng: random.Random, light: bool, saturation: tuple[float, float]) -> tuple[int, int, int]:
    value = rng.uniform(0.78, 1.0) if light else rng.uniform(0.12, 0.4)
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*saturation), value)
    return round(r * 255), round(g * 255), round(b * 255)


def _background(rng: random.Random, size: tuple[int, int], light: bool) -> Image.Image:
    first = _colour(rng, light, (0.0, 0.5))
    second = _colour(rng, light, (0.0, 0.5))
    gradient = Image.linear_gradient("L").transpose(rng.choice(list(Image.Transpose))).resize(size)
    image = ImageOps.colorize(gradient, first, second)
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    noise = noise.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4))).convert("RGB")
    image = Image.blend(image, noise, rng.uniform(0.08, 0.25))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(0, 4)):  # faint straight clutter, never a closed shape
        tone = round(_luma(first) + rng.uniform(-25, 25))
        points = [(rng.randrange(size[0]), rng.randrange(size[1])) for _ in range(2)]
        draw.line(points, fill=(tone, tone, tone), width=rng.randrange(1, 3))
    return image


def _outline(kind: str, radius: float, angle: float) -> list[tuple[float, float]]:
    """Vertices around (0, 0); a circle is a fine polygon so its box is computed the same way."""
    if kind == "circle":
        return [
            (radius * math.cos(2 * math.pi * k / 72), radius * math.sin(2 * math.pi * k / 72))
            for k in range(72)
        ]
    if kind == "square":
        corners = [angle + math.pi / 4 + k * math.pi / 2 for k in range(4)]
        return [(radius * math.cos(a), radius * math.sin(a)) for a in corners]
    if kind == "triangle":
        corners = [angle - math.pi / 2 + k * 2 * math.pi / 3 for k in range(3)]
        return [(radius * math.cos(a), radius * math.sin(a)) for a in corners]
    if kind == "star":
        points = []
        for k in range(10):
            r = radius if k % 2 == 0 else radius * 0.42
            a = angle - math.pi / 2 + k * math.pi / 5
            points.append((r * math.cos(a), r * math.sin(a)))
        return points
    raise ValueError(f"Unknown shape {kind}")


def _place(
    rng: random.Random,
    outline: list[tuple[float, float]],
    size: tuple[int, int],
    taken: list[tuple[float, float, float, float]],
) -> tuple[float, float, float, float] | None:
    """A position (pixel box) for the outline, fully inside and apart from the boxes taken."""
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    if w + 4 > size[0] or h + 4 > size[1]:
        return None
    for _ in range(60):
        x0 = rng.uniform(2, size[0] - w - 2)
        y0 = rng.uniform(2, size[1] - h - 2)
        box = (x0, y0, x0 + w, y0 + h)
        margin = 3
        if all(
            box[2] + margin < t[0]
            or t[2] + margin < box[0]
            or box[3] + margin < t[1]
            or t[3] + margin < box[1]
            for t in taken
        ):
            return box
    return None


def picture_draw(
    rng: random.Random,
    kinds: Sequence[str],
    *,
    scale: tuple[float, float] = (0.2, 0.4),
    quality: int | None = None,
    background: tuple[int, int, int] | None = None,
) -> Picture:
    """A 160-320 px picture holding the given shapes (fewer when they cannot all fit apart).

    ``scale`` bounds each shape's radius as a fraction of the picture's shorter side.
    ``background`` replaces the textured background with a flat colour (to check the boxes).
    """
    size = (rng.randrange(160, 321), rng.randrange(160, 321))
    light = rng.random() < 0.5 if background is None else _luma(background) >= 128
    image = _background(rng, size, light) if background is None else Image.new("RGB", size, background)
    layer = Image.new("RGBA", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    background_luma = _luma(image.resize((1, 1)).getpixel((0, 0)))  # type: ignore[arg-type]
    taken: list[tuple[float, float, float, float]] = []
    drawn: list[DrawnShape] = []
    for kind in kinds:
        radius = rng.uniform(*scale) * min(size)
        outline = _outline(kind, radius, rng.uniform(0, 2 * math.pi))
        box = _place(rng, outline, size, taken)
        if box is None:
            continue
        taken.append(box)
        xs, ys = [p[0] for p in outline], [p[1] for p in outline]
        dx, dy = box[0] - min(xs), box[1] - min(ys)
        colour = _colour(rng, not light, (0.55, 1.0))
        for _ in range(10):  # keep a clear contrast with the background
            if abs(_luma(colour) - background_luma) >= 70:
                break
            colour = _colour(rng, not light, (0.55, 1.0))
        polygon = [((x + dx) * SUPERSAMPLE, (y + dy) * SUPERSAMPLE) for x, y in outline]
        draw.polygon(polygon, fill=(*colour, 255))
        drawn.append(
            DrawnShape(
                kind,
                box[0] / size[0],
                box[1] / size[1],
                (box[2] - box[0]) / size[0],
                (box[3] - box[1]) / size[1],
            )
        )
    layer = layer.resize(size, Image.Resampling.LANCZOS)
    image = Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality or rng.randrange(82, 95))
    return Picture(out.getvalue(), size[0], size[1], tuple(drawn))
