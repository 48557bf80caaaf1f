"""COCO files of generated shapes in a workspace's storage, for the customization tests."""

from __future__ import annotations

import json

from tests.sandbox_vision.conftest import shape_picture
from workspaces.models import Workspace
from workspaces.storage import storage_for


def write_dataset(
    workspace: Workspace, folder: str, kind: str = "imageClassification", per_class: int = 6
) -> str:
    """Pictures of circles and squares and their COCO file in the workspace's storage; its path."""
    _, store = storage_for(workspace)
    store.create_container()
    images, annotations = [], []
    for n in range(2 * per_class):
        data, box = shape_picture(("circle", "square")[n % 2], n)
        name = f"{folder}/images/{n + 1}.png"
        store.put(name, data, "image/png")
        images.append(
            {"id": n + 1, "width": 96, "height": 96, "file_name": name, "coco_url": store.url(name)}
        )
        annotation = {"id": n + 1, "image_id": n + 1, "category_id": n % 2 + 1}
        if kind == "imageObjectDetection":
            annotation["bbox"] = [round(v, 4) for v in box]
        annotations.append(annotation)
    coco = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "circle"}, {"id": 2, "name": "square"}],
    }
    store.put(f"{folder}/train.json", json.dumps(coco).encode(), "application/json")
    return f"{folder}/train.json"
