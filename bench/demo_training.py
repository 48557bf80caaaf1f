"""Held-out metrics and training time of the sandbox's trainer on the demo projects.

    .venv/bin/python bench/demo_training.py [--classifier-budget 120] [--detector-budget 240]

Draws the demo projects exactly as ``manage.py seed_sandbox`` does (same generators, same seeds),
keeps what an export with the default options puts in the COCO file (the 120 tagged pictures of
the multiclass project; the 71 pictures with regions of the detector project), then does what
the Vision sandbox does for a training without an evaluation dataset: a stratified 80/20 split
(seed 0), ``trainer.train`` with the sandbox's default configuration inside the budget, and
``trainer.evaluate`` on the held-out 20%. Prints one Markdown row per project, with the machine's
load average, since a busy machine buys fewer steps in the same budget.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("VISIONPORT_VAR_DIR", tempfile.mkdtemp(prefix="visionport-demo-training-"))


def samples_of(planned: list, kind: str, classes: list[str]) -> list:
    from PIL import Image

    from trainer.data import Sample

    index = {name: i for i, name in enumerate(classes)}
    samples = []
    for p in planned:
        image = Image.open(io.BytesIO(p.checked.data)).convert("RGB")
        if kind == "classifier":
            labels = [t for t in p.tags if t in index]
            if len(labels) == 1:
                samples.append(Sample(image, label=index[labels[0]]))
        elif p.boxes:
            samples.append(
                Sample(image, boxes=[(index[k], left, top, w, h) for k, left, top, w, h in p.boxes])
            )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classifier-budget", type=float, default=120)
    parser.add_argument("--detector-budget", type=float, default=240)
    args = parser.parse_args()

    import django

    django.setup()
    import trainer
    from sandbox.services import seed
    from sandbox.shapes import SHAPES

    classes = list(SHAPES)
    runs = [
        ("Shapes (multiclass)", "classifier", seed._multiclass, args.classifier_budget),
        ("Shapes (detector)", "detector", seed._detector, args.detector_budget),
    ]
    print(
        "| demo project | train / held-out images | budget s | used s | steps | held-out metrics | "
        "predict ms (median) | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, kind, build, budget in runs:
        planned = build(random.Random(f"{seed.SEED}:{name}"))  # noqa: S311 (the seed's own pictures)
        samples = samples_of(planned, kind, classes)
        train_set, held_out = trainer.stratified_split(samples, 0.2, seed=0)
        load = os.getloadavg()[0]
        result = trainer.train(kind, train_set, classes, budget_seconds=budget, seed=0)
        metrics = trainer.evaluate(result.model, held_out)
        latencies = []
        for sample in held_out[:20]:
            began = time.perf_counter()
            result.model.predict(sample.load())
            latencies.append((time.perf_counter() - began) * 1000)
        if kind == "classifier":
            top5 = metrics.get("top5")
            scores = (
                f"AP {metrics['average_precision']:.3f}, top-1 {metrics['top1']:.3f}, "
                f"top-5 {'n/a' if top5 is None else f'{top5:.3f}'}"
            )
        else:
            scores = f"mAP@30 {metrics['map30']:.3f}, @50 {metrics['map50']:.3f}, @75 {metrics['map75']:.3f}"
        print(
            f"| {name} | {len(train_set)} / {len(held_out)} | {budget:.0f} | {result.seconds_used:.1f} | "
            f"{result.steps} | {scores} | {statistics.median(latencies):.1f} | {load:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
