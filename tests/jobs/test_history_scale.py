"""The history at scale: keyset pages walk every order exactly, counts stay exact through every
change, the main queries read an index in order (EXPLAIN), retention deletes only what it should,
and the CSV streams."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jobs.counts import counts_fold, jobs_delete, status_counts, triggers_install
from jobs.models import Job, JobCount
from jobs.selectors import SORTS, JobFilters, job_ordered, job_page
from jobs.services import jobs_sweep_expired
from tests.conftest import login

pytestmark = pytest.mark.django_db

KINDS = ["check_connections", "export_project", "predict"]


def _seed(personas, n: int, seed: int = 7) -> list[Job]:
    """n jobs with many ties: few distinct times, kinds, people and durations."""
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    jobs = []
    for i in range(n):
        created = now - timedelta(minutes=rng.randrange(8))
        status = rng.choice(Job.Status.values)
        started = created if status != Job.Status.QUEUED else None
        finished = created + timedelta(seconds=rng.randrange(3)) if status in Job.TERMINAL else None
        actor = rng.choice([personas.alice, personas.bob, None])
        jobs.append(
            Job(
                workspace=personas.workspace,
                actor=actor,
                actor_name=actor.username if actor else "",
                kind=rng.choice(KINDS),
                status=status,
                target=f"t{i}",
                created_at=created,
                started_at=started,
                finished_at=finished,
            )
        )
    return Job.objects.bulk_create(jobs)


def _walk(membership, filters: JobFilters, size: int) -> list:
    seen, after = [], ""
    while True:
        page = job_page(
            membership=membership, filters=JobFilters(**{**filters.__dict__, "after": after}), size=size
        )
        seen += [j.pk for j in page.jobs]
        if not page.next_cursor:
            return seen
        after = page.next_cursor


@pytest.mark.parametrize("sort", [f"{d}{k}" for k in SORTS for d in ("", "-")])
def test_walking_the_pages_visits_every_job_once_in_order(personas, sort):
    _seed(personas, 120)
    for membership in (personas.alice_membership, personas.bob_membership):
        for filters in (JobFilters(sort=sort), JobFilters(sort=sort, status="failed", kind="predict")):
            expected = [j.pk for j in job_ordered(membership, filters)]
            assert _walk(membership, filters, size=7) == expected
            assert len(set(expected)) == len(expected)


def test_the_duration_sort_puts_unfinished_jobs_past_the_longest(personas):
    _seed(personas, 60)
    ordered = list(job_ordered(personas.alice_membership, JobFilters(sort="-duration")))
    unfinished = [j for j in ordered if j.finished_at is None]
    assert unfinished and ordered[: len(unfinished)] == unfinished
    finished = ordered[len(unfinished) :]
    durations = [j.duration.total_seconds() if j.started_at else 0 for j in finished]
    assert durations == sorted(durations, reverse=True)


def _exact(personas) -> dict[str, int]:
    return {
        s: n
        for s in Job.Status.values
        if (n := Job.objects.filter(workspace=personas.workspace, status=s).count())
    }


def test_counts_stay_exact_through_inserts_changes_folds_and_deletes(personas):
    jobs = _seed(personas, 200)
    ws = personas.workspace.pk
    assert status_counts(workspace_id=ws) == _exact(personas)
    Job.objects.filter(pk__in=[j.pk for j in jobs[:50]]).update(status=Job.Status.FAILED)
    Job.objects.filter(pk=jobs[60].pk).update(progress_done=3)  # no status change: no count row
    assert status_counts(workspace_id=ws) == _exact(personas)
    assert counts_fold(min_rows=0) > 0
    assert status_counts(workspace_id=ws) == _exact(personas)
    assert jobs_delete([j.pk for j in jobs[:30]]) == 30
    assert status_counts(workspace_id=ws) == _exact(personas)
    bob = Job.objects.filter(workspace=ws, actor=personas.bob).count()
    assert sum(status_counts(workspace_id=ws, actor_id=personas.bob.pk).values()) == bob
    bob_id = personas.bob.pk
    personas.bob.delete()  # his jobs stay, with no person (SET_NULL is an update the trigger sees)
    assert status_counts(workspace_id=ws, actor_id=bob_id) == {}
    assert status_counts(workspace_id=ws) == _exact(personas)
    predict = Job.objects.filter(workspace=ws, kind="predict").count()
    assert sum(status_counts(workspace_id=ws, kind="predict").values()) == predict


def test_missing_triggers_are_put_back_and_the_counts_taken_again(personas):
    _seed(personas, 40)
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER jobs_job_count_insert" + ("" if connection.vendor == "sqlite" else " ON jobs_job")
        )
    _seed(personas, 25, seed=8)  # not counted: no trigger
    assert sum(status_counts(workspace_id=personas.workspace.pk).values()) == 40
    triggers_install()
    assert status_counts(workspace_id=personas.workspace.pk) == _exact(personas)


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A small table would be read whole: ask whether an index gives the order at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("sort", [f"{d}{k}" for k in SORTS for d in ("", "-")])
@pytest.mark.parametrize("who", ["admin", "member", "admin_status", "admin_kind"])
def test_a_page_reads_an_index_in_order_and_sorts_nothing(personas, sort, who):
    jobs = _seed(personas, 300)
    membership = personas.bob_membership if who == "member" else personas.alice_membership
    filters = JobFilters(sort=sort)
    if who == "admin_status":
        filters.status = "failed"
    if who == "admin_kind":
        filters.kind = "predict"
    if who in ("admin_status", "admin_kind") and not sort.endswith("created"):
        pytest.skip("a filter on one column with a sort on another reads the sort's index and filters")
    first = job_page(membership=membership, filters=filters, size=10)
    filters.after = first.next_cursor or ""
    qs = job_ordered(membership, filters)
    if filters.after:
        from jobs.selectors import _after, _cursor_decode, job_order

        column, desc = job_order(sort)
        qs = qs.filter(_after(column, desc, _cursor_decode(filters.after, column)))
    plan = _plan(qs[:26])
    if connection.vendor == "postgresql":
        assert "Sort" not in plan and "Seq Scan" not in plan, plan
        assert "Index" in plan, plan
    else:
        assert "TEMP B-TREE" not in plan, plan
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    assert jobs


def _predict(personas, days_ago: float, folder: Path, kind: str = "predict") -> tuple[Job, Path]:
    path = folder / f"{days_ago}-{kind}.png"
    path.write_bytes(b"png")
    when = timezone.now() - timedelta(days=days_ago)
    job = Job.objects.create(
        workspace=personas.workspace,
        actor=personas.alice,
        kind=kind,
        status=Job.Status.SUCCEEDED,
        params={"image_path": str(path)},
        created_at=when,
        started_at=when,
        finished_at=when,
    )
    return job, path


def test_retention_deletes_old_finished_predictions_and_their_images_only(personas, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    folder = tmp_path / "predictions"
    folder.mkdir()
    old, old_file = _predict(personas, 40, folder)
    recent, recent_file = _predict(personas, 5, folder)
    other, other_file = _predict(personas, 40, folder, kind="check_connections")
    running, _ = _predict(personas, 41, folder)
    Job.objects.filter(pk=running.pk).update(status=Job.Status.RUNNING, finished_at=None)
    settings.PREDICTION_RETENTION_DAYS = 0
    assert jobs_sweep_expired() == 0  # off by default: nothing is deleted without being asked
    settings.PREDICTION_RETENTION_DAYS = 30
    assert jobs_sweep_expired(batch=1) == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, other.pk, running.pk}
    assert not old_file.exists() and recent_file.exists() and other_file.exists()
    assert status_counts(workspace_id=personas.workspace.pk) == _exact(personas)


def test_the_csv_streams_every_row_of_the_filtered_list(client, personas):
    _seed(personas, 90)
    login(client, personas.alice)
    url = reverse("jobs:history_csv", kwargs={"ws_id": personas.workspace.pk})
    response = client.get(url, {"status": "failed", "sort": "-duration"})
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    expected = job_ordered(personas.alice_membership, JobFilters(status="failed", sort="-duration"))
    assert [line.split(",")[0] for line in lines[1:]] == [str(j.pk) for j in expected]


def test_the_page_says_when_a_count_is_capped(client, personas, monkeypatch):
    _seed(personas, 30)
    monkeypatch.setattr("jobs.selectors.COUNT_CAP", 3)
    monkeypatch.setattr("jobs.views.COUNT_CAP", 3)
    login(client, personas.alice)
    today = timezone.localdate()
    response = client.get(
        reverse("jobs:history", kwargs={"ws_id": personas.workspace.pk}),
        {"date_from": today - timedelta(days=1)},
    )
    assert response.context["page"].counts_capped
    assert "3+" in response.content.decode()
    assert JobCount.objects.exists()
