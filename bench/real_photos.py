"""Few-shot curves on real photographs: the pretrained trainer against the scratch one, same budget.

    .venv/bin/python bench/real_photos.py [--budget 90] [--shots 5 10 20] [--tasks classifier detector]

The pictures come from the photographs that scikit-image and scikit-learn ship (trainer/photo_sets.py
says how the labelled sets are cut from them; nothing is generated or downloaded). For every task,
number of training pictures per class and backbone, ``trainer.train`` runs with the default
configuration of that backbone inside the same budget, then ``trainer.evaluate`` scores the
held-out set: top-1 and macro AP on 30 held-out pictures per class (classification: one of five
objects on a place the training set does not include), mAP@50 and mAP@30 on 60 held-out
pictures of such places (detection, the same five objects, 1-3 per picture, 20-60 px long).
``--tasks trees`` runs the tree crowns of deepforest's aerial photos (trainer/aerial_trees.py:
one class, 9-108 px crowns, many per picture; "per class" is then the number of 400 px training
tiles, and the eight held-out pictures, 308 crowns, come from three places the tiles do not show).
``--tasks crowns`` classifies crops of the same photos: a tree crown or not (ground, grass,
shadow), training crops from the Yellowstone photo, 30 held-out crops per class from the three
other places. ``--tasks faces`` runs skimage's LFW faces against non-faces (50 held-out of each), ``--tasks
regions`` the tests' photo-region set (seven photos, 30 held-out crops each). One run at a time; prints a Markdown table, with the load average
before and after each run, since a busy machine buys fewer steps in the same budget.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BACKBONES = ("scratch", "efficientnet-lite0")


def run(task: str, shots: int, backbone: str, budget: float, seed: int, arch: dict | None = None) -> dict:
    from trainer import NotEnoughBudget, default_config, evaluate, photo_sets, train

    if task == "classifier":
        train_set, held_out = photo_sets.object_classification_sets(shots, 30, seed=seed)
        classes = photo_sets.OBJECTS
    elif task == "faces":  # skimage's lfw_subset: faces vs non-faces, 25 x 25 grey
        train_set, held_out = photo_sets.face_sets(shots, 50, seed=seed)
        classes = photo_sets.FACE_CLASSES
        task = "classifier"
    elif task == "regions":  # the tests' set: crops of seven photos, held out from their right part
        train_set, held_out = photo_sets.classification_sets(shots, 30, seed=seed)
        classes = photo_sets.CLASSES
        task = "classifier"
    elif task == "crowns":  # deepforest's aerial photos: a crown or not, held out from unseen places
        from trainer import aerial_trees

        train_set, held_out = aerial_trees.crown_classification_sets(shots, 30, seed=seed)
        classes = aerial_trees.CROP_CLASSES
        task = "classifier"
    elif task == "trees":  # deepforest's aerial photos: tree crowns on 400 px tiles, unseen places
        from trainer import aerial_trees

        train_set, held_out = aerial_trees.tree_sets(shots, seed=seed)
        classes = aerial_trees.CLASSES
        task = "detector"
    else:
        train_set, held_out = photo_sets.detection_sets(shots, 60, seed=seed)
        classes = photo_sets.OBJECTS
    load_before = os.getloadavg()[0]
    try:
        result = train(
            task,
            train_set,
            classes,
            budget_seconds=budget,
            seed=0,
            config=default_config(task, backbone=backbone, **({"arch": arch} if arch else {})),
        )
    except NotEnoughBudget as exc:
        return {"error": str(exc), "load": (load_before, os.getloadavg()[0])}
    metrics = evaluate(result.model, held_out)
    return {
        "metrics": metrics,
        "seconds": result.seconds_used,
        "steps": result.steps,
        "views": result.model.info.get("cached_views"),
        "train": len(train_set),
        "held_out": len(held_out),
        "load": (load_before, os.getloadavg()[0]),
    }


def row(task: str, shots: int, backbone: str, out: dict) -> str:
    load = "{:.1f} / {:.1f}".format(*out["load"])
    task = {
        "regions": "classifier (regions)",
        "faces": "classifier (faces)",
        "trees": "detector (trees)",
        "crowns": "classifier (crowns)",
    }.get(task, task)
    if "error" in out:
        return f"| {task} | {shots} | {backbone} | - | - | not enough budget | - | {load} |"
    m = out["metrics"]
    if task.startswith("classifier"):
        figures = f"top-1 **{m['top1']:.3f}**, AP {m['average_precision']:.3f}"
    else:
        figures = f"mAP@50 **{m['map50']:.3f}**, @30 {m['map30']:.3f}"
    steps = f"{out['steps']:,}" + (f" ({out['views']} cached views)" if out["views"] else "")
    return (
        f"| {task} | {shots} | {backbone} | {out['train']} / {out['held_out']} | {out['seconds']:.0f} s | "
        f"{figures} | {steps} | {load} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=90.0, help="seconds per training run")
    parser.add_argument("--shots", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--tasks", nargs="+", default=["classifier", "detector"])
    parser.add_argument("--seed", type=int, default=0, help="seed of the picture sets")
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=BACKBONES)
    parser.add_argument(
        "--arch",
        type=json.loads,
        default=None,
        help="pretrained options over the defaults, e.g. '{\"train_from\": 11}'",
    )
    args = parser.parse_args()
    import torch

    began = time.monotonic()
    print(
        f"budget {args.budget:g} s per run, torch {torch.__version__}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(
        "| task | per class | backbone | train / held-out | train time | held-out | steps | load before / after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for task in args.tasks:
        for shots in args.shots:
            for backbone in args.backbones:
                arch = args.arch if backbone != "scratch" else None
                out = run(task, shots, backbone, args.budget, args.seed, arch)
                label = backbone + (f" {json.dumps(arch)}" if arch else "")
                print(row(task, shots, label, out), flush=True)
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
