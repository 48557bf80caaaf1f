"""The job history as CSV, streamed, the same bytes on every database.

On PostgreSQL the database formats the rows itself (``COPY (SELECT ...) TO STDOUT (FORMAT csv)``)
and the view passes its blocks on: no Python object per row. Elsewhere (SQLite) the rows come from
a chunked cursor, without a model object or Django's converters per row, written in chunks. Both:
ISO 8601 times in UTC, durations in seconds to one decimal (halves up), text that would start a
spreadsheet formula prefixed with ``'``, empty cells unquoted, lines ending in a bare newline.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

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
    """ISO 8601 in UTC. SQLite's cursor hands back a naive datetime in UTC (Django's converter) or
    the stored text, PostgreSQL an aware datetime."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return f"{str(value).replace(' ', 'T')}+00:00"


def _uuid(value: object) -> str:
    """The dashed form: SQLite hands back 32 hex digits, PostgreSQL a UUID."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _tenths(ms: int) -> str:
    """Milliseconds as seconds to one decimal, halves rounded up (as PostgreSQL's numeric round)."""
    tenths = (ms + 50) // 100
    return f"{tenths // 10}.{tenths % 10}"


def _header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(HEADER)
    return buffer.getvalue()


def csv_chunks(jobs: QuerySet[Job]) -> Iterator[str | bytes]:
    """The header, then the rows of ``jobs`` in its order, in pieces."""
    if connection.vendor == "postgresql":
        return _copy_chunks(jobs)
    if connection.vendor == "sqlite":
        return _sqlite_chunks(jobs)
    return python_chunks(jobs)


# --- PostgreSQL: the database writes the CSV -----------------------------------------------------
FORMULA_SQL = "(" + ", ".join("E'" + c.encode("unicode_escape").decode() + "'" for c in FORMULA_START) + ")"


def _text_sql(column: str) -> str:
    """``cell()`` in SQL; an empty text becomes NULL, which COPY writes unquoted, as csv does."""
    return f"CASE WHEN left({column}, 1) IN {FORMULA_SQL} THEN '''' || {column} ELSE NULLIF({column}, '') END"


def _when_sql(column: str) -> str:
    """``datetime.isoformat()`` in UTC: microseconds only when there are some."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || CASE WHEN date_part('microseconds', {utc})::bigint % 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00'"
    )


def copy_select(inner: str) -> str:
    """The CSV's columns, computed over the values_list query ``inner`` (renamed c0…c14)."""
    c = [f"q.c{i}" for i in range(len(COLUMNS))]
    columns = [
        f"{c[0]}::text",
        f"NULLIF({c[1]}, '')",
        _text_sql(c[2]),
        _text_sql(c[3]),
        c[4],
        _when_sql(c[5]),
        _when_sql(c[6]),
        _when_sql(c[7]),
        f"CASE WHEN {c[6]} IS NOT NULL AND {c[7]} IS NOT NULL THEN round({c[8]} / 1000.0, 1)::text END",
        c[9],
        c[10],
        f"NULLIF({c[11]}, '')",
        _text_sql(c[12]),
        c[13],
        f"{c[14]}::text",
    ]
    names = ", ".join(f"c{i}" for i in range(len(COLUMNS)))
    return f"SELECT {', '.join(columns)} FROM ({inner}) AS q({names})"  # noqa: S608 (inner: mogrified by psycopg)


def _copy_chunks(jobs: QuerySet[Job]) -> Iterator[str | bytes]:
    import psycopg

    sql, params = jobs.values_list(*COLUMNS).query.sql_with_params()
    yield _header()
    connection.ensure_connection()
    raw = connection.connection
    # COPY takes no bind parameters: psycopg's client-side binding quotes the filters' values.
    inner = psycopg.ClientCursor(raw).mogrify(sql, params)
    with raw.cursor() as cursor, cursor.copy(f"COPY ({copy_select(inner)}) TO STDOUT (FORMAT csv)") as copy:
        for block in copy:
            yield bytes(block)


# --- SQLite: the cells formatted in SQL, the rows written by csv's C writer ---------------------
def _sqlite_text(column: str) -> str:
    starts = ", ".join(f"char({ord(c)})" for c in FORMULA_START)
    return f"CASE WHEN substr({column}, 1, 1) IN ({starts}) THEN '''' || {column} ELSE {column} END"


def _sqlite_uuid(column: str) -> str:
    """Django keeps a UUID as 32 hex digits on SQLite: the dashed form (NULL stays NULL)."""
    parts = [f"substr({column}, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4))]
    return " || '-' || ".join([*parts, f"substr({column}, 21)"])


def sqlite_select(inner: str) -> str:
    """The CSV's cells over the values_list query ``inner``. Django keeps times as UTC text on
    SQLite (``YYYY-MM-DD HH:MM:SS[.ffffff]``, no fraction when it is 0): they only change form."""
    c = [f"c{i}" for i in range(len(COLUMNS))]
    tenths = f"(({c[8]} + 50) / 100)"
    columns = [
        _sqlite_uuid(c[0]),
        c[1],
        _sqlite_text(c[2]),
        _sqlite_text(c[3]),
        c[4],
        *(f"replace({c[i]}, ' ', 'T') || '+00:00'" for i in (5, 6, 7)),
        f"CASE WHEN {c[6]} IS NOT NULL AND {c[7]} IS NOT NULL THEN ({tenths} / 10) || '.' || ({tenths} % 10) END",
        c[9],
        c[10],
        c[11],
        _sqlite_text(c[12]),
        c[13],
        _sqlite_uuid(c[14]),
    ]
    return f"WITH q({', '.join(c)}) AS ({inner}) SELECT {', '.join(columns)} FROM q"  # noqa: S608 (Django's SQL)


def _sqlite_chunks(jobs: QuerySet[Job]) -> Iterator[str]:
    sql, params = jobs.values_list(*COLUMNS).query.sql_with_params()
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(HEADER)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sqlite_select(sql), params)
        while rows := cursor.fetchmany(CHUNK):
            out.writerows(rows)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- elsewhere: rows from a chunked cursor, written by csv ------------------------------------------
def _raw_rows(jobs: QuerySet[Job]) -> Iterator[tuple]:
    sql, params = jobs.values_list(*COLUMNS).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def python_chunks(jobs: QuerySet[Job]) -> Iterator[str]:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
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
                _tenths(ms) if started and finished else "",
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
