"""Chain the rows written before the hash chain existed, start its head, and on PostgreSQL make
the access log append-only (UPDATE and DELETE refused by a trigger)."""

import hashlib

from django.db import migrations

GENESIS = "0" * 64


def _hash(row, prev):
    # the same fields, in the same order, as tsunagu/access/chain.py row_hash (kept here so that
    # the migration does not import application code)
    fields = [
        prev,
        row.at.isoformat(),
        str(row.user_id or ""),
        str(row.organization_id or ""),
        row.operator,
        row.action,
        str(row.person_id or ""),
        row.object_type,
        row.object_id,
        row.via,
        str(row.grant_id or ""),
        row.channel,
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def chain_existing(apps, schema_editor):
    AccessLog = apps.get_model("access", "AccessLog")
    Head = apps.get_model("access", "AuditChainHead")
    prev = GENESIS
    count = 0
    for row in AccessLog.objects.order_by("pk").iterator(chunk_size=2000):
        row.prev_hash = prev
        row.hash = _hash(row, prev)
        row.save(update_fields=["prev_hash", "hash"])
        prev = row.hash
        count += 1
    Head.objects.update_or_create(pk=1, defaults={"last_hash": prev, "count": count})


GUARD = """
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access log is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE ON access_accesslog
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS access_log_append_only ON access_accesslog;
DROP FUNCTION IF EXISTS access_log_append_only();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("access", "0004_audit_chain")]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
