"""COCO validation speed and memory: Visionport's pre-flight against the samples package's checker.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/validate.py [--images 1000000] [--kind detection|classification]

Generates a valid COCO file of N images (one annotation each, for detection a box each) and parses
it once (timed apart: both need it). Each checker then runs on the parsed document in its own
forked child, so neither inherits the other's garbage: the child times it and reads the peak
resident memory it added above the parsed document (Linux: VmHWM reset through
/proc/self/clear_refs, else ru_maxrss). Prints the times, the memory and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from customization.validation import CLASSIFICATION, DETECTION, validate_coco  # noqa: E402


def make(n: int, detection: bool) -> str:
    parts = [
        '{"categories":[',
        ",".join(f'{{"id":{c},"name":"class{c}"}}' for c in range(1, 11)),
        '],"images":[',
    ]
    parts.append(
        ",".join(
            f'{{"id":{i},"width":640,"height":480,"file_name":"p/images/{i}.jpg","coco_url":"https://a.blob.core.windows.net/c/p/images/{i}.jpg"}}'
            for i in range(1, n + 1)
        )
    )
    parts.append('],"annotations":[')
    box = ',"bbox":[0.1,0.2,0.3,0.4]' if detection else ""
    parts.append(
        ",".join(f'{{"id":{i},"image_id":{i},"category_id":{1 + i % 10}{box}}}' for i in range(1, n + 1))
    )
    parts.append("]}")
    return "".join(parts)


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+), so the peak measured is this run's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(run: Callable[[], str]) -> dict:
    """Run ``run`` in a forked child: its seconds, peak MiB above the start, process peak MiB, summary."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, exit without cleanup
        os.close(read)
        code = 0
        try:
            exact = _reset_peak()
            base = _status_kib("VmRSS")
            t0 = time.perf_counter()
            summary = run()
            seconds = time.perf_counter() - t0
            peak = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            out = {
                "seconds": seconds,
                "added_mib": (peak - base) / 1024,
                "peak_mib": peak / 1024,
                "exact": exact,
                "summary": summary,
            }
        except BaseException as exc:  # reported by the parent
            out, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
        os.write(write, json.dumps(out).encode())
        os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks) or b'{"error": "the child died without a result"}')
    if "error" in result:
        raise SystemExit(f"checker failed: {result['error']}")
    return result


def _line(name: str, n: int, r: dict) -> str:
    return (
        f"{name}: {r['seconds']:6.2f} s  ({n / r['seconds']:,.0f} images/s), "
        f"peak +{r['added_mib']:,.0f} MiB above the parsed file (child RSS peak {r['peak_mib']:,.0f} MiB)"
        f"{'' if r['exact'] else ' [ru_maxrss: an upper bound]'}{r['summary']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=["detection", "classification"], default="classification")
    args = parser.parse_args()
    detection = args.kind == "detection"
    t0 = time.perf_counter()
    text = make(args.images, detection)
    made = time.perf_counter() - t0
    size = len(text)
    t0 = time.perf_counter()
    coco = json.loads(text)
    parse = time.perf_counter() - t0
    del text
    print(
        f"{args.images:,} images, {size / 1e6:.0f} MB, {args.kind}; generated in {made:.2f} s, "
        f"json.loads {parse:.2f} s; parsed file resident: {_status_kib('VmRSS') / 1024:,.0f} MiB",
        flush=True,
    )

    def ours() -> str:
        report = validate_coco(coco, kind=DETECTION if detection else CLASSIFICATION)
        return f", ok={report.ok}, {len(report.groups)} problem groups"

    mine = measure(ours)
    print(_line("visionport validate_coco", args.images, mine), flush=True)
    try:
        from cognitive_service_vision_model_customization_python_samples import AnnotationKind, Purpose
        from cognitive_service_vision_model_customization_python_samples.data.check_coco_annotations import (
            check_coco_annotation_file,
        )
    except ImportError:
        print("reference checker not installed: pip install -r bench/requirements.txt")
        return
    kind = AnnotationKind.OBJECT_DETECTION if detection else AnnotationKind.MULTICLASS_CLASSIFICATION

    def theirs() -> str:
        with (
            open(os.devnull, "w") as sink,
            redirect_stdout(sink),
            redirect_stderr(sink),
        ):  # its tqdm bars, its print
            check_coco_annotation_file(coco, kind, Purpose.TRAINING)
        return ""

    reference = measure(theirs)
    print(_line("samples check_coco_annotation_file", args.images, reference))
    print(
        f"ratio (reference time / ours): {reference['seconds'] / mine['seconds']:.2f}x; "
        f"memory added: ours {mine['added_mib']:,.0f} MiB, reference {reference['added_mib']:,.0f} MiB; "
        "ours also checks what it does not (see customization/validation.py)"
    )
    print(
        f"bench process peak (generate + parse): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
