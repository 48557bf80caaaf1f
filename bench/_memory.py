"""What the memory benches share: one fresh process per size, and the memory figures they read."""

from __future__ import annotations

import json
import resource
import subprocess
import sys


def each_in_a_fresh_process(script: str, sizes: list, extra: list[str]) -> list[dict]:
    """Run ``script --one SIZE *extra`` for every size; the JSON each prints last, in order
    (also echoed to stderr as it comes)."""
    rows = []
    for size in sizes:
        command = [sys.executable, script, "--one", str(size), *extra]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def anonymous_mib() -> int:
    """Resident memory that is not a file's pages (what the system cannot drop without swap)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return round(int(line.split()[1]) / 1024)
    return 0


def peak_mib() -> int:
    """This process's peak resident memory (file pages included)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
