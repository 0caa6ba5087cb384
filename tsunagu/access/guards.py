"""On PostgreSQL, the change history is append-only: after every `migrate`, each change-history
table (one per tracked model, whichever app it belongs to, so a new app is covered as it lands)
and the change history's chain get a trigger that refuses UPDATE and DELETE. Retention's erasure
(`chain.history_erase`) may delete history rows inside its own transaction only, after chaining
an `erase` link for each; the chain itself refuses both always. The access log's own trigger is
in migration `access/0005`."""

from __future__ import annotations

from typing import Any

from django.db import connections

FUNCTION = """
CREATE OR REPLACE FUNCTION history_append_only() RETURNS trigger AS $$
BEGIN
    -- rewriting a row with its own values changes nothing (the test runner's reload does it)
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND TG_ARGV[0] = 'erasable'
       AND current_setting('tsunagu.history_erase', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'change history is append-only (% refused on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def _trigger(table: str, argument: str) -> str:
    return (
        f'DROP TRIGGER IF EXISTS history_append_only ON "{table}";'
        f'CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION history_append_only('{argument}');"
    )


def install_guards(using: str = "default", **kwargs: Any) -> None:
    """Create (or re-create) the triggers; nothing to do on SQLite."""
    from tsunagu.access.chain import history_models
    from tsunagu.access.models import HistoryDigest, HistoryFieldSet

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = set(connection.introspection.table_names())
    statements = [FUNCTION]
    for model in history_models():
        if model._meta.db_table in tables:
            statements.append(_trigger(model._meta.db_table, "erasable"))
    for chain_table in (HistoryDigest._meta.db_table, HistoryFieldSet._meta.db_table):
        if chain_table in tables:
            statements.append(_trigger(chain_table, "never"))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
