"""The Vision COCO checker's rules (docs/wire-formats.md §2.6), without its bugs, for asserting exports."""

from __future__ import annotations


def vision_coco_problems(coco: dict, kind: str) -> list[str]:
    problems = []
    for key in ("images", "annotations", "categories"):
        if coco.get(key) is None:
            problems.append(f"missing {key}")
    if problems:
        return problems
    images, annotations, categories = coco["images"], coco["annotations"], coco["categories"]
    n_img, n_ann, n_cat = len(images), len(annotations), len(categories)
    if [i["id"] for i in images] != list(range(1, n_img + 1)):
        problems.append("image ids are not dense 1..N")
    for image in images:
        if not all(isinstance(image.get(k), int) for k in ("id", "width", "height")) or not image.get(
            "file_name"
        ):
            problems.append(f"image {image.get('id')}: id/width/height/file_name")
        if "coco_url" not in image and "absolute_url" not in image:
            problems.append(f"image {image.get('id')}: no coco_url/absolute_url")
        if not 10 <= image.get("width", 0) <= 10240 or not 10 <= image.get("height", 0) <= 10240:
            problems.append(f"image {image.get('id')}: size out of range")
    if sorted(c["id"] for c in categories) != list(range(1, n_cat + 1)):
        problems.append("category ids are not dense 1..N")
    if sorted(a["id"] for a in annotations) != list(range(1, n_ann + 1)):
        problems.append("annotation ids are not dense 1..N")
    for a in annotations:
        if not (1 <= a["image_id"] <= n_img and 1 <= a["category_id"] <= n_cat):
            problems.append(f"annotation {a['id']}: dangling ids")
        if kind == "ObjectDetection":
            left, top, width, height = a["bbox"]
            if not (
                0 <= left < 1
                and 0 <= top < 1
                and 0 < width <= 1
                and 0 < height <= 1
                and left + width <= 1 + 1e-9
                and top + height <= 1 + 1e-9
            ):
                problems.append(f"annotation {a['id']}: bbox {a['bbox']} outside [0, 1]")
        elif "bbox" in a:
            problems.append(f"annotation {a['id']}: bbox on a classification annotation")
    if kind == "Classification":
        per_image = {}
        for a in annotations:
            per_image[a["image_id"]] = per_image.get(a["image_id"], 0) + 1
        if any(n > 1 for n in per_image.values()):
            problems.append("an image has more than one label in classification")
    return problems
