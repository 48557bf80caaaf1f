"""Which Celery workers are alive, and which queues they take jobs from.

Each worker process keeps one ``WorkerSeen`` row fresh from a daemon thread (started on Celery's
``worker_ready`` signal, removed on ``worker_shutdown``). A worker that was killed leaves a stale
row behind, which counts as dead. The queued-job sweep reads this to tell "every worker is busy"
(wait) from "no worker takes this queue" (say so and fail the job). No Celery remote control or
event stream is needed, so it works the same on every broker.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)
_stop = threading.Event()


def _interval() -> float:
    return float(settings.JOB_HEARTBEAT_SECONDS)


def worker_dead_after() -> timedelta:
    """A worker row older than this belongs to a worker that is gone."""
    return timedelta(seconds=max(30.0, 4 * _interval()))


def worker_seen(hostname: str, queues: list[str]) -> None:
    from jobs.models import WorkerSeen

    WorkerSeen.objects.update_or_create(
        hostname=hostname, defaults={"queues": sorted(queues), "seen_at": timezone.now()}
    )


def queues_served() -> set[str]:
    """The queues at least one live worker takes jobs from."""
    from jobs.models import WorkerSeen

    fresh = timezone.now() - worker_dead_after()
    served: set[str] = set()
    for queues in WorkerSeen.objects.filter(seen_at__gte=fresh).values_list("queues", flat=True):
        served.update(queues)
    return served


def _keep_seen(hostname: str, queues: list[str]) -> None:
    while True:
        try:
            close_old_connections()
            worker_seen(hostname, queues)
        except Exception:  # the database may be restarting: try again at the next tick
            logger.warning("Could not record worker %s as alive", hostname, exc_info=True)
        if _stop.wait(_interval()):
            break
    connection.close()


@worker_ready.connect
def _on_worker_ready(sender, **_kwargs) -> None:
    hostname = sender.hostname
    queues = list(sender.app.amqp.queues.consume_from.keys())
    _stop.clear()
    threading.Thread(target=_keep_seen, args=(hostname, queues), daemon=True, name="worker-seen").start()
    logger.info("Worker %s takes jobs from %s", hostname, ", ".join(queues))


@worker_shutdown.connect
def _on_worker_shutdown(sender, **_kwargs) -> None:
    from jobs.models import WorkerSeen

    _stop.set()
    try:
        WorkerSeen.objects.filter(hostname=getattr(sender, "hostname", "")).delete()
    except Exception:
        logger.warning("Could not remove the worker row at shutdown", exc_info=True)
