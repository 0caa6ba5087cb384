"""Plain rows written in bulk, without model instances (imports write hundreds of thousands).

`rows_insert` is for rows nobody reads back in the same breath (matching keys, topics, the
history chain's links), values given in the order of the named fields and converted by their
fields as the ORM would (dates, times, JSON): on PostgreSQL one `COPY` (each row handed to the
driver's C encoder, nothing quoted by Python), elsewhere one multi-row INSERT per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from itertools import batched
from typing import Any

from django.db import connections, models, router
from django.db.models.fields import AutoFieldMixin

# columns whose Python values the database drivers take as they are
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


def rows_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 2000,
) -> int:
    """Insert `rows` (one value per named field, in that order) into the model's table; returns
    how many. No signals, no `save()`, no ids back: only for rows that need none of them."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{model.__name__}.{name} is not a column")
        columns.append(field)
    converters = [
        None
        if isinstance(f, _PLAIN)
        or (isinstance(f, models.ForeignKey) and isinstance(f.target_field, _PLAIN))
        else f
        for f in columns
    ]
    # names and types from the model's metadata only; every value is data, never SQL
    table = quote(model._meta.db_table)
    names = ", ".join(quote(str(f.column)) for f in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                if not any(converters):
                    # plain values (a choice is a str or int, written as its code): as they are,
                    # a row a call of the driver's C encoder (matching keys: 40 rows a person)
                    for row in rows:
                        copy.write_row(row)
                        written += 1
                    return written
                for row in rows:
                    copy.write_row(
                        [_prepared(v, f, connection) for v, f in zip(row, converters, strict=True)]
                    )
                    written += 1
            return written
        limit = connection.features.max_query_params or 30_000
        size = max(1, min(batch_size, limit // len(columns)))
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        head = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
        for batch in batched(rows, size):
            params = [
                _prepared(v, f, connection)
                for row in batch
                for v, f in zip(row, converters, strict=True)
            ]
            cursor.execute(head + ", ".join([one] * len(batch)), params)
            written += len(batch)
    return written


def instances_insert[M: models.Model](objs: Sequence[M], *, batch_size: int = 1000) -> list[M]:
    """Insert new model instances as `bulk_create` does (auto-now times set, each instance
    given its id and marked saved; no signals, no `save()`), returns them.

    On PostgreSQL without SQL built per value: the ids are taken from the table's sequence in
    one statement, then the rows go by `rows_insert`'s `COPY` (an import's 83,000 persons: the
    ORM's statement building was most of their write's Python). Elsewhere `bulk_create`."""
    if not objs:
        return []
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        # unscoped: the caller's new records, written as given (nothing is read)
        return model._default_manager.bulk_create(objs, batch_size=batch_size)
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj, pk_value in zip(objs, sequence_ids(model, len(objs)), strict=True):
        if obj.pk is not None:
            raise ValueError(f"{model.__name__} {obj.pk} is not new")
        # as `bulk_create` does: a related record must be saved, its id taken (not in the stubs)
        obj._prepare_related_fields_for_save(operation_name="instances_insert")  # type: ignore[attr-defined]
        obj.pk = pk_value
    rows_insert(
        model,
        [pk.name, *(f.name for f in fields)],
        ([obj.pk, *(f.pre_save(obj, True) for f in fields)] for obj in objs),
        batch_size=batch_size,
    )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def sequence_ids(model: type[models.Model], n: int) -> list[int]:
    """`n` new ids from the PostgreSQL sequence of the model's automatic id, ascending, in one
    statement (where the rows' order matters, take them under the lock that orders them)."""
    pk = model._meta.pk
    if pk is None or not isinstance(pk, AutoFieldMixin):
        raise TypeError(f"{model.__name__} has no automatic id")
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, n],
        )
        return sorted(pk_value for (pk_value,) in cursor.fetchall())


def _prepared(value: Any, field: models.Field[Any, Any] | None, connection: Any) -> Any:
    if isinstance(value, Enum):  # a choice: its code (drivers may take the name)
        return value.value
    return value if field is None else field.get_db_prep_save(value, connection)


# between the texts of `text_in_clause`'s one parameter: a control character no text of the
# application holds (matching keys, codes)
_UNIT_SEPARATOR = "\x1f"


def in_clause(connection: Any, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (…)` for these values: on PostgreSQL one array parameter (`= ANY`)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def int_in_clause(connection: Any, column: str, values: Sequence[int]) -> tuple[str, list[Any]]:
    """`in_clause` for thousands of ids: on PostgreSQL one text parameter the server splits
    (as `text_in_clause`); a value that is not an int is refused (TypeError)."""
    if connection.vendor != "postgresql":
        return in_clause(connection, column, values)
    for value in values:
        if type(value) is not int:
            raise TypeError(f"not an id: {value!r}")
    return f"{column} = ANY(string_to_array(%s, ',')::bigint[])", [",".join(map(str, values))]


def text_in_clause(connection: Any, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """`in_clause` for thousands of texts: on PostgreSQL one text parameter the server splits
    (psycopg quotes an array parameter element by element in Python, about 2 µs a text; the
    join is free). A text holding the separator is refused (ValueError)."""
    if connection.vendor != "postgresql":
        return in_clause(connection, column, values)
    joined = _UNIT_SEPARATOR.join(values)
    if joined.count(_UNIT_SEPARATOR) != max(len(values) - 1, 0):
        raise ValueError("a text holds the unit separator (U+001F)")
    return f"{column} = ANY(string_to_array(%s, E'\\x1f'))", [joined]


class AmongIds(models.Lookup[Any]):
    """`field__among_ids=ids`: the ORM's `__in` for a list of many ids, as `int_in_clause`
    (on PostgreSQL one text parameter, not one placeholder per id). Django's `__in` prepares
    every id in Python, the driver quotes each, and the server plans the literal list anew for
    every length; a search or a page of a list with dozens of ids pays all three each time.
    Registered on integer fields and foreign keys (`core.apps`)."""

    lookup_name = "among_ids"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        ids = list(self.rhs)
        for value in ids:
            if type(value) is not int:
                raise TypeError(f"not an id: {value!r}")
        return ids

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = int_in_clause(connection, lhs, self.rhs)
        return sql, (*lhs_params, *params)
