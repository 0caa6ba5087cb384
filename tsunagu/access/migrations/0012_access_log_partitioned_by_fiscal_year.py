"""On PostgreSQL, the access log becomes a table range-partitioned by the fiscal year of `at`
(`access_accesslog_fy2026`, … and `access_accesslog_default`): its rows copied set-based, ids,
the id sequence, index, constraint and trigger names kept (the append-only trigger of `0005`
is on the parent, so on every partition); the primary key becomes (id, at). SQLite keeps the
plain table. Reversible (one plain table again). See `tsunagu/core/partitioning.py`."""

from django.db import migrations

TABLE = "access_accesslog"
COLUMN = "at"


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tsunagu.core.partitioning import partition_by_fiscal_year

    partition_by_fiscal_year(schema_editor.connection, TABLE, COLUMN)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from tsunagu.core.partitioning import unpartition

    unpartition(schema_editor.connection, TABLE, COLUMN)


class Migration(migrations.Migration):
    dependencies = [("access", "0011_access_log_chain_per_municipality")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
