"""Exact job counts per workspace, kept by database triggers (see jobs.models.JobCount).

A trigger adds ``+1`` for a new job and ``-1``/``+1`` when a job's status, person or kind
changes, in the same transaction as the change. ``counts_fold`` (beat's sweep) sums the rows
into one per key; reading sums what is there, so it is right before and after a fold.
Deleting jobs is the only change the triggers do not see: ``jobs_delete`` subtracts what it
deletes (a deleted workspace's rows are dropped at the next fold).

The triggers are (re)created after every ``migrate`` (``triggers_install``): SQLite drops a
table's triggers when a migration rebuilds the table, and then the counts are taken again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from jobs.models import Job, JobCount

COLUMNS = "workspace_id, actor_id, kind, status, n"
ROW = "{r}.workspace_id, {r}.actor_id, {r}.kind, {r}.status"
CHANGED = (
    "OLD.status IS DISTINCT FROM NEW.status OR OLD.actor_id IS DISTINCT FROM NEW.actor_id "
    "OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id"
)
TRIGGERS = ("jobs_job_count_insert", "jobs_job_count_update")


def _sqlite_triggers() -> list[str]:
    insert = f"INSERT INTO jobs_jobcount ({COLUMNS}) VALUES"
    return [
        f"CREATE TRIGGER IF NOT EXISTS jobs_job_count_insert AFTER INSERT ON jobs_job BEGIN "
        f"{insert} ({ROW.format(r='NEW')}, 1); END",
        f"CREATE TRIGGER IF NOT EXISTS jobs_job_count_update "
        f"AFTER UPDATE OF status, actor_id, kind, workspace_id ON jobs_job "
        f"WHEN {CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN "
        f"{insert} ({ROW.format(r='OLD')}, -1); {insert} ({ROW.format(r='NEW')}, 1); END",
    ]


def _postgresql_triggers() -> list[str]:
    insert = f"INSERT INTO jobs_jobcount ({COLUMNS}) VALUES"
    return [
        "CREATE OR REPLACE FUNCTION jobs_job_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' THEN {insert} ({ROW.format(r='OLD')}, -1); END IF; "
        f"{insert} ({ROW.format(r='NEW')}, 1); RETURN NULL; END $$",
        "CREATE OR REPLACE TRIGGER jobs_job_count_insert AFTER INSERT ON jobs_job "
        "FOR EACH ROW EXECUTE FUNCTION jobs_job_count()",
        "CREATE OR REPLACE TRIGGER jobs_job_count_update "
        "AFTER UPDATE OF status, actor_id, kind, workspace_id ON jobs_job "
        f"FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION jobs_job_count()",
    ]


def _installed(cursor: Any) -> set[str]:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'jobs_job'")
    else:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'jobs_job'::regclass AND NOT tgisinternal"
        )
    return {name for (name,) in cursor.fetchall()}


def triggers_install(**_: Any) -> None:
    """Create the count triggers; where any was missing, take the counts again from the jobs."""
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"Job counts have no triggers for {connection.vendor}.")
    with transaction.atomic(), connection.cursor() as cursor:
        missing = set(TRIGGERS) - _installed(cursor)
        for statement in _sqlite_triggers() if connection.vendor == "sqlite" else _postgresql_triggers():
            cursor.execute(statement)
        if missing:
            counts_rebuild()


def counts_rebuild() -> None:
    """Take every count again from the jobs table (after the triggers were missing)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM jobs_jobcount")
        cursor.execute(
            "INSERT INTO jobs_jobcount (workspace_id, actor_id, kind, status, n) "
            "SELECT workspace_id, actor_id, kind, status, COUNT(*) "
            "FROM jobs_job GROUP BY workspace_id, actor_id, kind, status"
        )


FOLD_MIN_ROWS = 1000


def counts_fold(min_rows: int = FOLD_MIN_ROWS) -> int:
    """Sum the rows into one per key (and drop deleted workspaces' rows) once there are at least
    ``min_rows``; returns how many rows it removed."""
    if JobCount.objects.count() < min_rows:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        # DELETE … RETURNING takes exactly the rows it removes, even those committed meanwhile.
        cursor.execute("DELETE FROM jobs_jobcount RETURNING workspace_id, actor_id, kind, status, n")
        rows = cursor.fetchall()
        totals: Counter = Counter()
        for workspace_id, actor_id, kind, status, n in rows:
            totals[(workspace_id, actor_id, kind, status)] += n
        cursor.execute("SELECT id FROM workspaces_workspace")
        alive = {value for (value,) in cursor.fetchall()}
        keep = [key + (n,) for key, n in totals.items() if n and key[0] in alive]
        cursor.executemany(
            "INSERT INTO jobs_jobcount (workspace_id, actor_id, kind, status, n) VALUES (%s, %s, %s, %s, %s)",
            keep,
        )
    return len(rows) - len(keep)


def status_counts(*, workspace_id: Any, actor_id: int | None = None, kind: str = "") -> dict[str, int]:
    """Jobs per status in a workspace, of one person and one kind where given."""
    rows = JobCount.objects.filter(workspace_id=workspace_id)
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    if kind:
        rows = rows.filter(kind=kind)
    totals = rows.values("status").annotate(total=Sum("n")).order_by()
    return {row["status"]: row["total"] for row in totals if row["total"]}


def jobs_delete(job_ids: Iterable[Any]) -> int:
    """Delete jobs (and their events) and take them out of the counts, in one transaction."""
    ids = list(job_ids)
    with transaction.atomic():
        gone = Counter(
            Job.objects.filter(pk__in=ids).values_list("workspace_id", "actor_id", "kind", "status")
        )
        Job.objects.filter(pk__in=ids).delete()
        JobCount.objects.bulk_create(
            JobCount(workspace_id=w, actor_id=a, kind=k, status=s, n=-n) for (w, a, k, s), n in gone.items()
        )
    return sum(gone.values())
