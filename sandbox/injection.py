"""Fault injection at request time: latency, a TPS limit (429), 500/503s, dropped responses.

sandbox.http applies them to every sandbox API request; sandbox.views.blobs, the image host,
applies the latency only. The settings they are given come from sandbox.services.faults. The TPS
limit is a token bucket per process (each gunicorn worker has its own), holding one second's worth
of requests; it starts full again when this process changes the settings, and in the others when
the limit they read changes.

A dropped response is cut off mid-body: the view has run (as when a real response is lost on
the way back), the headers promise the full Content-Length, half the body is sent and the
connection is shut down. ``requests`` raises ChunkedEncodingError, msrest a ClientRequestError.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.dispatch import receiver
from django.http import HttpResponse, StreamingHttpResponse

from sandbox.services.faults import FaultConfig, faults_changed

_random = random.Random()  # noqa: S311 (simulated faults, not security)
_random_lock = threading.Lock()


class TokenBucket:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rate = 0.0
        self.tokens = 0.0
        self.stamp = 0.0

    def take(self, rate: float) -> float:
        """0 when a request may pass now, else the seconds until one may."""
        with self.lock:
            now = time.monotonic()
            capacity = max(1.0, rate)
            if rate != self.rate:
                self.rate, self.tokens, self.stamp = rate, capacity, now
            self.tokens = min(capacity, self.tokens + (now - self.stamp) * rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / rate

    def reset(self) -> None:
        with self.lock:
            self.rate = 0.0


_bucket = TokenBucket()
stats: dict[str, int] = {"throttled": 0, "errors": 0, "dropped": 0}
_stats_lock = threading.Lock()


def throttle_reset() -> None:
    _bucket.reset()


@receiver(faults_changed)
def _settings_changed(**kwargs: object) -> None:
    """The token bucket starts full at a new limit (connected while this module is imported,
    which is whenever a bucket exists)."""
    throttle_reset()


def _count(kind: str) -> None:
    with _stats_lock:
        stats[kind] += 1


def _chance(rate: float) -> bool:
    if rate <= 0:
        return False
    with _random_lock:
        return _random.random() < rate


def throttled(config: FaultConfig) -> float | None:
    """Seconds to wait (Retry-After) when this request is over the TPS limit, else None."""
    if config.tps_limit <= 0:
        return None
    wait = _bucket.take(config.tps_limit)
    if wait <= 0:
        return None
    _count("throttled")
    return wait


def delay(config: FaultConfig) -> None:
    if config.latency_ms > 0:
        time.sleep(config.latency_ms / 1000)


def server_error(config: FaultConfig) -> int | None:
    """500 or 503 for the configured fraction of requests."""
    if not _chance(config.error_rate):
        return None
    _count("errors")
    with _random_lock:
        return _random.choice((500, 503))


def should_drop(config: FaultConfig) -> bool:
    if _chance(config.drop_rate):
        _count("dropped")
        return True
    return False


def _client_socket(environ: dict[str, Any]) -> socket.socket | None:
    """A duplicate of the client connection's socket, when the server lets us find it."""
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        return socket.socket(fileno=os.dup(sock.fileno()))
    # Django's runserver and the test live server: wsgi.input is a LimitedStream over the
    # buffered reader of the socket's file (django.core.servers.basehttp.ServerHandler).
    reader = getattr(getattr(environ.get("wsgi.input"), "_read", None), "__self__", None)
    try:
        return socket.socket(fileno=os.dup(reader.raw.fileno()))  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return None


def _cut_off(part: bytes, environ: dict[str, Any]) -> Iterator[bytes]:
    yield part  # even when empty: the first write sends the headers
    sock = _client_socket(environ)
    if sock is None:
        # Other servers: most close the connection on this error after the headers are out.
        raise ConnectionResetError(errno.ECONNRESET, "Sandbox fault injection: connection dropped")
    with sock, contextlib.suppress(OSError):  # OSError: the client is already gone
        sock.shutdown(socket.SHUT_RDWR)  # the client sees the end of the stream mid-body


def dropped(response: HttpResponse, environ: dict[str, Any]) -> StreamingHttpResponse:
    """The response with the same status and headers, cut off halfway through its body.

    The server then finds the connection closed when it reads the next request, and ends it.
    """
    body = b"" if response.streaming else response.content
    status = response.status_code
    if not body:
        status = 200  # an empty 204 cannot be cut short; promise a body that never comes
    cut = StreamingHttpResponse(_cut_off(body[: len(body) // 2], environ), status=status)
    for name, value in response.items():
        cut[name] = value
    cut["Content-Length"] = str(max(len(body), 1))
    return cut
