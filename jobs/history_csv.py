"""The job history as CSV, streamed: rows read with a chunked (server-side) cursor straight
from the database, without a model object or Django's converters per row, written in chunks."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from jobs.models import Job

CHUNK = 2000
HEADER = (
    "id",
    "kind",
    "target",
    "person",
    "status",
    "created",
    "started",
    "finished",
    "duration_seconds",
    "progress_done",
    "progress_total",
    "error_code",
    "error_message",
    "attempts",
    "retry_of",
)
COLUMNS = (
    "id",
    "kind",
    "target",
    "actor_name",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "duration_ms",
    "progress_done",
    "progress_total",
    "error_code",
    "error_message",
    "attempts",
    "retry_of_id",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula (OWASP "CSV injection"): a project or
    tag name such as ``=HYPERLINK(...)`` comes from the Custom Vision resource, not from us."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _when(value: object) -> str:
    """ISO 8601 in UTC: SQLite hands back Django's stored text, PostgreSQL a datetime."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return f"{str(value).replace(' ', 'T')}+00:00"


def _uuid(value: object) -> str:
    """The dashed form: SQLite hands back 32 hex digits, PostgreSQL a UUID."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _raw_rows(jobs: QuerySet[Job]) -> Iterator[tuple]:
    sql, params = jobs.values_list(*COLUMNS).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def csv_chunks(jobs: QuerySet[Job]) -> Iterator[str]:
    """The header, then the rows of ``jobs`` in its order, about CHUNK rows per piece."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(HEADER)
    for n, row in enumerate(_raw_rows(jobs), start=1):
        jid, kind, target, person, status, created, started, finished, ms, *rest = row
        done, total, code, message, attempts, retry_of = rest
        out.writerow(
            (
                _uuid(jid),
                kind,
                cell(target),
                cell(person),
                status,
                _when(created),
                _when(started),
                _when(finished),
                round(ms / 1000, 1) if started and finished else "",
                done,
                total,
                code,
                cell(message),
                attempts,
                _uuid(retry_of),
            )
        )
        if n % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
