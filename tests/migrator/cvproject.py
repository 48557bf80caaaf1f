"""Build small Custom Vision projects in the sandbox through the official SDK, as a user would."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from azure.cognitiveservices.vision.customvision.training import CustomVisionTrainingClient
from azure.cognitiveservices.vision.customvision.training.models import (
    ImageFileCreateBatch,
    ImageFileCreateEntry,
    Region,
)
from msrest.authentication import ApiKeyCredentials
from PIL import Image, ImageDraw

from sandbox.keys import sandbox_key

CLASSIFICATION_GENERAL = "ee85a74c-405e-4adc-bb47-ffa8ca0c9f31"
DETECTION_GENERAL = "da2e3a8a-40a5-4171-82f4-58522f70fbc1"


def sdk(base_url: str) -> CustomVisionTrainingClient:
    return CustomVisionTrainingClient(
        f"{base_url}/sandbox", ApiKeyCredentials(in_headers={"Training-key": sandbox_key("customvision")})
    )


def picture(seed: int, fmt: str = "JPEG", size: tuple[int, int] = (96, 72)) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = rng.randrange(size[0] - 20), rng.randrange(size[1] - 20)
        draw.ellipse([x, y, x + 20, y + 20], fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@dataclass
class Built:
    project_id: str
    kind: str
    originals: dict[str, bytes] = field(default_factory=dict)  # image id -> bytes uploaded
    labels: dict[str, list] = field(default_factory=dict)  # image id -> tag names


def classification_project(base_url: str, name: str = "Pets", per_class: int = 4) -> Built:
    """cat x4, dog x4, 2 negative, 2 untagged, 1 PNG; 'bird' tag with no images."""
    client = sdk(base_url)
    project = client.create_project(name, domain_id=CLASSIFICATION_GENERAL, classification_type="Multiclass")
    cat = client.create_tag(project.id, "cat")
    dog = client.create_tag(project.id, "dog")
    client.create_tag(project.id, "bird")
    negative = client.create_tag(project.id, "Negative", type="Negative")
    plan = (
        [([cat.id], "cat")] * per_class
        + [([dog.id], "dog")] * per_class
        + [([negative.id], "Negative")] * 2
        + [([], None)] * 2
    )
    built = Built(project.id, "Classification")
    for index, (tag_ids, tag_name) in enumerate(plan):
        data = picture(index, "PNG" if index == 0 else "JPEG")
        entry = ImageFileCreateEntry(name=f"img{index}", contents=data, tag_ids=tag_ids)
        summary = client.create_images_from_files(project.id, ImageFileCreateBatch(images=[entry]))
        image_id = summary.images[0].image.id
        built.originals[image_id] = data
        built.labels[image_id] = [tag_name] if tag_name else []
    return built


def detection_project(base_url: str, name: str = "Shapes") -> Built:
    """6 images with 1-2 boxes each (one box overshoots the right edge), and one untagged image."""
    client = sdk(base_url)
    project = client.create_project(name, domain_id=DETECTION_GENERAL)
    ball = client.create_tag(project.id, "ball")
    cube = client.create_tag(project.id, "cube")
    built = Built(project.id, "ObjectDetection")
    for index in range(7):
        regions = []
        if index < 6:
            regions.append(Region(tag_id=ball.id, left=0.1, top=0.1, width=0.3, height=0.3))
            if index % 2:
                regions.append(
                    Region(tag_id=cube.id, left=0.6, top=0.5, width=0.45 if index == 1 else 0.3, height=0.3)
                )
        data = picture(100 + index, size=(120, 90))
        entry = ImageFileCreateEntry(name=f"d{index}", contents=data, regions=regions)
        summary = client.create_images_from_files(project.id, ImageFileCreateBatch(images=[entry]))
        image_id = summary.images[0].image.id
        built.originals[image_id] = data
        built.labels[image_id] = ["ball"] * bool(regions) + ["cube"] * (len(regions) > 1)
    return built
