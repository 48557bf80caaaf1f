"""Does the model page's evaluation cost the same at 100,000 analysed images as at 100? Seeds an
*Analyze errors* run of N images and prints, per size, the server time of what the page computes
(the summary the job keeps, once; then at every view the figures, curves and slider data, the
error gallery's first page, a tag filter and a deep page), the bytes the figures put in the
page, and the ratio to the first size.

    .venv/bin/python bench/evaluation.py [--sizes 100,10000,100000] [--kind detection] [--repeat 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_evaluation .venv/bin/python bench/evaluation.py

Without DATABASE_URL it runs on a throw-away SQLite file in a temp folder; with it, on that
database, which must be a throw-away one. Rows are what the job stores: five tags; a detection
image has 1-4 boxes and about 8 predictions (most near a box, some anywhere, confidences spread
over 0-1); a classification image one label and a probability for every tag.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("VISIONPORT_VAR_DIR", tempfile.mkdtemp(prefix="visionport-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from customization.evaluation import analysis_figures, error_page  # noqa: E402
from customization.metrics import image_outcome  # noqa: E402
from customization.models import AnalyzedImage, ErrorAnalysis  # noqa: E402
from workspaces.services import workspace_create  # noqa: E402

TAGS = ["apple", "banana", "cherry", "date", "elder"]
KINDS = {"detection": "imageObjectDetection", "classification": "imageClassification"}


def _image(kind: str, rng: random.Random) -> tuple[dict, list]:
    if kind == "imageClassification":
        label = rng.choice(TAGS)
        weights = [rng.random() + (2.0 if t == label and rng.random() < 0.8 else 0.0) for t in TAGS]
        total = sum(weights)
        return {"labels": [label], "boxes": []}, [
            [t, round(w / total, 6)] for t, w in zip(TAGS, weights, strict=True)
        ]
    boxes, predictions = [], []
    for _ in range(rng.randint(1, 4)):
        tag, w, h = rng.choice(TAGS), rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.3)
        x, y = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
        boxes.append([tag, x, y, w, h])
        if rng.random() < 0.85:  # found, roughly in place, mostly with the right tag
            found = tag if rng.random() < 0.9 else rng.choice(TAGS)
            jitter = [x + rng.gauss(0, 0.02), y + rng.gauss(0, 0.02), w, h]
            predictions.append([found, round(rng.uniform(0.3, 1.0), 6), *jitter])
    while len(predictions) < 8:  # background guesses
        w, h = rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.3)
        box = [rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h]
        predictions.append([rng.choice(TAGS), round(rng.uniform(0.01, 0.7), 6), *box])
    return {"labels": [], "boxes": boxes}, predictions


def seed(workspace, kind: str, count: int, rng: random.Random) -> ErrorAnalysis:
    analysis = ErrorAnalysis.objects.create(
        workspace=workspace,
        model_name=f"m-{count}",
        dataset=f"d-{count}",
        dataset_role=ErrorAnalysis.Role.EVALUATION,
        kind=kind,
        categories=TAGS,
        images=count,
        complete=True,
    )
    batch = []
    for n in range(1, count + 1):
        truth, predictions = _image(kind, rng)
        names = [*truth["labels"], *(b[0] for b in truth["boxes"])] + [
            p[0] for p in predictions if p[1] >= 0.5
        ]
        batch.append(
            AnalyzedImage(
                analysis=analysis,
                image_id=n,
                file_name=f"img-{n}.jpg",
                url=f"https://example.invalid/img-{n}.jpg",
                width=640,
                height=480,
                truth=truth,
                predictions=predictions,
                error_score=image_outcome(kind, truth, predictions).score,
                tags="|" + "|".join(dict.fromkeys(names)) + "|",
            )
        )
        if len(batch) == 5000:
            AnalyzedImage.objects.bulk_create(batch)
            batch = []
    AnalyzedImage.objects.bulk_create(batch)
    if connection.vendor == "postgresql":  # as autovacuum would after such an insert
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customization_analyzedimage")
    return analysis


def timed(action, repeat: int) -> float:
    """The median seconds of ``repeat`` calls."""
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def measure(analysis: ErrorAnalysis, repeat: int) -> dict:
    began = time.perf_counter()
    figures = analysis_figures(analysis, 0.5)  # the first view computes and keeps the summary
    first_view = time.perf_counter() - began
    analysis = ErrorAnalysis.objects.get(pk=analysis.pk)  # as the next request reads it
    page_bytes = len(json.dumps(figures.slider)) + sum(len(r.curve) for r in figures.rows)
    if figures.confusion:
        page_bytes += len(figures.confusion)
    pages = max(1, analysis.images // 24)
    return {
        "summary": first_view,
        "figures": timed(lambda: analysis_figures(analysis, 0.5), repeat),
        "bytes": page_bytes,
        "gallery": timed(lambda: error_page(analysis=analysis, tag="", page=1, threshold=0.5), repeat),
        "tag": timed(lambda: error_page(analysis=analysis, tag="cherry", page=1, threshold=0.5), repeat),
        "deep": timed(lambda: error_page(analysis=analysis, tag="", page=pages, threshold=0.5), repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--kind", choices=sorted(KINDS), default="detection")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    owner = User.objects.create_user(f"bench-{time.time_ns()}")
    workspace = workspace_create(name=f"bench {time.time_ns()}", owner=owner)
    rng = random.Random(0)  # noqa: S311 (made-up data, not secrets)
    print(f"{args.kind}, database {connection.vendor}, median of {args.repeat}")
    print(
        "| images | seed | summary (once) | figures | page data | gallery page 1 | tag filter | last page |"
    )
    print("|---|---|---|---|---|---|---|---|")
    first = None
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            began = time.perf_counter()
            analysis = seed(workspace, KINDS[args.kind], size, rng)
            seeded = time.perf_counter() - began
            m = measure(analysis, args.repeat)
            first = first or m

            def cell(key: str, m: dict = m, first: dict = first) -> str:
                ratio = m[key] / first[key] if first[key] else 0
                return f"{m[key] * 1000:,.1f} ms ({ratio:,.1f}x)"

            print(
                f"| {size:,} | {seeded:.1f} s | {cell('summary')} | {cell('figures')} | {m['bytes'] / 1024:,.0f} KiB "
                f"({m['bytes'] / first['bytes']:,.1f}x) | {cell('gallery')} | {cell('tag')} | {cell('deep')} |",
                flush=True,
            )
    finally:
        workspace.delete()
        owner.delete()


if __name__ == "__main__":
    main()
