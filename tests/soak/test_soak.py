"""Soak: `make run` on a fresh data folder, on a busy machine, takes 500 jobs trickled in from six
processes and loses none; a SIGKILLed worker is restarted and the product keeps answering.

Once per broker: the embedded one (`make run` with no configuration), Redis and RabbitMQ at
127.0.0.1. On the embedded run, a prediction also runs while two trainings and an export do.
Figures go to test-artifacts/soak-<broker>.txt. A broker that does not answer is skipped, unless
VISIONPORT_REQUIRE_BROKERS=1 (.ci/run sets it), when it fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import ARTIFACTS, ROOT, _free_port

pytestmark = pytest.mark.soak

JOBS = 500
PRODUCERS = 6
TRICKLE_SECONDS = 45
BROKERS = {
    "embedded": "",
    "redis": "redis://127.0.0.1:6379/13",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")


def _reachable(url: str) -> bool:
    if not url:
        return True
    host_port = re.search(r"@?([\d.]+):(\d+)", url)
    try:
        socket.create_connection((host_port[1], int(host_port[2])), timeout=2).close()
        return True
    except OSError:
        return False


class EmbeddedRun:
    """`make run` in its own session and data folder, watched through its log and its SQLite file."""

    def __init__(self, name: str, broker_url: str, folder: Path) -> None:
        self.name = name
        self.folder = folder
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = ARTIFACTS / f"soak-{name}-run.log"
        queue = f"soak-{uuid.uuid4().hex[:8]}"  # a shared Redis or RabbitMQ may hold old messages
        self.env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ} | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VISIONPORT_VAR_DIR": str(folder),
            "VISIONPORT_BIND": f"127.0.0.1:{self.port}",
            "VISIONPORT_PUBLIC_URL": self.base,
            "JOB_EXTRA_KINDS": "test_count=tests.jobkinds.count",
            "CELERY_QUEUE": queue,
            "SANDBOX_TRAINING_QUEUE": f"{queue}.training",
            "SANDBOX_TRAINER_CONFIG": '{"min_steps": 1, "threads": 1, "batch_size": 8}',
            "JOB_SWEEP_SECONDS": "5",
            "JOB_RESEND_AFTER_SECONDS": "20",
            "PYTHONUNBUFFERED": "1",
        }
        if broker_url:
            self.env["CELERY_BROKER_URL"] = broker_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make run exited; see {self.log_path}"
            if self.answers() and {"worker", "interactive", "trainer"} <= self.workers_alive():
                return
            time.sleep(1)
        raise AssertionError(f"make run did not come up in 240 s; see {self.log_path}")

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.base}/accounts/login/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def sql(self, query: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.folder / "visionport.sqlite3", timeout=30) as db:
            return db.execute(query, args).fetchall()

    def workers_alive(self) -> set[str]:
        try:
            rows = self.sql(
                "SELECT hostname FROM jobs_workerseen WHERE seen_at > datetime('now', '-30 seconds')"
            )
        except sqlite3.OperationalError:  # not migrated yet
            return set()
        return {hostname.split("@")[0] for (hostname,) in rows}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self) -> dict[str, int]:
        """The latest pid of each supervised process, from the supervisor's "started" lines."""
        return {name: int(pid) for name, pid in re.findall(r"\| started (\w+) \(pid (\d+)\)", self.log())}

    def python(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def producers(self, count: int, seconds: float) -> list[subprocess.Popen]:
        share = [count // PRODUCERS + (1 if i < count % PRODUCERS else 0) for i in range(PRODUCERS)]
        return [
            subprocess.Popen(
                [sys.executable, "-m", "tests.soak.driver", "produce", str(n), str(seconds)],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in share
        ]

    def statuses(self, ids: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            marks = ",".join("?" * len(chunk))
            for status, n in self.sql(
                f"SELECT status, count(*) FROM jobs_job WHERE id IN ({marks}) GROUP BY status",  # noqa: S608
                *chunk,
            ):
                counts[status] = counts.get(status, 0) + n
        return counts

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                raise AssertionError("make run did not stop on Ctrl-C within 40 s") from None


def _left_behind(folder: Path) -> list[int]:
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"VISIONPORT_VAR_DIR={folder}".encode() in (entry / "environ").read_bytes():
                    left.append(int(entry.name))
            except OSError:
                continue
    return left


def _burn_cpu() -> list[subprocess.Popen]:
    """Load every core as a training does."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]


def _uuid_hex(job_id: str) -> str:
    return uuid.UUID(job_id).hex  # SQLite keeps UUIDs as 32 hex digits


@pytest.mark.parametrize("broker", list(BROKERS))
def test_soak(broker: str, tmp_path: Path) -> None:
    url = BROKERS[broker]
    if not _reachable(url):
        if os.environ.get("VISIONPORT_REQUIRE_BROKERS"):
            pytest.fail(f"{broker} at {url} does not answer")
        pytest.skip(f"{broker} at {url} does not answer")
    run = EmbeddedRun(broker, url, tmp_path / "var")
    figures: dict[str, object] = {"broker": broker, "jobs": JOBS, "producers": PRODUCERS}
    burners: list[subprocess.Popen] = []
    try:
        run.start()
        burners = _burn_cpu()
        started = time.monotonic()
        producers = run.producers(JOBS, TRICKLE_SECONDS)
        ids: list[str] = []
        for producer in producers:
            out, err = producer.communicate(timeout=600)
            assert producer.returncode == 0, err
            ids += [_uuid_hex(line) for line in out.split()]
        assert len(ids) == JOBS
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            counts = run.statuses(ids)
            if sum(counts.get(s, 0) for s in ("succeeded", "failed", "cancelled")) == JOBS:
                break
            time.sleep(1)
        figures["soak_seconds"] = round(time.monotonic() - started, 1)
        figures["statuses"] = counts
        failures = run.sql(
            "SELECT kind, error_code, error_message FROM jobs_job WHERE status != 'succeeded' LIMIT 5"
        )
        assert counts == {"succeeded": JOBS}, failures
        assert "exited (" not in run.log(), "a process exited during the soak"
        pids = run.pids()
        for pid in pids.values():
            os.kill(pid, 0)  # raises if it is gone
        figures["processes"] = sorted(pids)

        if broker == "embedded":
            result = run.python("-m", "tests.soak.driver", "mission")
            assert result.returncode == 0, result.stdout + result.stderr
            mission = json.loads(result.stdout.strip().splitlines()[-1])
            figures["prediction_while_training"] = mission
            assert set(mission["busy_before"].values()) == {"running"}, mission
            assert max(mission["prediction_s"]) < 3, mission
            gallery = mission["gallery"]
            assert gallery["thumbnails"] == 24 and gallery["thumbnail_statuses"] == [200], gallery
            assert gallery["healthz_p95_s"] < 0.2 and gallery["healthz_max_s"] < 1, gallery

        # SIGKILL the main worker: the supervisor restarts it, the web keeps answering, new jobs run.
        killed_at = time.monotonic()
        os.kill(pids["worker"], signal.SIGKILL)
        assert run.answers()
        result = run.python("-m", "tests.soak.driver", "produce", "4", "0")
        assert result.returncode == 0, result.stderr
        after = [_uuid_hex(line) for line in result.stdout.split()]
        while time.monotonic() - killed_at < 60:
            if run.statuses(after) == {"succeeded": len(after)}:
                break
            time.sleep(0.5)
        figures["recovered_seconds"] = round(time.monotonic() - killed_at, 1)
        assert run.statuses(after) == {"succeeded": len(after)}, run.sql(
            "SELECT kind, status, error_message FROM jobs_job ORDER BY created_at DESC LIMIT 4"
        )
        assert re.search(r"worker exited \(killed by SIGKILL\)", run.log())
        assert run.pids()["worker"] != pids["worker"]
        assert run.answers()
        figures["restarts"] = len(re.findall(r"\| \w+ exited \(", run.log()))
    finally:
        for burner in burners:
            burner.kill()
        run.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"soak-{broker}.txt").write_text(json.dumps(figures, indent=2) + "\n")
    assert "all processes stopped" in run.log()
    assert not _left_behind(run.folder), "processes left behind after Ctrl-C"
