"""PostgreSQL range partitioning by fiscal year (`tsunagu partitions`, docs/performance.md).

A partitioned table has one partition per fiscal year of its time column, named
`<table>_fy2026` and holding [2026-04-01 00:00 +09:00, 2027-04-01 00:00 +09:00), and a DEFAULT
partition `<table>_default` so that a row of a year without a partition is still written.
Indexes, foreign keys, checks and row triggers are defined on the parent and apply to every
partition, those made later too. The primary key includes the time column (PostgreSQL requires
the partition key in every unique key); the ORM still addresses rows by `id` alone, which stays
unique because one identity sequence on the parent hands out every id.

Plain SQL on the catalog, no model imported: the conversion (`partition_by_fiscal_year`, and
`unpartition` to go back) is called by migrations, which must keep meaning what they meant when
they were written, so change it only compatibly. SQLite keeps plain tables; every function here
is for PostgreSQL only, and the callers check the vendor.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from tsunagu.core.fiscal import fiscal_year_of

# partitions made ahead of the current fiscal year, so the year's turn never writes to DEFAULT
YEARS_AHEAD = 1
_FY_SUFFIX = re.compile(r"_fy(\d{4})$")


def fiscal_year_start(fiscal_year: int) -> str:
    """The first instant of a fiscal year as a PostgreSQL literal (Asia/Tokyo midnight, fixed
    offset: the bounds never depend on a session's time zone)."""
    return f"{fiscal_year:04d}-04-01 00:00:00+09"


def partition_name(table: str, fiscal_year: int) -> str:
    return f"{table}_fy{fiscal_year}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def current_fiscal_year(now: dt.datetime | None = None) -> int:
    return fiscal_year_of(timezone.localtime(now or timezone.now()).date())


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Partition:
    name: str
    fiscal_year: int | None  # None for the DEFAULT partition (or one not named by a year)
    is_default: bool
    rows_estimate: int  # the planner's estimate (pg_class.reltuples), -1 if never analysed
    total_bytes: int


def is_partitioned(connection: BaseDatabaseWrapper, table: str) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relkind = 'p' FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [_q(table)],
        )
        row = cur.fetchone()
    return bool(row and row[0])


def partitioned_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Every partitioned table of the current schema (the parents, not their partitions)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE NOT c.relispartition AND c.relnamespace = current_schema()::regnamespace"
            " ORDER BY 1"
        )
        return [r[0] for r in cur.fetchall()]


def fiscal_year_partitioned_tables(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Every table of the current schema range-partitioned by one column, with that column."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, a.attname FROM pg_partitioned_table p"
            " JOIN pg_class c ON c.oid = p.partrelid"
            " JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]"
            " WHERE p.partstrat = 'r' AND p.partnatts = 1 AND NOT c.relispartition"
            " AND c.relnamespace = current_schema()::regnamespace ORDER BY 1"
        )
        return dict(cur.fetchall())


def partitions(connection: BaseDatabaseWrapper, table: str) -> list[Partition]:
    """The partitions of a table, oldest fiscal year first, DEFAULT last."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT',"
            " c.reltuples::bigint, pg_total_relation_size(c.oid)"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)",
            [_q(table)],
        )
        rows = cur.fetchall()
    found = []
    for name, is_default, estimate, size in rows:
        match = _FY_SUFFIX.search(name)
        year = int(match[1]) if match and not is_default else None
        found.append(Partition(name, year, bool(is_default), int(estimate), int(size)))
    return sorted(found, key=lambda p: (p.is_default, p.fiscal_year or 0, p.name))


def _create_partition(cur: Any, table: str, year: int) -> None:
    cur.execute(
        f"CREATE TABLE {_q(partition_name(table, year))} PARTITION OF {_q(table)}"
        f" FOR VALUES FROM ('{fiscal_year_start(year)}') TO ('{fiscal_year_start(year + 1)}')"
    )


def ensure_fiscal_years(
    connection: BaseDatabaseWrapper, table: str, column: str, years: Iterable[int]
) -> list[str]:
    """Create the partitions of these fiscal years that do not exist yet (and the DEFAULT
    partition if missing); return the names created. Rows of such a year already written to
    DEFAULT are moved into the new partition: DEFAULT is detached, the year's partition and a
    new DEFAULT are attached, and DEFAULT's rows are written again through the parent (each
    lands in its own partition, ids and every value unchanged), so no row is ever updated or
    deleted (the access log refuses both). In one transaction; idempotent."""
    from django.db import transaction

    existing = {p.fiscal_year for p in partitions(connection, table) if p.fiscal_year}
    wanted = sorted(set(years) - existing)
    default = default_partition_name(table)
    created: list[str] = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [_q(default)])
        has_default = cur.fetchone()[0]
        moved_from: str | None = None
        if has_default and wanted:
            conditions = " OR ".join(f"({_q(column)} >= %s AND {_q(column)} < %s)" for _ in wanted)
            bounds: list[Any] = []
            for year in wanted:
                bounds += [fiscal_year_start(year), fiscal_year_start(year + 1)]
            cur.execute(
                f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {conditions})",  # noqa: S608
                bounds,
            )
            if cur.fetchone()[0]:
                moved_from = f"{default}_moving"
                # a table with checks still queued in this transaction cannot be altered: run
                # them now (they would run at commit), then go back to checking at commit
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")
                cur.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(default)}")
                cur.execute(f"ALTER TABLE {_q(default)} RENAME TO {_q(moved_from)}")
                has_default = False
        for year in wanted:
            name = partition_name(table, year)
            _create_partition(cur, table, year)
            created.append(name)
        if not has_default:
            cur.execute(f"CREATE TABLE {_q(default)} PARTITION OF {_q(table)} DEFAULT")
            if moved_from is None:
                created.append(default)
        if moved_from is not None:
            cur.execute(
                f"INSERT INTO {_q(table)} OVERRIDING SYSTEM VALUE"  # noqa: S608
                f" SELECT * FROM {_q(moved_from)}"
            )
            cur.execute(f"DROP TABLE {_q(moved_from)}")
    return created


def ensure_ahead(
    connection: BaseDatabaseWrapper,
    table: str,
    column: str,
    *,
    now: dt.datetime | None = None,
    ahead: int = YEARS_AHEAD,
) -> list[str]:
    """This fiscal year's partition and the next `ahead` years' (see `ensure_fiscal_years`)."""
    year = current_fiscal_year(now)
    return ensure_fiscal_years(connection, table, column, range(year, year + ahead + 1))


def ensure_ahead_everywhere(connection: BaseDatabaseWrapper, **kwargs: Any) -> dict[str, list[str]]:
    """`ensure_ahead` for every fiscal-year-partitioned table; nothing on SQLite."""
    if connection.vendor != "postgresql":
        return {}
    return {
        table: ensure_ahead(connection, table, column, **kwargs)
        for table, column in fiscal_year_partitioned_tables(connection).items()
    }


# --- converting a table ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What a table carries besides its columns, read from the catalog before it is rebuilt."""

    primary_key: tuple[str, list[str]]  # name, columns
    indexes: list[str]  # CREATE INDEX statements (naming the table by its current name)
    constraints: list[tuple[str, str]]  # (name, definition): checks, foreign keys, unique
    triggers: list[str]  # CREATE TRIGGER statements
    sequence: str | None  # the id column's identity or serial sequence
    grants: list[str]  # GRANT statements: the privileges of roles other than the owner


def _shape(cur: Any, table: str) -> _Shape:
    cur.execute(
        "SELECT c.conname, array_agg(a.attname ORDER BY k.n)"
        " FROM pg_constraint c"
        " CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
        " WHERE c.conrelid = to_regclass(%s) AND c.contype = 'p' GROUP BY c.conname",
        [_q(table)],
    )
    pk_name, pk_columns = cur.fetchone()
    cur.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
        " AND c.conrelid = i.indrelid)"
        " ORDER BY i.indexrelid",
        [_q(table)],
    )
    # a partitioned table's index reads "ON ONLY t": the index is made again on the whole table
    indexes = [r[0].replace(" ON ONLY ", " ON ", 1) for r in cur.fetchall()]
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass(%s) AND contype IN ('c', 'f', 'u', 'x')"
        " AND conparentid = 0 ORDER BY contype, conname",
        [_q(table)],
    )
    constraints = cur.fetchall()
    cur.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
        " WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname",
        [_q(table)],
    )
    triggers = [r[0] for r in cur.fetchall()]
    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [_q(table)])
    sequence = cur.fetchone()[0]
    cur.execute(
        "SELECT format('GRANT %%s ON TABLE %%I TO %%s%%s', a.privilege_type, c.relname,"
        " CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,"
        " CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)"
        " FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
        " LEFT JOIN pg_roles r ON r.oid = a.grantee"
        " WHERE c.oid = to_regclass(%s) AND a.grantee <> c.relowner ORDER BY 1",
        [_q(table)],
    )
    grants = [r[0] for r in cur.fetchall()]
    return _Shape((pk_name, list(pk_columns)), indexes, constraints, triggers, sequence, grants)


def _referenced_by(cur: Any, table: str) -> list[str]:
    cur.execute(
        "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint"
        " WHERE confrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0",
        [_q(table)],
    )
    return [r[0] for r in cur.fetchall()]


def _rebuild(
    cur: Any,
    table: str,
    shape: _Shape,
    *,
    partition_by: str | None,
    primary_key: list[str],
    years: Iterable[int] = (),
) -> None:
    """Replace `table` by a new one of the same columns, partitioned by `partition_by` (or plain
    when None), holding the same rows; then put back its key, indexes, constraints, triggers
    and id sequence (same names). Loading before indexing: each index is built once, in bulk."""
    old = f"{table}_rebuilt_from"
    cur.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    last_value = None
    if shape.sequence:
        cur.execute(f"SELECT last_value, is_called FROM {shape.sequence}")  # noqa: S608
        last_value = cur.fetchone()
        cur.execute(f"ALTER SEQUENCE {shape.sequence} RENAME TO {_q(old + '_id_seq')}")
    partitioned = f" PARTITION BY RANGE ({_q(partition_by)})" if partition_by else ""
    cur.execute(
        f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY"
        f" INCLUDING STORAGE INCLUDING COMMENTS){partitioned}"
    )
    if partition_by:
        for year in sorted(set(years)):
            _create_partition(cur, table, year)
        cur.execute(
            f"CREATE TABLE {_q(default_partition_name(table))} PARTITION OF {_q(table)} DEFAULT"
        )
    cur.execute(
        f"INSERT INTO {_q(table)} OVERRIDING SYSTEM VALUE SELECT * FROM {_q(old)}"  # noqa: S608
    )
    if last_value is not None:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)",
            [_q(table), last_value[0], last_value[1]],
        )
    cur.execute(f"DROP TABLE {_q(old)} CASCADE")
    # the index builds sort every row: give them room (for this transaction only)
    cur.execute(
        "SELECT set_config('maintenance_work_mem', '256MB', true)"
        " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('256MB')"
    )
    pk_name, _ = shape.primary_key
    cur.execute(
        f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(pk_name)}"
        f" PRIMARY KEY ({', '.join(_q(c) for c in primary_key)})"
    )
    for statement in shape.indexes:
        cur.execute(statement)
    for name, definition in shape.constraints:
        cur.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for statement in shape.triggers:
        cur.execute(statement)
    for statement in shape.grants:  # an application role that is not the owner keeps its rights
        cur.execute(statement)
    cur.execute(f"ANALYZE {_q(table)}")


def partition_by_fiscal_year(
    connection: BaseDatabaseWrapper, table: str, column: str, *, now: dt.datetime | None = None
) -> None:
    """Turn a plain table into one range-partitioned by the fiscal year of `column`: a partition
    for every fiscal year its rows fall in, up to `YEARS_AHEAD` past the current one, and
    DEFAULT. The rows are copied set-based (one INSERT … SELECT, before any index exists); ids,
    the id sequence's position, the names of the key, indexes, constraints and triggers, and
    other roles' privileges are kept; the primary key gains `column`. No-op if already
    partitioned; PostgreSQL only; inside the caller's transaction (a migration's)."""
    if is_partitioned(connection, table):
        return
    with connection.cursor() as cur:
        referencing = _referenced_by(cur, table)
        if referencing:
            raise ValueError(f"{table} is referenced by foreign keys: {', '.join(referencing)}")
        shape = _shape(cur, table)
        if any(" UNIQUE " in f" {d} " for _, d in shape.constraints) or any(
            i.startswith("CREATE UNIQUE") for i in shape.indexes
        ):
            raise ValueError(f"{table} has a unique key besides its primary key")
        cur.execute(
            f"SELECT min({_q(column)}), max({_q(column)}) FROM {_q(table)}"  # noqa: S608
        )
        first, last = cur.fetchone()
    current = current_fiscal_year(now)
    oldest = fiscal_year_of(timezone.localtime(first).date()) if first else current
    newest = max(current, fiscal_year_of(timezone.localtime(last).date()) if last else current)
    _, pk_columns = shape.primary_key
    key = pk_columns if column in pk_columns else [*pk_columns, column]
    with connection.cursor() as cur:
        _rebuild(
            cur,
            table,
            shape,
            partition_by=column,
            primary_key=key,
            years=range(oldest, newest + YEARS_AHEAD + 1),
        )


def unpartition(connection: BaseDatabaseWrapper, table: str, column: str) -> None:
    """The reverse of `partition_by_fiscal_year`: one plain table with the same rows, the
    primary key without `column` again. No-op if not partitioned."""
    if not is_partitioned(connection, table):
        return
    with connection.cursor() as cur:
        shape = _shape(cur, table)
        _, pk_columns = shape.primary_key
        key = [c for c in pk_columns if c != column] or pk_columns
        _rebuild(cur, table, shape, partition_by=None, primary_key=key)
