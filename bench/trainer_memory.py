"""Peak memory of the pretrained detector's data preparation at 1x, 100x and 1,000x the pictures.

    .venv/bin/python bench/trainer_memory.py [--counts 10 1000 10000] [--views 24]

What it runs, each size in a fresh process: the 400 px tiles of deepforest's aerial photos (real
photographs, repeated to reach the count) through ``imaging.to_uint8`` at 320 px, then
``feature_cache.build`` as ``pretrained_detector.prepare`` calls it, the plain view and then
augmented rounds while they fit the budget share and the memory cap. The backbone is replaced by
zero maps of its real shapes (40 x 40 x 40, 112 x 20 x 20 and 320 x 10 x 10 float16 at 320 px,
275 KiB a view): the real one costs about 0.3 s a picture on two cores, which would make 10,000
pictures an hour, and what grows with the pictures is the machinery's memory, not the maps'
values. Prints, per size: the peak resident memory (``ru_maxrss``, file pages the system may drop
included) and its ratio to the smallest size, the anonymous resident memory after loading and
after caching (the larger; what cannot be dropped without swap), the cached views, and where the
features and pictures were kept.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _memory import anonymous_mib, each_in_a_fresh_process, peak_mib

SIZE = 320


def one(count: int, views: int) -> dict:
    import torch

    from trainer import aerial_trees, feature_cache
    from trainer.imaging import to_uint8

    train, held_out = aerial_trees.tree_sets(30)
    tiles = [sample.load() for sample in train + held_out]
    began = time.monotonic()
    images = to_uint8(lambda i: tiles[i % len(tiles)], count, SIZE)
    loaded = time.monotonic() - began
    anonymous = anonymous_mib()
    context = feature_cache.CacheContext(
        torch.device("cpu"),
        torch.Generator().manual_seed(0),
        1.0,
        0.0,
        1e9,  # no time limit: the memory cap alone decides the views
        lambda: time.monotonic() - began,
        lambda step: None,
        lambda done, total, message: None,
    )

    def view(index: torch.Tensor, round_: int) -> tuple[torch.Tensor, list]:
        return images[index].float(), [None] * len(index)

    def extract(x: torch.Tensor) -> dict[int, torch.Tensor]:
        n = len(x)
        return {
            8: torch.zeros(n, 40, 40, 40),
            16: torch.zeros(n, 112, 20, 20),
            32: torch.zeros(n, 320, 10, 10),
        }

    cache = feature_cache.build(count, views, 0.4, context, view, extract)
    rows = cache.rows(torch.arange(min(8, count)), context.gen)
    cache.batch(rows, context.device)  # a training step's read
    anonymous = max(anonymous, anonymous_mib())
    return {
        "pictures": count,
        "views": cache.views,
        "peak_mib": peak_mib(),
        "anonymous_mib": anonymous,
        "features_in": where(next(iter(cache.features.values()))),
        "pictures_in": where(images),
        "load_s": round(loaded, 1),
        "total_s": round(time.monotonic() - began, 1),
    }


def where(tensor) -> str:
    try:
        from trainer import spill
    except ImportError:  # before trainer/spill.py: always in memory
        return "memory"
    return "file" if spill.in_file(tensor) else "memory"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--views", type=int, default=24)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.views)))
        return
    rows = each_in_a_fresh_process(__file__, args.counts, ["--views", str(args.views)])
    base = rows[0]
    print(
        "| pictures | cached views | peak RSS | x smallest | anonymous after | features in | pictures in "
        "| load | total |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = row["peak_mib"] / base["peak_mib"]
        print(
            f"| {row['pictures']:,} | {row['views']} | {row['peak_mib']:,} MiB | {ratio:.1f}x | "
            f"{row['anonymous_mib']:,} MiB | "
            f"{row['features_in']} | {row['pictures_in']} | {row['load_s']} s | {row['total_s']} s |"
        )


if __name__ == "__main__":
    main()
