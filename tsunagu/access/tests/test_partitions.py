"""On PostgreSQL the access log is partitioned by the fiscal year of `at` (migration
`access/0012`, `core/partitioning.py`): each row lands in its year's partition (DEFAULT when the
year has none), the append-only trigger holds on every partition, `tsunagu partitions` makes the
years ahead without touching what exists and moves rows out of DEFAULT, and converting the table
(both ways) keeps every row, id, hash and the id sequence's position."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tsunagu.access.chain import chain_append, chain_verify
from tsunagu.access.models import AccessLog
from tsunagu.core.partitioning import (
    current_fiscal_year,
    ensure_fiscal_years,
    is_partitioned,
    partition_by_fiscal_year,
    partitions,
    unpartition,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is for PostgreSQL only"
)

TABLE = "access_accesslog"
TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A Tokyo wall-clock time, as the instant in UTC (as `timezone.now()` gives it: the row's
    hash covers `at` as written)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=TOKYO).astimezone(dt.UTC)


def write(*moments: dt.datetime) -> list[AccessLog]:
    """One command row (no organization: the shared chain) at each moment."""
    return chain_append(
        [
            AccessLog(
                at=at,
                operator="partition-test",
                channel=AccessLog.Channel.CLI,
                action=AccessLog.Action.VIEW,
                object_type="people.person",
                object_id=str(n),
                via=AccessLog.Via.ROLE,
            )
            for n, at in enumerate(moments, start=1)
        ]
    )


def partition_of(row: AccessLog) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [row.pk])  # noqa: S608
        return str(cur.fetchone()[0])


def rows_as_stored() -> list[tuple[object, ...]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {TABLE} ORDER BY id")  # noqa: S608
        return list(cur.fetchall())


def flush_deferred_checks() -> None:
    """The test's transaction holds queued foreign-key checks, which keep a table from being
    altered: run them now (a migration or `tsunagu partitions` runs in a transaction of its
    own)."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")


def test_the_log_is_partitioned_with_this_year_next_year_and_default(db: None) -> None:
    assert is_partitioned(connection, TABLE)
    year = current_fiscal_year()
    found = partitions(connection, TABLE)
    assert {p.fiscal_year for p in found if not p.is_default} >= {year, year + 1}
    assert [p.name for p in found if p.is_default] == [f"{TABLE}_default"]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary"
            " ORDER BY a.attnum",
            [TABLE],
        )
        assert [r[0] for r in cur.fetchall()] == ["id", "at"]


def test_rows_land_in_their_fiscal_years_partition(db: None) -> None:
    year = current_fiscal_year()
    first, last, next_year, before = write(
        tokyo(year, 4, 1, 0, 0),  # the first instant of the fiscal year, Tokyo time
        tokyo(year + 1, 3, 31, 23, 59, 59),  # its last second
        tokyo(year + 1, 4, 1, 0, 0),
        tokyo(year - 30, 3, 31, 23, 59, 59),  # a year without a partition
    )
    assert partition_of(first) == f"{TABLE}_fy{year}"
    assert partition_of(last) == f"{TABLE}_fy{year}"
    assert partition_of(next_year) == f"{TABLE}_fy{year + 1}"
    assert partition_of(before) == f"{TABLE}_default"
    # the ORM reads them through the parent by id alone
    assert AccessLog.objects.get(pk=before.pk).object_id == before.object_id
    assert chain_verify() is None


@pytest.mark.parametrize("target", [TABLE, f"{TABLE}_fy{{year}}", f"{TABLE}_default"])
def test_every_partition_refuses_update_and_delete(db: None, target: str) -> None:
    year = current_fiscal_year()
    table = target.format(year=year)
    write(tokyo(year, 6, 1, 9, 0), tokyo(year - 30, 6, 1, 9, 0))
    for statement in (
        f"UPDATE {table} SET action = 'list'",  # noqa: S608
        f"DELETE FROM {table}",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement)
    assert AccessLog.objects.count() == 2


def test_ensure_is_idempotent_and_moves_default_rows(db: None) -> None:
    old_year = current_fiscal_year() - 30
    rows = write(tokyo(old_year, 4, 1, 0, 0), tokyo(old_year + 1, 3, 31, 23, 0), tokyo(1990, 1, 1))
    assert [partition_of(r) for r in rows] == [f"{TABLE}_default"] * 3
    before = rows_as_stored()
    flush_deferred_checks()

    assert ensure_fiscal_years(connection, TABLE, "at", [old_year]) == [f"{TABLE}_fy{old_year}"]

    assert [partition_of(r) for r in rows] == [f"{TABLE}_fy{old_year}"] * 2 + [f"{TABLE}_default"]
    assert rows_as_stored() == before  # the same rows, ids and hashes
    assert chain_verify() is None
    assert ensure_fiscal_years(connection, TABLE, "at", [old_year]) == []
    # the new DEFAULT and the new partition guard the log like the others
    for statement in (
        f"DELETE FROM {TABLE}_default",  # noqa: S608
        f"UPDATE {TABLE}_fy{old_year} SET object_id = ''",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement)


def test_the_command_lists_and_makes_years_ahead(db: None) -> None:
    year = current_fiscal_year()
    out = StringIO()
    call_command("partitions", "--ahead", "3", stdout=out)
    text = out.getvalue()
    assert f"作成: {TABLE}_fy{year + 3}" in text
    assert f"{TABLE}_fy{year}\t" in text and f"{TABLE}_default\t既定" in text
    again = StringIO()
    call_command("partitions", "--ahead", "3", stdout=again)
    assert "作成" not in again.getvalue()


def test_converting_both_ways_keeps_every_row_and_the_sequence(db: None) -> None:
    year = current_fiscal_year()
    write(
        tokyo(year - 3, 5, 1, 10, 0),
        tokyo(year - 2, 3, 31, 23, 59),
        tokyo(year, 4, 1, 0, 0),
        tokyo(year, 12, 1, 8, 30),
    )
    before = rows_as_stored()
    flush_deferred_checks()
    with connection.cursor() as cur:  # a role's rights (here PUBLIC's) go with the table
        cur.execute(f"GRANT SELECT, INSERT ON {TABLE} TO PUBLIC")

    unpartition(connection, TABLE, "at")
    assert not is_partitioned(connection, TABLE)
    assert rows_as_stored() == before
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'p'",
            [TABLE],
        )
        assert cur.fetchone()[0] == "PRIMARY KEY (id)"

    partition_by_fiscal_year(connection, TABLE, "at")
    assert is_partitioned(connection, TABLE)
    assert rows_as_stored() == before
    years = {p.fiscal_year for p in partitions(connection, TABLE) if not p.is_default}
    # every year the rows fall in, up to next year (FY year-3 to FY year-2 are both there)
    assert years == set(range(year - 3, year + 2))
    assert chain_verify() is None
    # the index, check and key names Django knows are kept
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
        indexes = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", [TABLE])
        constraints = {r[0] for r in cur.fetchall()}
    assert {"access_accesslog_pkey", "access_log_chain_idx"} <= indexes
    assert "access_log_names_who" in constraints
    with connection.cursor() as cur:
        cur.execute("SELECT relacl::text FROM pg_class WHERE oid = %s::regclass", [TABLE])
        assert "=ar/" in cur.fetchone()[0]  # PUBLIC: INSERT (a) and SELECT (r)
    # the id sequence goes on past the copied rows; the trigger still refuses
    (new,) = write(tokyo(year, 12, 2, 9, 0))
    assert new.pk > max(int(str(row[0])) for row in before)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=new.pk).update(action="list")


PLAIN = ("access", "0011_access_log_chain_per_municipality")


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_to_a_plain_table_and_forward_again() -> None:
    year = current_fiscal_year()
    write(tokyo(year - 2, 7, 1, 9, 0), tokyo(year, 4, 1, 0, 0), tokyo(year, 5, 1, 12, 0))
    before = rows_as_stored()
    try:
        MigrationExecutor(connection).migrate([PLAIN])
        assert not is_partitioned(connection, TABLE)
        assert rows_as_stored() == before
    finally:
        # forward again to the app's latest migration (those after 0012 too)
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("access"))
    assert is_partitioned(connection, TABLE)
    assert rows_as_stored() == before
    assert {p.fiscal_year for p in partitions(connection, TABLE)} >= {year - 2, year, year + 1}
    assert chain_verify() is None
