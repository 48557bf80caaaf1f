"""Memory and time of the sandbox's picture download for a training run, at 10, 100 and 1,000 photos.

    .venv/bin/python bench/training_pictures.py [--counts 10 100 1000] [--side 1600]

Each size runs in a fresh process: a local HTTP server (a thread) serves ``count`` JPEG photos,
``--side`` x 3/4 of it (skimage's astronaut, chelsea and coffee, real photographs, scaled up to a
phone camera's order of size, quality 90); ``sandbox.vision.fetch.fetch_images`` downloads and
decodes them as a training run does (through ``outbound.reader``), then every picture is read
back once as the trainer reads it (``trainer.imaging.to_uint8`` at 320 px). Prints the peak
resident memory (``ru_maxrss``, file pages included), the anonymous resident memory after the
download (what cannot be dropped without swap), the seconds of each part, and the ratio of the
peak to the smallest size's.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _memory import anonymous_mib, each_in_a_fresh_process, peak_mib

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def photos(folder: Path, count: int, side: int) -> None:
    from PIL import Image
    from skimage import data

    sources = [data.astronaut(), data.chelsea(), data.coffee()]
    encoded = []
    for array in sources:
        picture = Image.fromarray(array).resize((side, side * 3 // 4), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=90)
        encoded.append(buffer.getvalue())
    for index in range(count):
        (folder / f"{index}.jpg").write_bytes(encoded[index % len(encoded)])


def one(count: int, side: int) -> dict:
    import django

    django.setup()
    from sandbox.vision.fetch import Access, fetch_images
    from trainer.imaging import to_uint8

    with tempfile.TemporaryDirectory() as folder:
        photos(Path(folder), count, side)
        jpeg_mib = sum(f.stat().st_size for f in Path(folder).iterdir()) / 2**20
        handler = functools.partial(QuietHandler, directory=folder)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}/"
        began = time.monotonic()
        pictures = fetch_images([f"{base}{i}.jpg" for i in range(count)], Access())
        fetched = time.monotonic() - began
        anonymous = anonymous_mib()
        server.shutdown()
    began = time.monotonic()
    to_uint8(lambda i: pictures[i]() if callable(pictures[i]) else pictures[i], count, 320)
    read = time.monotonic() - began
    return {
        "photos": count,
        "jpeg_mib": round(jpeg_mib),
        "fetch_s": round(fetched, 1),
        "read_s": round(read, 1),
        "anonymous_mib": anonymous,
        "peak_mib": peak_mib(),
    }


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--side", type=int, default=1600)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.side)))
        return
    rows = each_in_a_fresh_process(__file__, args.counts, ["--side", str(args.side)])
    print(
        "| photos | JPEG files | download + decode | read at 320 px | anonymous after | peak RSS | x smallest |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['photos']:,} | {row['jpeg_mib']:,} MiB | {row['fetch_s']} s | {row['read_s']} s | "
            f"{row['anonymous_mib']:,} MiB | {row['peak_mib']:,} MiB | {row['peak_mib'] / rows[0]['peak_mib']:.1f}x |"
        )


if __name__ == "__main__":
    main()
