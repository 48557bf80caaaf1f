"""COCO validation speed: Visionport's pre-flight against the samples package's checker, same file.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/validate.py [--images 1000000] [--kind detection|classification]

Generates a valid COCO file of N images (one annotation each, for detection a box each), parses
it once, then times each checker on the parsed document and prints the ratio. Parsing is timed
separately: both need it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from customization.validation import CLASSIFICATION, DETECTION, validate_coco  # noqa: E402


def make(n: int, detection: bool) -> str:
    parts = ['{"categories":[', ",".join(f'{{"id":{c},"name":"class{c}"}}' for c in range(1, 11)), '],"images":[']
    parts.append(",".join(
        f'{{"id":{i},"width":640,"height":480,"file_name":"p/images/{i}.jpg","coco_url":"https://a.blob.core.windows.net/c/p/images/{i}.jpg"}}'
        for i in range(1, n + 1)))
    parts.append('],"annotations":[')
    box = ',"bbox":[0.1,0.2,0.3,0.4]' if detection else ""
    parts.append(",".join(f'{{"id":{i},"image_id":{i},"category_id":{1 + i % 10}{box}}}' for i in range(1, n + 1)))
    parts.append("]}")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=["detection", "classification"], default="classification")
    args = parser.parse_args()
    detection = args.kind == "detection"
    text = make(args.images, detection)
    t0 = time.perf_counter()
    coco = json.loads(text)
    parse = time.perf_counter() - t0
    print(f"{args.images:,} images, {len(text) / 1e6:.0f} MB, {args.kind}; json.loads {parse:.2f} s")

    t0 = time.perf_counter()
    report = validate_coco(coco, kind=DETECTION if detection else CLASSIFICATION)
    ours = time.perf_counter() - t0
    print(f"visionport validate_coco: {ours:6.2f} s  ({args.images / ours:,.0f} images/s, ok={report.ok}, "
          f"{len(report.groups)} problem groups)")
    try:
        from cognitive_service_vision_model_customization_python_samples import AnnotationKind, Purpose
        from cognitive_service_vision_model_customization_python_samples.data.check_coco_annotations import (
            check_coco_annotation_file,
        )
    except ImportError:
        print("reference checker not installed: pip install -r bench/requirements.txt")
        return
    kind = AnnotationKind.OBJECT_DETECTION if detection else AnnotationKind.MULTICLASS_CLASSIFICATION
    t0 = time.perf_counter()
    check_coco_annotation_file(coco, kind, Purpose.TRAINING)
    theirs = time.perf_counter() - t0
    print(f"samples check_coco_annotation_file: {theirs:6.2f} s  ({args.images / theirs:,.0f} images/s)")
    print(f"ratio (reference time / ours): {theirs / ours:.2f}x; ours also checks what it does not (see docs)")


if __name__ == "__main__":
    main()
