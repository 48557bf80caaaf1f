"""Raw bulk inserts for seeding large projects.

``bulk_create`` spends most of its time building model instances and preparing each value; a
benchmark project of 100,000 images with 300,000 regions needs neither. Rows here are tuples
of values already in the database's form, written with ``executemany``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


class RowWriter:
    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no proxy lookups per row
        self.fields = [model._meta.get_field(name) for name in fields]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)  # type: ignore[union-attr]
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.rows: list[tuple[Any, ...]] = []

    def prep(self, name: str, value: Any) -> Any:
        """``value`` in the form the database takes for field ``name``."""
        field = next(f for f in self.fields if f.name == name)
        return field.get_db_prep_save(value, self.connection)  # type: ignore[union-attr]

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def flush(self) -> None:
        if self.rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.rows = []


def uuid_maker() -> Callable[[], Any]:
    """New random UUIDs in the database's form (a native uuid, or 32 hex digits on SQLite)."""
    if connections[DEFAULT_DB_ALIAS].features.has_native_uuid_field:
        return uuid.uuid4
    return lambda: uuid.uuid4().hex


def datetime_adapter() -> Callable[[datetime], Any]:
    return connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value
