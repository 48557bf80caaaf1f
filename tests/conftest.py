"""Shared fixtures: personas, a real Celery worker, Azurite, and the loopback guard."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from jobs.models import Job
from sandbox.keys import sandbox_key
from tests import jobkinds, loopback_guard
from tests.http_recorder import recorder  # noqa: F401 (a fixture for every test)
from workspaces.models import Connection, Membership, Workspace
from workspaces.services import connection_update

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct-horse-battery"

loopback_guard.install()
jobkinds.register()  # the test-only kinds; tests/run_worker.py registers them in the worker too


# --- Personas (healthchecks' alice/bob/charlie) -------------------------------------------------


class Personas:
    def __init__(self) -> None:
        self.alice = User.objects.create_user("alice", "alice@example.org", PASSWORD)
        self.bob = User.objects.create_user("bob", "bob@example.org", PASSWORD)
        self.charlie = User.objects.create_user("charlie", "charlie@example.org", PASSWORD)
        self.workspace = Workspace.objects.create(name="Alice's team")
        self.alice_membership = Membership.objects.create(
            workspace=self.workspace, user=self.alice, role=Membership.Role.ADMIN
        )
        self.bob_membership = Membership.objects.create(
            workspace=self.workspace, user=self.bob, role=Membership.Role.MEMBER
        )
        self.other_workspace = Workspace.objects.create(name="Charlie's team")
        Membership.objects.create(
            workspace=self.other_workspace, user=self.charlie, role=Membership.Role.ADMIN
        )


@pytest.fixture
def personas(db) -> Personas:
    return Personas()


@pytest.fixture
def tx_personas(transactional_db) -> Personas:
    """Personas committed to the database, visible to the worker and the live server."""
    return Personas()


def login(client, user: User):
    client.force_login(user)
    return client


# --- Sandbox connections ----------------------------------------------------------------------


def connect_to_sandbox(workspace: Workspace, base_url: str, *, storage_container: str = "exports") -> None:
    connection_update(
        workspace=workspace,
        kind=Connection.Kind.CUSTOM_VISION,
        actor=None,
        endpoint=f"{base_url}/sandbox",
        secret=sandbox_key("customvision"),
    )
    connection_update(
        workspace=workspace,
        kind=Connection.Kind.VISION,
        actor=None,
        endpoint=base_url,
        secret=sandbox_key("vision"),
    )
    connection_update(
        workspace=workspace,
        kind=Connection.Kind.STORAGE,
        actor=None,
        storage_auth=Connection.StorageAuth.LOCAL,
        container=storage_container,
    )


# --- The embedded broker (a real Redis on a Unix socket), when no CELERY_BROKER_URL is set ------


@pytest.fixture(scope="session", autouse=True)
def embedded_broker() -> Iterator[None]:
    """Start the session's own embedded Redis, as `make run` does, unless a broker URL is given."""
    if not settings.EMBEDDED_BROKER:
        yield
        return
    from config.embedded_broker import server_command, wait_ready

    ARTIFACTS.mkdir(exist_ok=True)
    socket_path = Path(settings.EMBEDDED_BROKER_SOCKET)
    log = (ARTIFACTS / "embedded-broker.log").open("a")
    process = subprocess.Popen(
        server_command(Path(settings.BROKER_DIR), socket_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_ready(socket_path)
    yield
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


# --- A real Celery worker ---------------------------------------------------------------------


class Worker:
    """A Celery worker subprocess on the test database and the session's queue."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        self.process: subprocess.Popen | None = None
        self.log_path = ARTIFACTS / "celery-worker.log"

    def start(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        with self.log_path.open("a") as fh:
            fh.write("\n--- worker start ---\n")
        env = {**os.environ, "TEST_WORKER_DB_NAME": self.db_name, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.run_worker",
                "--loglevel",
                "INFO",
                "--pool",
                "threads",
                "--concurrency",
                "4",
                "--queues",
                ",".join(sorted(set(settings.JOB_QUEUES.values()))),
                "--hostname",
                f"test-worker-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited; see {self.log_path}")
            if " ready." in self.log_path.read_text(errors="replace").split("--- worker start ---")[-1]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker not ready after {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole worker, as an OOM killer or a pulled plug would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, embedded_broker) -> Iterator[Worker]:
    worker = Worker(str(connection.settings_dict["NAME"]))
    worker.start()
    yield worker
    worker.stop()


def wait_for_job(job: Job, predicate: Callable[[Job], bool] | None = None, timeout: float = 30) -> Job:
    """Poll the Job row until it is terminal (or the predicate holds)."""
    predicate = predicate or (lambda j: j.status in Job.TERMINAL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if predicate(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"Job {job.pk} still {job.status} after {timeout} s: {job.progress_message}")


@pytest.fixture(autouse=True)
def _jobs_stopped_before_the_flush(request) -> Iterator[None]:
    """After a transactional test, cancel the jobs it left and wait for the session's worker to let
    go of them, before pytest-django truncates every table. A test that only starts a job (and
    asserts the redirect) otherwise leaves the worker writing rows during the TRUNCATE: on
    PostgreSQL that deadlocks, the flush fails and the next test's setup finds the old users (CI
    failed so twice). pytest-django's marker fixture is set up before this one, so it is torn down
    after it."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        marker is not None and marker.kwargs.get("transaction")
    ) or "transactional_db" in request.fixturenames  # live_server alone allows no database access
    if not transactional:
        return
    Job.objects.filter(status=Job.Status.QUEUED).update(status=Job.Status.CANCELLED)
    Job.objects.filter(status=Job.Status.RUNNING).update(cancel_requested=True)
    # Only a job whose worker still beats is waited for (a test's hand-made RUNNING row is not).
    deadline, beat = time.monotonic() + 30, 2 * settings.JOB_HEARTBEAT_SECONDS + 2
    while time.monotonic() < deadline:
        live = Job.objects.filter(
            status=Job.Status.RUNNING, heartbeat_at__gte=timezone.now() - timedelta(seconds=beat)
        )
        if not live.exists():
            break
        time.sleep(0.1)


# --- Azurite ----------------------------------------------------------------------------------

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """The account URL of an Azurite blob service (started here unless AZURITE_BLOB_URL is set)."""
    if os.environ.get("AZURITE_BLOB_URL"):
        yield os.environ["AZURITE_BLOB_URL"].rstrip("/")
        return
    binary = ROOT / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        pytest.fail("Azurite is not installed: run `npm install` (make test does it).")
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "azurite.log").open("w")
    process = subprocess.Popen(
        [
            str(binary),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--loose",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail("Azurite exited at start; see test-artifacts/azurite.log")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove this session's state directory (tests/settings.py made it), unless the caller chose one."""
    if os.environ.get("VISIONPORT_TEST_VAR_DIR_OWNED") and not hasattr(session.config, "workerinput"):
        import shutil

        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)
