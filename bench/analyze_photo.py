"""The analyze call's own work on photos of growing size: decode, then the pretrained detector.

    .venv/bin/python bench/analyze_photo.py [--repeat 5]

Each size runs in a fresh process: skimage's astronaut (a real photograph) scaled to 400 x 300
(1x the pixels), 1,265 x 949 (10x) and 4,000 x 3,000 (100x, a 12-megapixel phone photo), saved
as JPEG quality 90; then ``sandbox.vision.services.prediction.image_open`` (what the analyze
endpoint decodes) and ``predict`` of an untrained pretrained detector (the same network and cost
as a trained one), ``--repeat`` times. Prints the median decode and predict milliseconds and the
peak resident memory, with the ratio to the smallest size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SIZES = ((400, 300), (1265, 949), (4000, 3000))


def one(width: int, height: int, repeat: int) -> dict:
    import django

    django.setup()
    import torch
    from PIL import Image
    from skimage import data

    from sandbox.vision.services.prediction import image_open
    from trainer import untrained_model

    torch.set_num_threads(2)
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((width, height), Image.Resampling.BICUBIC).save(
        buffer, "JPEG", quality=90
    )
    photo = buffer.getvalue()
    model = untrained_model("detector", ["a", "b"])
    model.predict(Image.new("RGB", (320, 320)))  # first call's warm-up
    decode, predict = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        opened = image_open(photo)
        picture = opened[0] if isinstance(opened, tuple) else opened
        decoded = time.perf_counter()
        model.predict(picture)
        decode.append((decoded - began) * 1000)
        predict.append((time.perf_counter() - decoded) * 1000)
    return {
        "size": f"{width} x {height}",
        "jpeg_kib": round(len(photo) / 1024),
        "decode_ms": round(statistics.median(decode), 1),
        "predict_ms": round(statistics.median(predict), 1),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.repeat)))
        return
    rows = []
    for width, height in SIZES:
        command = [sys.executable, __file__, "--one", str(width), str(height), "--repeat", str(args.repeat)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = rows[0]
    print("| photo | JPEG | decode | x smallest | predict | peak RSS |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['size']} | {row['jpeg_kib']:,} KiB | {row['decode_ms']} ms | "
            f"{row['decode_ms'] / base['decode_ms']:.1f}x | {row['predict_ms']} ms | {row['peak_mib']:,} MiB |"
        )


if __name__ == "__main__":
    main()
