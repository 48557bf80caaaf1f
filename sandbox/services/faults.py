"""Fault-injection settings: one database row, read through a per-process cache of about 1 s.

``faults_set(latency_ms=20, tps_limit=50, ...)`` changes only the fields given; ``faults_clear()``
turns everything off. A change reaches other processes within FAULTS_CACHE_SECONDS; in this process
it also sends ``faults_changed``. sandbox.injection applies the settings to requests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from django.dispatch import Signal
from django.utils import timezone

from sandbox import conf
from sandbox.models import SandboxFaults


@dataclass(frozen=True)
class FaultConfig:
    latency_ms: int = 0
    tps_limit: float = 0.0
    retry_after: bool = True
    error_rate: float = 0.0
    drop_rate: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.tps_limit or self.error_rate or self.drop_rate)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


OFF = FaultConfig()
faults_changed = Signal()  # sent by faults_set once saved, in this process (sandbox.injection listens)
_lock = threading.Lock()
_cached: tuple[float, FaultConfig] | None = None


def _from_row(row: SandboxFaults | None) -> FaultConfig:
    if row is None:
        return OFF
    return FaultConfig(row.latency_ms, row.tps_limit, row.retry_after, row.error_rate, row.drop_rate)


def faults_invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def faults_get(*, fresh: bool = False) -> FaultConfig:
    """The current settings, from this process's cache unless it is older than ~1 s."""
    global _cached
    now = time.monotonic()
    with _lock:
        cached = _cached
    if cached is not None and not fresh and now < cached[0]:
        return cached[1]
    config = _from_row(SandboxFaults.objects.filter(pk=1).first())
    with _lock:
        _cached = (now + conf.FAULTS_CACHE_SECONDS, config)
    return config


def _check(latency_ms: int, tps_limit: float, error_rate: float, drop_rate: float) -> None:
    if latency_ms < 0 or tps_limit < 0:
        raise ValueError("latency_ms and tps_limit must be zero or more.")
    for name, rate in (("error_rate", error_rate), ("drop_rate", drop_rate)):
        if not 0 <= rate <= 1:
            raise ValueError(f"{name} must be between 0 and 1.")


def faults_set(
    *,
    latency_ms: int | None = None,
    tps_limit: float | None = None,
    retry_after: bool | None = None,
    error_rate: float | None = None,
    drop_rate: float | None = None,
) -> FaultConfig:
    """Change the given settings (others keep their value) and return the result."""
    row, _ = SandboxFaults.objects.get_or_create(pk=1)
    changes = {
        "latency_ms": latency_ms,
        "tps_limit": tps_limit,
        "retry_after": retry_after,
        "error_rate": error_rate,
        "drop_rate": drop_rate,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(row, field, value)
    _check(row.latency_ms, row.tps_limit, row.error_rate, row.drop_rate)
    row.updated = timezone.now()
    row.save()
    faults_invalidate()
    faults_changed.send(sender=FaultConfig)
    return _from_row(row)


def faults_clear() -> FaultConfig:
    return faults_set(latency_ms=0, tps_limit=0, retry_after=True, error_rate=0, drop_rate=0)


def faults_changed_at() -> datetime | None:
    """When the settings were last changed (None while they never were)."""
    return SandboxFaults.objects.filter(pk=1).values_list("updated", flat=True).first()


def faults_allowed_for(user: object) -> bool:
    """Whether ``user`` may see and change the faults: staff only, as they are one per installation."""
    return bool(getattr(user, "is_active", False) and (user.is_staff or user.is_superuser))  # type: ignore[attr-defined]
