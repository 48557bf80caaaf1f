"""Typed helpers that read settings from the environment (healthchecks' envbool/envint pattern).

Every helper also honours ``NAME_FILE``: the value is read from that file, which is how
Docker/Kubernetes secrets are usually mounted.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def env(name: str, default: str = "") -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def url_of_bind(bind: str) -> str:
    """The address ``make run``'s gunicorn listens on (``VISIONPORT_BIND``, ``host:port``) as a URL
    this machine's workers and browsers can use: a wildcard host becomes 127.0.0.1. A bind that is
    not ``host:port`` (a Unix socket) gives the default, http://127.0.0.1:8000."""
    host, _, port = bind.strip().rpartition(":")
    if not port.isdigit() or host.startswith("unix"):
        return "http://127.0.0.1:8000"
    if host in {"", "0.0.0.0", "::", "[::]"}:  # noqa: S104 (a wildcard bind, read, not made)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def generated_secret(path: Path, make: Callable[[], str] | None = None) -> str:
    """Read a secret from ``path``, creating it (mode 0600) on first use.

    This is the embedded default for SECRET_KEY and the Fernet key: a fresh machine works
    with no configuration, and the secret survives restarts.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make() if make else secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web or worker) created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
