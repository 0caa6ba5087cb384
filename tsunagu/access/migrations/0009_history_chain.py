"""The change history's hash chain: a link per history row already written (the same digest as
tsunagu/access/chain.py `history_row_digest` and `link_hash`, kept here so that the migration does
not import application code). The append-only triggers are installed after every migrate
(`access/guards.py`)."""

import hashlib
import json

import django.utils.timezone
from django.db import migrations, models

GENESIS = "0" * 64


def _digest(values, names):
    text = json.dumps(
        {name: values[name] for name in names}, sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link_hash(link, prev):
    fields = [
        prev,
        link.at.isoformat(),
        link.model,
        str(link.history_id),
        link.kind,
        link.digest,
        link.field_set,
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def chain_existing(apps, schema_editor):
    Digest = apps.get_model("access", "HistoryDigest")
    FieldSet = apps.get_model("access", "HistoryFieldSet")
    Head = apps.get_model("access", "AuditChainHead")
    now = django.utils.timezone.now()
    prev = GENESIS
    count = 0
    history_tables = [
        m
        for m in apps.get_models()
        if m.__name__.startswith("Historical")
        and {"history_id", "history_channel"} <= {f.name for f in m._meta.fields}
    ]
    for model in sorted(history_tables, key=lambda m: m._meta.label_lower):
        label = model._meta.label_lower
        names = [f.attname for f in model._meta.concrete_fields]
        key = hashlib.sha256(f"{label}|{','.join(names)}".encode()).hexdigest()
        FieldSet.objects.get_or_create(key=key, defaults={"model": label, "fields": ",".join(names)})
        for values in model._default_manager.order_by("history_id").values(*names).iterator():
            link = Digest(
                at=now,
                model=label,
                history_id=values["history_id"],
                kind="write",
                digest=_digest(values, names),
                field_set=key,
            )
            link.prev_hash = prev
            link.hash = _link_hash(link, prev)
            link.save()
            prev = link.hash
            count += 1
    if count:
        Head.objects.update_or_create(pk=2, defaults={"last_hash": prev, "count": count})


class Migration(migrations.Migration):
    dependencies = [("access", "0008_case_team_grants")]

    operations = [
        migrations.CreateModel(
            name="HistoryDigest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("model", models.CharField(max_length=100, verbose_name="履歴の表")),
                ("history_id", models.BigIntegerField(verbose_name="履歴のID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("write", "記録"), ("erase", "保存期間経過による消去")],
                        default="write",
                        max_length=8,
                        verbose_name="種類",
                    ),
                ),
                ("digest", models.CharField(blank=True, max_length=64, verbose_name="内容のハッシュ")),
                ("field_set", models.CharField(blank=True, max_length=64, verbose_name="列の組")),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "変更履歴の連鎖",
                "verbose_name_plural": "変更履歴の連鎖",
                "indexes": [models.Index(fields=["model", "history_id"], name="access_hist_model_9fac2c_idx")],
            },
        ),
        migrations.CreateModel(
            name="HistoryFieldSet",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("model", models.CharField(max_length=100, verbose_name="履歴の表")),
                ("fields", models.TextField(verbose_name="列")),
            ],
            options={"verbose_name": "変更履歴の列の組", "verbose_name_plural": "変更履歴の列の組"},
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
