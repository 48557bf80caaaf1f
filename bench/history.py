"""Does the job history cost the same at a million jobs as at a thousand? Seeds N jobs in one
workspace and prints p50/p95 server time per page (in-process through Django's test client, as
an admin and as a member) and the ratio to the first N, then the CSV of the whole list.

    .venv/bin/python bench/history.py [--sizes 1000,100000,1000000] [--repeat 30] [--csv]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_history .venv/bin/python bench/history.py

Without DATABASE_URL it runs on a throw-away SQLite file in a temp folder; with it, on that
database, which must be a throw-away one (the bench adds jobs to it and deletes them at the end).
Jobs are seeded with SQL (a million in seconds) through the count triggers, as real jobs are;
the mix: 90% predictions, 4% failed, three people, durations spread over minutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("VISIONPORT_VAR_DIR", tempfile.mkdtemp(prefix="visionport-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from jobs.counts import counts_fold  # noqa: E402
from jobs.models import JobCount  # noqa: E402
from jobs.selectors import JobFilters, job_ordered  # noqa: E402
from workspaces.models import Membership  # noqa: E402
from workspaces.services import workspace_create  # noqa: E402

KIND = "CASE WHEN {r} < 90 THEN 'predict' WHEN {r} < 95 THEN 'train_model' ELSE 'export_project' END"
STATUS = "CASE WHEN {r} < 4 THEN 'failed' WHEN {r} < 5 THEN 'cancelled' ELSE 'succeeded' END"

SQLITE_SEED = f"""
WITH RECURSIVE seq(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM seq WHERE i < %s)
INSERT INTO jobs_job (id, workspace_id, actor_id, actor_name, kind, target, params, status,
  cancel_requested, progress_done, progress_total, progress_message, error_code, error_message,
  error_detail, created_at, started_at, finished_at, attempts, sends, state)
SELECT lower(hex(randomblob(16))), %s, CASE i %% 3 WHEN 0 THEN %s WHEN 1 THEN %s ELSE %s END,
  CASE i %% 3 WHEN 0 THEN 'admin' WHEN 1 THEN 'bob' ELSE 'carol' END,
  {KIND.format(r="(i * 7) %% 100")}, 'model-' || (i %% 50), '{{}}', {STATUS.format(r="(i * 13) %% 100")},
  0, 1, 1, '', '', '', '', strftime('%%Y-%%m-%%d %%H:%%M:%%f', 1.7e9 + i * 2, 'unixepoch'),
  strftime('%%Y-%%m-%%d %%H:%%M:%%f', 1.7e9 + i * 2, 'unixepoch'),
  strftime('%%Y-%%m-%%d %%H:%%M:%%f', 1.7e9 + i * 2 + (i * 37) %% 600 + 0.25, 'unixepoch'), 1, 1, '{{}}'
FROM seq
"""  # noqa: S608 (constants, no input)

POSTGRES_SEED = f"""
INSERT INTO jobs_job (id, workspace_id, actor_id, actor_name, kind, target, params, status,
  cancel_requested, progress_done, progress_total, progress_message, error_code, error_message,
  error_detail, created_at, started_at, finished_at, attempts, sends, state)
SELECT gen_random_uuid(), %s, CASE i %% 3 WHEN 0 THEN %s WHEN 1 THEN %s ELSE %s END,
  CASE i %% 3 WHEN 0 THEN 'admin' WHEN 1 THEN 'bob' ELSE 'carol' END,
  {KIND.format(r="(i * 7) %% 100")}, 'model-' || (i %% 50), '{{}}', {STATUS.format(r="(i * 13) %% 100")},
  false, 1, 1, '', '', '', '', to_timestamp(1.7e9 + i * 2), to_timestamp(1.7e9 + i * 2),
  to_timestamp(1.7e9 + i * 2 + (i * 37) %% 600 + 0.25), 1, 1, '{{}}'
FROM generate_series(%s, %s) AS i
"""  # noqa: S608 (constants, no input)


def job_workspace_key(workspace) -> object:
    """The workspace id as the jobs table stores it (SQLite: 32 hex digits)."""
    return workspace.pk.hex if connection.vendor == "sqlite" else workspace.pk


def seed(workspace, users, start: int, end: int) -> float:
    t0 = time.perf_counter()
    ids = [u.pk for u in users]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_SEED, [start, end - 1, job_workspace_key(workspace), *ids])
        else:
            cursor.execute(POSTGRES_SEED, [workspace.pk, *ids, start, end - 1])
    counts_fold(min_rows=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The seed's million count rows, folded, are dead tuples until autovacuum passes (as
            # it does after a burst in production); the bench measures the steady state.
            cursor.execute("VACUUM ANALYZE jobs_jobcount")
            cursor.execute("VACUUM ANALYZE jobs_job")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def deep_cursor(membership, sort: str, depth: int) -> str:
    """The cursor of page ``depth`` (25 rows a page), as the Next link would carry it there."""
    from jobs.selectors import _cursor_encode, job_order

    column, _ = job_order(sort)
    row = job_ordered(membership, JobFilters(sort=sort))[depth * 25 - 1 : depth * 25].first()
    return _cursor_encode(row, column) if row else ""


def timed(client: Client, url: str, params: dict, repeat: int) -> tuple[float, float]:
    client.get(url, params)  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url, params)  # the whole page, as a first visit or a link
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def pages(admin_m, member_m) -> list[tuple[str, str, dict]]:
    return [
        ("default", "admin", {}),
        ("status=failed", "admin", {"status": "failed"}),
        ("kind=export_project", "admin", {"kind": "export_project"}),
        ("person=bob", "admin", {"person": "bob"}),
        *[
            (f"sort={d}{k}", "admin", {"sort": f"{d}{k}"})
            for k in ("created", "kind", "status", "person", "duration")
            for d in ("", "-")
        ],
        ("page 500, default", "admin", {"after": deep_cursor(admin_m, "-created", 500)}),
        (
            "page 500, -duration",
            "admin",
            {"sort": "-duration", "after": deep_cursor(admin_m, "-duration", 500)},
        ),
        ("dates (capped counts)", "admin", {"date_from": "2023-11-14"}),
        ("member default", "member", {}),
        ("member sort=-duration", "member", {"sort": "-duration"}),
    ]


def csv_run(client: Client, url: str) -> tuple[float, float, float, int]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    response = client.get(url)
    first = None
    rows = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - t0
        rows += chunk.count(b"\n")
    total = time.perf_counter() - t0
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return first or 0.0, total, grown, rows - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--csv", action="store_true", help="also time the CSV of the whole list")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    admin = User.objects.create_user(f"admin-{time.time_ns()}")
    bob = User.objects.create_user(f"bob-{time.time_ns()}")
    carol = User.objects.create_user(f"carol-{time.time_ns()}")
    workspace = workspace_create(name="Bench history", owner=admin)
    Membership.objects.create(workspace=workspace, user=bob, role=Membership.Role.MEMBER)
    Membership.objects.create(workspace=workspace, user=carol, role=Membership.Role.MEMBER)
    admin_m = Membership.objects.get(workspace=workspace, user=admin)
    member_m = Membership.objects.get(workspace=workspace, user=bob)
    clients = {"admin": Client(), "member": Client()}
    clients["admin"].force_login(admin)
    clients["member"].force_login(bob)
    url = f"/w/{workspace.pk}/jobs/"
    print(f"database: {connection.vendor}; p50 / p95 ms per page, {args.repeat} requests each")
    base: dict[str, float] = {}
    done = 0
    try:
        for n in sizes:
            took = seed(workspace, [admin, bob, carol], done, n)
            done = n
            print(f"\nN = {n:,} jobs (seeded in {took:.1f} s; {JobCount.objects.count()} count rows)")
            for name, who, params in pages(admin_m, member_m):
                p50, p95 = timed(clients[who], url, params, args.repeat)
                base.setdefault(name, p95)
                print(f"  {name:<24} {p50:7.1f} {p95:7.1f}   ×{p95 / base[name]:.2f} of N = {sizes[0]:,}")
            if args.csv:
                first, total, grown, rows = csv_run(clients["admin"], url + "export.csv")
                print(
                    f"  CSV: {rows:,} rows in {total:.1f} s, first bytes after {first * 1000:.0f} ms, peak RSS grew {grown:.0f} MB"
                )
    finally:
        with connection.cursor() as cursor:  # one statement: the ORM's delete would list every id
            cursor.execute("DELETE FROM jobs_job WHERE workspace_id = %s", [job_workspace_key(workspace)])
        workspace.delete()
        counts_fold(min_rows=0)


if __name__ == "__main__":
    main()
