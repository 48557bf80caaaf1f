"""The database expression behind ``Job.duration_ms`` (a stored generated column)."""

from __future__ import annotations

from django.db.models import BigIntegerField, Func

# Larger than any real duration: the key of a job that has not ended yet (signed 64-bit maximum).
UNFINISHED = 2**63 - 1

# Milliseconds between two timestamps, per database (neither shares an interval type with the other).
_MILLISECONDS = {
    "sqlite": "CAST(ROUND((julianday({f}) - julianday({s})) * 86400000) AS INTEGER)",
    "postgresql": "CAST(ROUND(EXTRACT(EPOCH FROM ({f} - {s})) * 1000) AS BIGINT)",
}


class DurationMs(Func):
    """Milliseconds from ``started`` to ``finished`` (never below 0): UNFINISHED while ``finished``
    is null, 0 for a job that ended without starting."""

    arity = 2
    output_field = BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor not in _MILLISECONDS:
            raise NotImplementedError(f"Job.duration_ms has no expression for {connection.vendor}.")
        (started, started_params), (finished, finished_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if started_params or finished_params:
            raise ValueError("DurationMs takes columns, not values.")
        ms = _MILLISECONDS[connection.vendor].format(s=started, f=finished)
        sql = (
            f"CASE WHEN {finished} IS NULL THEN {UNFINISHED} WHEN {started} IS NULL THEN 0 "
            f"WHEN {ms} < 0 THEN 0 ELSE {ms} END"
        )
        return sql, []
