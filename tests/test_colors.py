"""Category colours: clearly distinct, readable text on each, and one colour per category name on
every page (project browser, dataset chart and gallery, Try-it-out result and boxes)."""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse

from config.colors import PALETTE, _rgb, category_hex, category_rgb, contrast, text_hex, text_rgb
from customization.models import DatasetRecord
from customization.services.drawing import class_colour
from customization.services.gallery import Item
from sandbox.shapes import SHAPES
from sandbox.vision.models import VisionDataset
from tests.conftest import connect_to_sandbox, login
from tests.customization.test_try_result import predicted_job
from tests.migrator.cvproject import detection_project


def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """sRGB (D65) to CIELAB."""

    def linear(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _distance(a: str, b: str) -> float:
    """CIE76 colour difference: about 2.3 is just noticeable; 25 reads as another colour."""
    return sum((p - q) ** 2 for p, q in zip(_lab(_rgb(a)), _lab(_rgb(b)), strict=True)) ** 0.5


def test_the_palette_colours_are_clearly_distinct() -> None:
    assert len(set(PALETTE)) == len(PALETTE) == 20
    closest = min(_distance(a, b) for a, b in itertools.combinations(PALETTE, 2))
    assert closest >= 25, closest


def test_the_demo_shapes_get_colours_far_apart() -> None:
    colours = [category_hex(shape) for shape in SHAPES]
    assert len(set(colours)) == len(SHAPES), dict(zip(SHAPES, colours, strict=True))
    closest = min(_distance(a, b) for a, b in itertools.combinations(colours, 2))
    assert closest >= 40, dict(zip(SHAPES, colours, strict=True))
    assert category_hex("square") != category_hex("star")  # they shared a green before


def test_a_name_keeps_its_colour_across_processes() -> None:
    # Fixed values: a hash that changed between processes (or a palette change) would recolour
    # every page; the gallery's cache key includes the palette.
    assert category_hex("square") == "#9c755f"
    assert category_hex("circle") == "#dd88ff"
    assert category_rgb("square") == (0x9C, 0x75, 0x5F)


def test_text_on_every_colour_is_readable() -> None:
    for colour in PALETTE:
        assert contrast(_rgb(colour), text_rgb(_rgb(colour))) >= 4.5, colour
        assert text_hex(colour) in {"#000000", "#ffffff"}


def test_drawings_and_gallery_chips_use_the_palette() -> None:
    for name in (*SHAPES, "cat", "dog", "Negative", "x<y>"):
        assert class_colour(name) == category_rgb(name)
    item = Item(id=1, file_name="a.jpg", url="http://x/a.jpg", labels=("star", "star", "square"), boxes=())
    assert item.chips == [("star", 2, category_hex("star")), ("square", 1, category_hex("square"))]


def _colours_of(html: str, name: str) -> set[str]:
    """Every colour the page gives an element that is about ``name`` (in data-c, which app.js
    sets as --c: the Content-Security-Policy refuses style attributes)."""
    chips = re.findall(rf'data-c="(#[0-9a-f]{{6}})">{re.escape(name)}<', html)
    return set(chips)


@pytest.mark.django_db(transaction=True)
def test_a_category_has_one_colour_on_every_page(client, tx_personas, live_server) -> None:
    personas = tx_personas
    connect_to_sandbox(personas.workspace, live_server.url)
    login(client, personas.bob)
    ws = personas.workspace.pk
    expected = {name: category_hex(name) for name in ("ball", "cube")}

    # The project browser: the tag chart and the regions on the thumbnails.
    built = detection_project(live_server.url, "Shapes")
    page = client.get(
        reverse("migrator:project", kwargs={"ws_id": ws, "project_id": built.project_id})
    ).content.decode()
    for name, colour in expected.items():
        assert _colours_of(page, name) == {colour}, name
        assert f'data-c="{colour}"></span>' in page  # its bar
        assert f'data-c="{colour}" data-fg="{text_hex(colour)}"><em>{name}</em>' in page  # its region

    # The dataset's per-category chart.
    VisionDataset.objects.create(
        name="shapes-ds",
        annotation_kind="imageObjectDetection",
        auth_kind="sas",
        annotation_file_uris=["http://127.0.0.1:9/none.json"],
    )
    DatasetRecord.objects.create(
        workspace=personas.workspace,
        name="shapes-ds",
        kind="imageObjectDetection",
        annotation_url="http://127.0.0.1:9/none.json",
        source="Shapes/train.json",
        auth="sas",
        images=6,
        per_category={"ball": 6, "cube": 3},
    )
    page = client.get(
        reverse("customization:dataset", kwargs={"ws_id": ws, "name": "shapes-ds"})
    ).content.decode()
    chart = page.split('id="per-category"', 1)[1].split("</table>", 1)[0]
    for name, colour in expected.items():
        assert _colours_of(chart, name) == {colour}, name
        assert f'data-c="{colour}"></span>' in chart  # its bar

    # The Try-it-out result's list (its boxes are drawn with class_colour, the same palette).
    job = predicted_job(
        personas,
        objects=[
            {"name": "ball", "confidence": 0.9, "box": [1, 1, 20, 20]},
            {"name": "cube", "confidence": 0.7, "box": [30, 30, 20, 20]},
        ],
    )
    page = client.get(reverse("jobs:detail", kwargs={"ws_id": ws, "job_id": job.pk})).content.decode()
    for name, colour in expected.items():
        assert _colours_of(page, name) == {colour}, name
