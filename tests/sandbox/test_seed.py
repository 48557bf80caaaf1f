"""seed_sandbox: the demo projects as the SDK sees them, a benchmark project, and the pictures."""

from __future__ import annotations

import json
import random
from collections import Counter
from io import BytesIO

import pytest
from django.core.management import call_command
from PIL import Image, ImageChops

from sandbox.shapes import SHAPES, picture_draw

pytestmark = pytest.mark.django_db(transaction=True)


def _all_images(client, project_id):
    images, skip = [], 0
    while True:
        page = client.get_images(project_id, take=256, skip=skip, order_by="Oldest")
        images += page
        skip += len(page)
        if len(page) < 256:
            return images


def test_it_seeds_three_learnable_demo_projects_once(client, capsys):
    call_command("seed_sandbox")
    out = capsys.readouterr().out
    assert out.count(": created;") == 3
    projects = {p.name: p for p in client.get_projects()}
    assert set(projects) == {"Shapes (multiclass)", "Shapes (multilabel)", "Shapes (detector)"}

    multiclass = projects["Shapes (multiclass)"]
    assert multiclass.settings.classification_type == "Multiclass"
    assert client.get_domain(multiclass.settings.domain_id).type == "Classification"
    tags = {t.name: t for t in client.get_tags(multiclass.id)}
    assert {name: t.image_count for name, t in tags.items()} == {
        "circle": 30,
        "square": 30,
        "triangle": 30,
        "star": 30,
        "Negative": 8,
    }
    assert tags["Negative"].type == "Negative"
    assert client.get_untagged_image_count(multiclass.id) == 10
    assert client.get_tagged_image_count(multiclass.id) == 128
    assert all(len(i.tags) == 1 for i in client.get_tagged_images(multiclass.id, take=256))

    multilabel = projects["Shapes (multilabel)"]
    assert multilabel.settings.classification_type == "Multilabel"
    images = _all_images(client, multilabel.id)
    assert {len(i.tags) for i in images} == {1, 2, 3}
    assert all(count >= 30 for count in Counter(t.tag_name for i in images for t in i.tags).values())

    detector = projects["Shapes (detector)"]
    assert client.get_domain(detector.settings.domain_id).type == "ObjectDetection"
    images = _all_images(client, detector.id)
    boxes = Counter(r.tag_name for i in images for r in i.regions or [])
    assert set(boxes) == set(SHAPES) and min(boxes.values()) >= 30
    assert {len(i.regions) for i in images if i.regions} <= {1, 2, 3, 4, 5}
    assert client.get_untagged_image_count(detector.id) == sum(1 for i in images if not i.regions) > 0
    for region in (r for i in images for r in i.regions or []):
        assert region.left >= 0 and region.left + region.width <= 1
        assert region.top >= 0 and region.top + region.height <= 1

    call_command("seed_sandbox")  # idempotent
    assert capsys.readouterr().out.count("exists, left as is") == 3
    assert len(client.get_projects()) == 3


def test_it_seeds_a_benchmark_project_from_a_pool_of_pictures(client, capsys):
    call_command("seed_sandbox", "--images", "600", "--name", "Bench", "--detector", "--json")
    (line,) = capsys.readouterr().out.strip().splitlines()  # --json: one object per project, nothing else
    report = json.loads(line)
    assert (report["name"], report["created"], report["images"], report["untagged"]) == (
        "Bench",
        True,
        600,
        0,
    )
    (project,) = client.get_projects()
    assert project.id == report["project_id"]
    assert client.get_image_count(project.id) == 600
    first = client.get_images(project.id, take=256, order_by="Oldest")
    second = client.get_images(project.id, take=256, skip=256, order_by="Oldest")
    assert len({i.id for i in first + second}) == 512
    assert all(i.regions for i in first)
    assert (
        first[0].original_image_uri.split("?")[0] == first[64].original_image_uri.split("?")[0]
    )  # pool reuse
    newest = client.get_images(project.id, take=1)[0]
    assert newest.id == client.get_images(project.id, take=1, skip=599, order_by="Oldest")[0].id
    client.delete_project(project.id)
    assert client.get_projects() == []


def test_each_box_is_the_tight_box_of_its_drawn_shape():
    """Draw each kind alone on a flat background and compare the box with the changed pixels."""
    for index, kind in enumerate(SHAPES * 3):
        grey = 235 if index % 2 else 25  # light pictures get dark shapes, and the other way round
        picture = picture_draw(random.Random(index), [kind], background=(grey, grey, grey))
        (shape,) = picture.shapes
        image = Image.open(BytesIO(picture.data)).convert("L")
        diff = ImageChops.difference(image, Image.new("L", image.size, grey)).point(
            lambda v: 255 if v > 40 else 0
        )
        left, top, right, bottom = diff.getbbox()
        w, h = picture.width, picture.height
        assert abs(left - shape.left * w) <= 2 and abs(top - shape.top * h) <= 2
        assert (
            abs(right - (shape.left + shape.width) * w) <= 2
            and abs(bottom - (shape.top + shape.height) * h) <= 2
        )
