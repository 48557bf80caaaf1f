"""Export throughput: Visionport against the reference ``export_data`` on the same sandbox project.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/export.py [--images 1000,10000] [--latency-ms 20] [--skip-reference]

Starts Azurite and a Visionport server (gunicorn) whose sandbox keeps its images in that Azurite,
seeds an N-image project, then exports it with each exporter into its own container of the same
Azurite, each in a fresh process. Prints images/s, the ratio, and peak memory (max RSS, children
included for the reference's process pool). First it measures the storage's own ceiling: bare
Copy Blob calls of the same images, 16 at a time (Azurite is one Node.js process, so on a small
machine it, not the exporter, sets the pace); each exporter is also shown as a share of that.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def seed(env: dict, n: int, latency_ms: int) -> str:
    manage(env, "sandbox_faults", "--off")
    out = manage(
        env,
        "seed_sandbox",
        "--images",
        str(n),
        "--name",
        f"bench-{n}-{uuid.uuid4().hex[:6]}",
        "--classifier",
        "--json",
    )
    manage(env, "sandbox_faults", "--latency-ms", str(latency_ms))
    return json.loads(out.strip().splitlines()[-1])["project_id"]


def export_once(env: dict, which: str, project_id: str, account_url: str) -> dict:
    """One run of one exporter in a fresh process, into a fresh container; its figures per image."""
    from azure.storage.blob import BlobServiceClient

    container = f"{which}-{uuid.uuid4().hex[:8]}"
    BlobServiceClient(account_url, credential=KEY).create_container(container)
    command = [PY, "bench/_export_runner.py", which, project_id, container, account_url, KEY]
    if os.environ.get("BENCH_PYSPY") and which == "visionport":  # sampling profile, all threads
        command = [
            shutil.which("py-spy") or str(Path(PY).parent / "py-spy"),
            "record",
            "-r",
            "200",
            "-f",
            "raw",
        ]
        command += ["--gil"] if os.environ.get("BENCH_PYSPY_GIL") else []  # only the thread holding the GIL
        command += ["-o", os.environ["BENCH_PYSPY"], "--", PY, "bench/_export_runner.py"]
        command += [which, project_id, container, account_url, KEY]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=7200)
    if os.environ.get("BENCH_PROFILE"):
        print(run.stderr[-6000:])
    elif os.environ.get("BENCH_SECTIONS") and which == "visionport":
        print("CPU s by section:", [line for line in run.stderr.splitlines() if line.startswith("{")][-1:])
    if run.returncode:
        print(run.stderr[-3000:])
        raise SystemExit(f"{which} failed")
    result = json.loads([line for line in run.stdout.splitlines() if line.startswith("{")][-1])
    images = result["images"]
    storage = result["requests"].get("storage", {})
    return {
        "seconds": result["seconds"],
        "rate": images / result["seconds"],
        "cpu_per_1k": 1000 * result["cpu_seconds"] / images,
        "storage_per_image": sum(storage.values()) / images,
        "cv_per_image": sum(result["requests"].get("custom_vision", {}).values()) / images,
        "peak_rss_mb": result["peak_rss_mb"],
        "azurite_cpu_per_1k": 1000 * result["server_cpu_seconds"]["azurite"] / images,
        "web_cpu_per_1k": 1000 * result["server_cpu_seconds"]["web"] / images,
        "storage_by_method": storage,
        "method": result["method"],
    }


def of_ceiling(runs: dict[str, list[dict]], which: str) -> float:
    """Median over the repeats of each run's rate over the ceiling measured just before it."""
    return median(r["rate"] / c["rate"] for r, c in zip(runs[which], runs["ceiling"], strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", default="1000,10000")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per exporter; medians are printed")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="visionport-bench-")
    blob_port, web_port = free_port(), free_port()
    account_url = f"http://127.0.0.1:{blob_port}/devstoreaccount1"
    env = {
        **os.environ,
        "VISIONPORT_VAR_DIR": var,
        "VISIONPORT_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
        "SANDBOX_BLOB_ACCOUNT_URL": account_url,
        "SANDBOX_BLOB_ACCOUNT_KEY": KEY,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    procs = [
        subprocess.Popen(
            [
                str(ROOT / "node_modules/.bin/azurite-blob"),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(blob_port),
                "--inMemoryPersistence",
                "--loose",
                "--skipApiVersionCheck",
                "--disableTelemetry",
                "--silent",
            ],
            start_new_session=True,
        )
    ]
    try:
        wait_http(f"http://127.0.0.1:{blob_port}/")
        manage(env, "migrate", "--noinput")
        procs.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/gunicorn"),
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    "2",
                    "--threads",
                    "16",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        )
        wait_http(f"http://127.0.0.1:{web_port}/healthz")
        print(f"latency {args.latency_ms} ms on every Custom Vision call; Azurite at {account_url}")
        print(
            "CPU: getrusage user+system of the exporter process and its reaped children, over the export "
            "call only; requests: counted on the wire in the exporter process (http.client), by destination; servers' CPU from /proc"
        )
        env["BENCH_SERVERS"] = f"azurite:{procs[0].pid},web:{procs[1].pid}"
        header = (
            f"{'images':>7} {'exporter':>10} {'seconds':>8} {'images/s':>9} {'CPU s/1k':>8} "
            f"{'stor/img':>8} {'CV/img':>7} {'peak MB':>8} {'Azurite CPU s/1k':>16} {'web CPU s/1k':>12}  "
            "storage requests by method"
        )
        for n in [int(x) for x in args.images.split(",")]:
            project_id = seed(env, n, args.latency_ms)
            runs: dict[str, list[dict]] = {}
            whos = ["ceiling", "visionport"] + ([] if args.skip_reference else ["reference"])
            for _ in range(args.repeat):  # interleaved, so that drift hits every exporter alike
                for which in whos:
                    runs.setdefault(which, []).append(export_once(env, which, project_id, account_url))
            print(header)
            rates = {}
            for which, results in runs.items():
                row = {
                    key: median([r[key] for r in results])
                    for key in results[0]
                    if key not in ("storage_by_method", "method")
                }
                rates[which] = row["rate"]
                print(
                    f"{n:>7} {which:>10} {row['seconds']:>8.1f} {row['rate']:>9.1f} {row['cpu_per_1k']:>8.2f} "
                    f"{row['storage_per_image']:>8.3f} {row['cv_per_image']:>7.4f} {row['peak_rss_mb']:>8.1f} "
                    f"{row['azurite_cpu_per_1k']:>16.2f} {row['web_cpu_per_1k']:>12.2f}  {results[-1]['storage_by_method']}"
                    + (f"  (median of {len(results)})" if len(results) > 1 else "")
                    + f"; {results[-1]['method']}"
                )
            if "reference" in rates:
                print(f"{n:>7} {'ratio':>10} {'':>8} {rates['visionport'] / rates['reference']:>8.1f}x")
            # Each run against the ceiling measured just before it (the machine's load drifts), median.
            print(
                f"{n:>7} {'of ceiling':>10} {'':>8} "
                + "  ".join(
                    f"{which} {100 * of_ceiling(runs, which):.0f}%" for which in runs if which != "ceiling"
                )
            )
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
