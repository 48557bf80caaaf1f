"""Refuse every network connection that leaves this machine (zulip's block_internet, for sockets).

Installed in the test process and in the Celery worker the suite starts. Tests talk to the
sandbox, Azurite, PostgreSQL and Redis, all on loopback; anything else is a bug in the test.
"""

from __future__ import annotations

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class ExternalConnectionBlocked(ConnectionRefusedError):
    pass


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets (PostgreSQL's socket, Chromium's pipes)
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        ip = None
    if ip is None or not ip.is_loopback:
        raise ExternalConnectionBlocked(f"Test tried to connect outside loopback: {address!r}")


def _connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _original_connect(self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _original_connect_ex(self, address)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
