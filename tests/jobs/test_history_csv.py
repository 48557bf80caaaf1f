"""The CSV's cells, formatted by PostgreSQL (COPY), by SQLite (SQL, then csv) or in Python: the same bytes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from jobs.history_csv import csv_chunks, python_chunks
from jobs.models import Job
from jobs.selectors import JobFilters, job_ordered

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 30, 9, 15, 0, tzinfo=UTC)


def _text(chunks) -> str:
    return "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)


@pytest.fixture
def awkward(personas):
    """Jobs whose cells need care: formulas, quotes, commas, newlines, empty text, halves."""
    rows = [
        {"target": '=HYPERLINK("http://evil","x")', "error_message": "-1+2", "ms": 1250},
        {"target": 'a, "quoted"\nname', "error_message": "", "ms": 1249},
        {"target": "", "error_message": "\ttabbed", "ms": 0, "started": False},
        {"target": "ünïcödé 名前", "error_message": "@SUM(A1)", "ms": 21_000, "micro": 123_456},
        {"target": "+1", "error_message": "plain", "ms": 50, "finished": False},
    ]
    jobs = []
    for i, row in enumerate(rows):
        created = START + timedelta(minutes=i, microseconds=row.get("micro", 0))
        started = created if row.get("started", True) else None
        finished = None
        if started and row.get("finished", True):
            finished = started + timedelta(milliseconds=row["ms"])
        jobs.append(
            Job(
                workspace=personas.workspace,
                actor=personas.bob,
                actor_name="bob",
                kind="export_project",
                status=Job.Status.FAILED if finished else Job.Status.RUNNING,
                target=row["target"],
                error_code="bad_input" if row["error_message"] else "",
                error_message=row["error_message"],
                created_at=created,
                started_at=started,
                finished_at=finished,
            )
        )
    return Job.objects.bulk_create(jobs)


def test_cells_read_back_as_written(personas, awkward):
    jobs = job_ordered(personas.alice_membership, JobFilters(sort="created"))
    rows = list(csv.DictReader(io.StringIO(_text(csv_chunks(jobs)))))
    assert [r["target"] for r in rows] == [
        '\'=HYPERLINK("http://evil","x")',
        'a, "quoted"\nname',
        "",
        "ünïcödé 名前",
        "'+1",
    ]
    assert [r["error_message"] for r in rows] == ["'-1+2", "", "'\ttabbed", "'@SUM(A1)", "plain"]
    assert [r["duration_seconds"] for r in rows] == ["1.3", "1.2", "", "21.0", ""]
    assert rows[0]["created"] == "2026-11-30T09:15:00+00:00"
    assert rows[3]["created"] == "2026-11-30T09:18:00.123456+00:00"
    assert rows[2]["started"] == "" and rows[4]["finished"] == ""
    assert rows[0]["id"] == str(awkward[0].pk) and rows[0]["retry_of"] == ""
    assert rows[0]["person"] == "bob" and rows[0]["attempts"] == "0"


@pytest.mark.skipif(connection.vendor not in ("postgresql", "sqlite"), reason="formatted in Python")
def test_the_database_formatted_csv_is_the_same_bytes_as_python_formatted(personas, awkward):
    for filters in (JobFilters(sort="created"), JobFilters(sort="-duration"), JobFilters(person="bob")):
        jobs = job_ordered(personas.alice_membership, filters)
        assert _text(csv_chunks(jobs)) == _text(python_chunks(jobs))
