"""Bulk writes of generated rows: PostgreSQL COPY, else batched INSERTs.

Rows are plain dicts keyed by the model's attribute names (`organization_id`); a column the
row does not name gets the field's default. Ids are handed out here (from the table's current
maximum), so that rows can point at each other before anything is written; on PostgreSQL the
id sequences are moved past them afterwards.

On PostgreSQL the rows go by COPY, sent from a second thread (psycopg's queued writer) so that the
database parses one batch while Python builds the next, and the tables' foreign keys are checked
once at the end of the load instead of row by row (`foreign_keys_checked_at_end`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter


class Ids:
    """The next free id of each table (read once, at the start)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, model: type[models.Model]) -> int:
        table = model._meta.db_table
        if table not in self._next:
            with connection.cursor() as cur:
                cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
                self._next[table] = int(cur.fetchone()[0]) + 1
        value = self._next[table]
        self._next[table] = value + 1
        return value

    def fix_sequences(self) -> None:
        """Move PostgreSQL's id sequences past the ids handed out."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cur:
            for table, nxt in self._next.items():
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, nxt]
                )


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields]


def _default(field: models.Field[Any, Any]) -> Any:
    if field.primary_key:
        return None
    return field.get_default()  # "" for a text field without a default, as Django saves it


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if connection.vendor == "postgresql":
        if isinstance(field, models.JSONField):
            return lambda v: json.dumps(v, ensure_ascii=False)
        return None
    return lambda v: field.get_db_prep_save(v, connection)


class Writer:
    """Buffers rows per model and writes them in batches, in the order the models were first
    written (so foreign keys point at rows already there)."""

    def __init__(self, *, batch: int = 20_000, progress: Callable[[str, int], None] | None = None):
        self.batch = batch
        self.progress = progress
        self._rows: dict[type[models.Model], list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, model: type[models.Model], row: dict[str, Any]) -> None:
        self._rows.setdefault(model, []).append(row)

    def pending(self, model: type[models.Model]) -> int:
        return len(self._rows.get(model, ()))

    def flush(self) -> None:
        for model, rows in self._rows.items():
            if rows:
                self._write(model, rows)
                rows.clear()

    def _write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        fields = _columns(model)
        defaults = [(f.attname, _default(f), _converter(f)) for f in fields]
        table = model._meta.db_table
        columns = ", ".join(f'"{f.column}"' for f in fields)

        def tuples() -> Iterable[tuple[Any, ...]]:
            for row in rows:
                values = []
                for name, default, convert in defaults:
                    value = row.get(name, default)
                    if convert is not None and value is not None:
                        value = convert(value)
                    values.append(value)
                yield tuple(values)

        if connection.vendor == "postgresql":
            raw = connection.connection
            if raw is None:
                raise RuntimeError("no database connection")
            sql = f'COPY "{table}" ({columns}) FROM STDIN'
            cur = raw.cursor()
            with cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
                for values in tuples():
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            with connection.cursor() as cur:
                cur.executemany(
                    f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',  # noqa: S608
                    list(tuples()),
                )
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + len(rows)
        if self.progress is not None:
            self.progress(label, self.counts[label])


@contextmanager
def foreign_keys_checked_at_end(tables: Iterable[str]) -> Iterator[None]:
    """Inside a transaction: on PostgreSQL, drop the foreign keys of these tables for the block
    and add them back (the same names and definitions) at its end. Adding a key checks every row
    in one pass; a kept key queues a check per row written, which for the 1.5-million city's
    60 million rows took about 15 minutes at commit. A row pointing nowhere fails the block
    when the keys come back, so nothing is loosened in what is committed. Elsewhere a no-op.
    A partitioned table's keys are its parent's (`conparentid = 0`): dropping one drops its
    copies on the partitions (and on a partitioned table it references), adding it makes them
    again."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])"
            " AND c.conparentid = 0"
            " ORDER BY 1, 2",
            [sorted(set(tables))],
        )
        keys = cur.fetchall()
        # a table with checks still queued from earlier in the transaction cannot be altered:
        # run them now, then go back to checking at commit for the keys that stay
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _ in keys:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    with connection.cursor() as cur:
        for table, name, definition in keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
