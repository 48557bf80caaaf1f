"""COCO validation from bytes to verdict: Visionport's parse and pre-flight against the samples checker.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/validate.py [--images 1000,100000,1000000] [--kind detection|classification|both]
        [--repeat 3]

Generates a valid COCO file of N images (one annotation each, for detection a box each) as bytes, as
storage hands them over. Each measured step then runs on those bytes in its own forked child, so none
inherits another's garbage: json.loads alone (the standard library's parse), coco_loads alone
(Visionport's), Visionport's bytes -> report (coco_loads, then validate_coco: what the registration job
does) and the samples checker's bytes -> verdict (decode the text and json.loads it as its own main()
does, then check_coco_annotation_file; a ValueError it raises is its verdict). The child times the step
and reads the peak resident memory it added above the bytes (Linux: VmHWM reset through
/proc/self/clear_refs, else ru_maxrss). Each step runs --repeat times; the figures are the medians.
Prints a line per step, the ratio, and a table of all sizes at the end (docs/validation.md has one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from customization.coco_json import coco_loads  # noqa: E402
from customization.validation import CLASSIFICATION, DETECTION  # noqa: E402
from customization.validation_fast import validate_coco_bytes  # noqa: E402


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
            t0, c0 = time.perf_counter(), time.process_time()
            summary = run()
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            peak = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            out = {
                "seconds": seconds,
                "cpu": cpu,
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


def measure_median(run: Callable[[], str], repeat: int) -> dict:
    """``measure`` ``repeat`` times: the median seconds and peak, the first run's summary."""
    runs = [measure(run) for _ in range(repeat)]
    median = dict(runs[0])
    for key in ("seconds", "cpu", "added_mib", "peak_mib"):
        median[key] = statistics.median(r[key] for r in runs)
    return median


def _line(name: str, n: int, r: dict) -> str:
    return (
        f"{name}: {r['seconds']:6.2f} s, {r['cpu']:.2f} s CPU  ({n / r['seconds']:,.0f} images/s), "
        f"peak +{r['added_mib']:,.0f} MiB above the bytes (child RSS peak {r['peak_mib']:,.0f} MiB)"
        f"{'' if r['exact'] else ' [ru_maxrss: an upper bound]'}{r['summary']}"
    )


def _checker() -> Callable[[bytes, bool], str] | None:
    """The samples package's bytes -> verdict, or None where it is not installed."""
    try:
        from cognitive_service_vision_model_customization_python_samples import AnnotationKind, Purpose
        from cognitive_service_vision_model_customization_python_samples.data.check_coco_annotations import (
            check_coco_annotation_file,
        )
    except ImportError:
        return None

    def verdict(raw: bytes, detection: bool) -> str:
        kind = AnnotationKind.OBJECT_DETECTION if detection else AnnotationKind.MULTICLASS_CLASSIFICATION
        coco = json.loads(raw.decode("utf-8"))  # its main(): read_text(encoding="utf-8"), json.loads
        with (
            open(os.devnull, "w") as sink,
            redirect_stdout(sink),
            redirect_stderr(sink),
        ):  # its tqdm bars, its print
            try:
                check_coco_annotation_file(coco, kind, Purpose.TRAINING)
            except ValueError as exc:  # how it says no
                return f", refused: {exc}"
        return ", looks good"

    return verdict


def bench(n: int, detection: bool, repeat: int, checker: Callable[[bytes, bool], str] | None) -> dict:
    """Every step on a generated file of ``n`` images; the figures for the table."""
    kind = "detection" if detection else "classification"
    t0 = time.perf_counter()
    raw = make(n, detection).encode()
    made = time.perf_counter() - t0
    print(
        f"{n:,} images, {len(raw) / 1e6:.1f} MB, {kind}; generated in {made:.2f} s; "
        f"bench resident with the bytes: {_status_kib('VmRSS') / 1024:,.0f} MiB; medians of {repeat}",
        flush=True,
    )
    stdlib = measure_median(lambda: f", {type(json.loads(raw)).__name__}", repeat)
    print(_line("json.loads alone (stdlib)", n, stdlib), flush=True)
    fast = measure_median(lambda: f", {type(coco_loads(raw)).__name__}", repeat)
    print(_line("coco_loads alone (msgspec)", n, fast), flush=True)

    def ours() -> str:
        report = validate_coco_bytes(raw, kind=DETECTION if detection else CLASSIFICATION).report
        return f", ok={report.ok}, {len(report.groups)} problem groups"

    mine = measure_median(ours, repeat)
    print(_line("visionport bytes -> report", n, mine), flush=True)
    row = {"n": n, "kind": kind, "ours": mine, "stdlib": stdlib, "fast": fast, "theirs": None}
    if checker is None:
        print("reference checker not installed: pip install -r bench/requirements.txt")
        return row
    theirs = measure_median(lambda: checker(raw, detection), repeat)
    print(_line("samples bytes -> verdict", n, theirs))
    print(
        f"ratio (reference time / ours): {theirs['seconds'] / mine['seconds']:.2f}x, "
        f"CPU {theirs['cpu'] / mine['cpu']:.2f}x; "
        f"memory added: ours {mine['added_mib']:,.0f} MiB, json.loads alone {stdlib['added_mib']:,.0f} MiB, "
        f"reference {theirs['added_mib']:,.0f} MiB; ours also checks what it does not "
        "(see customization/validation.py)",
        flush=True,
    )
    row["theirs"] = theirs
    return row


def _table(rows: list[dict]) -> None:
    print(
        "\n| N | kind | json.loads alone | ours bytes -> report | samples bytes -> verdict | ratio "
        "| peak above the bytes: ours / json.loads alone |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")

    def both(r: dict) -> str:
        return f"{r['seconds']:.3f} s ({r['cpu']:.3f} s CPU)"

    for row in rows:
        ours, stdlib, theirs = row["ours"], row["stdlib"], row["theirs"]
        reference = both(theirs) if theirs else "n/a"
        ratio = (
            f"{theirs['seconds'] / ours['seconds']:.1f}x ({theirs['cpu'] / ours['cpu']:.1f}x)"
            if theirs
            else "n/a"
        )
        print(
            f"| {row['n']:,} | {row['kind']} | {both(stdlib)} | {both(ours)} | {reference} | {ratio} "
            f"| {ours['added_mib']:,.0f} / {stdlib['added_mib']:,.0f} MiB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", default="1000,100000,1000000", help="sizes, comma-separated")
    parser.add_argument("--kind", choices=["detection", "classification", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    kinds = [False, True] if args.kind == "both" else [args.kind == "detection"]
    checker = _checker()
    rows = [
        bench(int(n.replace("_", "")), detection, args.repeat, checker)
        for detection in kinds
        for n in args.images.split(",")
    ]
    _table(rows)
    print(f"bench process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
