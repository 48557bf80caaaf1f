"""Run the Procfile's processes, restart any that exits, and stop them all on Ctrl-C.

``make run`` uses this instead of honcho, which stops every process when one of them exits (one
crashed worker took web, beat and the trainer down with it). Each line of the Procfile runs under
``/bin/sh -c 'exec …'`` in a session of its own; its output is prefixed with its name, as honcho
did. When a process exits, the supervisor says why (exit status or signal) and starts it again:
after 1 s, doubling up to 30 s while it keeps dying within 10 s of its start. SIGINT or SIGTERM
stops everything: SIGTERM to each process group, SIGKILL to what is left after 10 s.

    python -m config.supervisor [Procfile]
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

STOP_GRACE_SECONDS = 10.0
QUICK_DEATH_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 30.0
_out_lock = threading.Lock()


def say(name: str, line: str, width: int = 11) -> None:
    stamp = time.strftime("%H:%M:%S")
    with _out_lock:
        sys.stdout.write(f"{stamp} {name:<{width}} | {line.rstrip()}\n")
        sys.stdout.flush()


def procfile_read(path: Path) -> dict[str, str]:
    """``name: command`` lines; blank lines and ``#`` comments are skipped."""
    processes: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        processes[name.strip()] = command.strip()
    return processes


def wanted(name: str) -> bool:
    """The embedded broker runs only when no CELERY_BROKER_URL points elsewhere."""
    return not (name == "broker" and os.environ.get("CELERY_BROKER_URL"))


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


@dataclass
class Child:
    name: str
    command: str
    process: subprocess.Popen | None = None
    started: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    restart_at: float | None = None
    readers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {self.command}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            text=True,
            errors="replace",
            bufsize=1,
        )
        self.started = time.monotonic()
        self.restart_at = None
        reader = threading.Thread(target=self._pump, args=(self.process,), daemon=True)
        reader.start()
        say("supervisor", f"started {self.name} (pid {self.process.pid})")

    def _pump(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            say(self.name, line)

    def signal_group(self, signum: int, *, even_if_exited: bool = False) -> None:
        if self.process and (even_if_exited or self.process.poll() is None):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)


class Supervisor:
    def __init__(self, processes: dict[str, str]) -> None:
        self.children = [Child(name, command) for name, command in processes.items() if wanted(name)]
        self.stopping = threading.Event()

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        for child in self.children:
            child.start()
        while not self.stopping.wait(0.2):
            self._tend()
        self._stop_all()
        return 0

    def _on_stop_signal(self, signum: int, _frame: object) -> None:
        if not self.stopping.is_set():
            say("supervisor", f"{signal.Signals(signum).name} received: stopping everything")
        self.stopping.set()

    def _tend(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                continue
            code = child.process.poll() if child.process else None
            if code is None:
                continue
            lived = now - child.started
            child.signal_group(signal.SIGKILL, even_if_exited=True)  # what it left behind (pool children)
            child.backoff = (
                min(MAX_BACKOFF_SECONDS, child.backoff * 2) if lived < QUICK_DEATH_SECONDS else 1.0
            )
            child.restart_at = now + child.backoff
            say(
                "supervisor",
                f"{child.name} exited ({describe_exit(code)}) after {lived:.0f} s; "
                f"restart {child.restarts + 1} in {child.backoff:.0f} s",
            )

    def _stop_all(self) -> None:
        """Everything but the broker first, then the broker, so that workers can still ack or
        requeue their messages while they shut down."""
        last = [c for c in self.children if c.name == "broker"]
        self._stop([c for c in self.children if c.name != "broker"])
        self._stop(last)
        say("supervisor", "all processes stopped")

    def _stop(self, children: list[Child]) -> None:
        # SIGTERM to the leader only: celery and gunicorn stop their own pool children in order
        # (a SIGTERM to the whole group kills a pool child mid-task and the parent reports it lost).
        for child in children:
            if child.process and child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say("supervisor", f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s: SIGKILL")
            child.signal_group(signal.SIGKILL, even_if_exited=True)  # and whatever it left behind
            child.process.wait()


def main(argv: list[str]) -> int:
    procfile = Path(argv[1] if len(argv) > 1 else "Procfile")
    return Supervisor(procfile_read(procfile)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
