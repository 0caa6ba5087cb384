"""Change history of records (django-simple-history): every edit of a person, household,
consultation, consent or organization keeps the previous values, who changed them, when, and
through which channel (画面・API・コマンド).

Services set `record._history_user` and `record._history_channel` before saving; a bulk write
goes through this module's `bulk_create_with_history` (not simple_history's own), which announces
the history rows it wrote (`history_rows_written`) so that they join the change history's hash
chain like single writes do (`access/chain.py`; a row outside the chain fails `verify-audit`).
Historical rows are personal data like the record: they are read only through the record's
holder (see `people/selectors.py` `person_history`).

Versioned records (person, consultation, consent, resource …) refuse a stale save through the one
`refuse_stale` here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from itertools import batched
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, models, router
from django.dispatch import Signal, receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from tsunagu.core.bulk import in_clause, instances_insert

# sent with `ids` (of the historical rows just written, in order) after a bulk write with history
history_rows_written = Signal()


class HistoryChannel(models.Model):
    """The channel a change came through, on every historical row."""

    history_channel = models.CharField("経路", max_length=8, blank=True)

    class Meta:
        abstract = True


def history(**kwargs: Any) -> HistoricalRecords:
    """The history of a model, with the change's channel."""
    return HistoricalRecords(bases=[HistoryChannel], **kwargs)


@receiver(pre_create_historical_record)
def _record_channel(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    history_instance.history_channel = str(getattr(instance, "_history_channel", "") or "")


def bulk_create_with_history[M: models.Model](
    objs: list[M],
    model: type[M],
    *,
    batch_size: int | None = None,
    default_user: Any = None,
    custom_historical_attrs: dict[str, Any] | None = None,
) -> list[M]:
    """Insert new records and their `+` history rows, then announce the history rows written
    (`history_rows_written`, with their ids in order).

    The history rows are what simple_history's own bulk create writes (every tracked column,
    the user, `+`, no change reason, the extra attributes such as the channel), but copied by
    the database from the rows just inserted (`INSERT … SELECT`, one statement per batch), not
    built as model instances; the history date is one time for the whole call."""
    created = instances_insert(objs, batch_size=batch_size or 1000)
    ids = [o.pk for o in created]
    if not ids:
        return created
    # unscoped: the history table of those records, to copy them into
    history_model = model.history.model  # type: ignore[attr-defined]
    connection = connections[router.db_for_write(history_model)]
    fixed = {
        "history_date": timezone.now(),
        "history_user_id": getattr(default_user, "pk", default_user),
        "history_change_reason": None,
        "history_type": "+",
        **(custom_historical_attrs or {}),
    }
    tracked = {f.attname for f in history_model.tracked_fields}
    source = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    columns: list[str] = []
    selected: list[str] = []
    params: list[Any] = []
    for f in history_model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(quote(f.column))
        if f.attname in fixed:
            selected.append("%s")
            value = fixed[f.attname]
            value = value.value if isinstance(value, Enum) else value  # a choice: its code
            params.append(f.get_db_prep_save(value, connection))
        elif f.attname in tracked:
            selected.append(quote(source[f.attname]))
        else:
            raise TypeError(f"{history_model.__name__}.{f.attname}: no value for a history row")
    key = quote(str(model._meta.pk.column))
    statement = (
        f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} "
        "WHERE {where} ORDER BY " + key + " RETURNING " + quote(str(history_model._meta.pk.column))
    )
    written: list[int] = []
    limit = max(1, (connection.features.max_query_params or 60_000) - len(params))
    with connection.cursor() as cursor:
        for batch in batched(ids, min(batch_size or 1000, limit)):
            where, where_params = in_clause(connection, key, batch)
            cursor.execute(statement.format(where=where), [*params, *where_params])
            written.extend(pk for (pk,) in cursor.fetchall())
    history_rows_written.send(sender=history_model, ids=sorted(written))
    return created


def changed_by(record: models.Model, *, user: Any, channel: str) -> None:
    """Name who is about to save `record`, and through which channel."""
    record._history_user = user  # type: ignore[attr-defined]
    record._history_channel = channel  # type: ignore[attr-defined]


# the access log's channels (access.AccessLog.Channel), named for the history table
CHANNEL_LABELS = {"web": "画面", "api": "API", "cli": "コマンド"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: Any  # the staff member, or None for a command without one
    channel: str
    kind: str  # 登録 / 変更 / 削除
    changes: list[FieldChange]
    version: int | None = None  # the record's version after this change, where it has one

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)


def changes(record_history: Any) -> list[HistoryEntry]:
    """The history of one record, newest first: when, who, channel, kind and the fields that
    changed with their old and new values."""
    entries = list(record_history.select_related("history_user").order_by("-history_date", "-pk"))
    out = []
    for i, entry in enumerate(entries):
        previous = entries[i + 1] if i + 1 < len(entries) else None
        diffs = []
        if previous is not None:
            delta = entry.diff_against(previous)
            for change in delta.changes:
                if change.field in ("version", "revision", "updated_at"):
                    continue
                field = entry.instance._meta.get_field(change.field)
                diffs.append(
                    FieldChange(
                        field=str(getattr(field, "verbose_name", change.field)),
                        old=change.old,
                        new=change.new,
                    )
                )
        out.append(
            HistoryEntry(
                at=entry.history_date,
                user=entry.history_user,
                channel=entry.history_channel,
                kind={"+": "登録", "~": "変更", "-": "削除"}[entry.history_type],
                changes=diffs,
                version=getattr(entry, version_field(entry.instance_type), None),
            )
        )
    return out


class StaleEdit(ValidationError):
    """A save made from an older version than the one stored: nothing was written. Pages show
    the message on the form; the API answers 409 with it and the current version."""

    def __init__(self, message: Any, *, current: int | None = None) -> None:
        super().__init__(message)
        self.current = current


def stale_message(*, who: Any, fields: list[str], current: int | None = None) -> str:
    """The one message of a refused stale save: who changed the record and which fields."""
    name = ""
    if who is not None:
        name = f"{who.get_full_name() or who.username}さんが"
    changed = f"（変更された項目: {'、'.join(fields)}）" if fields else ""
    now = f"（現在 第{current}版）" if current is not None else ""
    return (
        f"この記録は、画面を開いた後に{name}変更しました{changed}{now}。"
        "上書きはしていません。最新の内容を確かめてから、もう一度保存してください"
    )


def version_field(model: Any) -> str:
    """The field a record's edits are counted in: `version`, or the model's
    `edit_version_field` where `version` is something staff see as 版 (a support plan)."""
    return str(getattr(model, "edit_version_field", "version"))


def refuse_stale(record: Any, expected_version: int) -> None:
    """No silent overwrite, for every versioned record (a version field and a change history):
    lock the stored row and refuse the save when it moved on since `expected_version` (the
    version the user's form was made from), naming who changed which fields. Call inside the
    save's transaction, before applying the new values; the caller then bumps the version.

    Refused (`StaleEdit`), the record's version is the current one: the form comes back with
    it, so saving again after reading the message is a deliberate overwrite."""
    field = version_field(record)
    # unscoped: the one record the calling service is saving for its holder, locked for the save
    current = type(record)._default_manager.select_for_update().get(pk=record.pk)
    setattr(record, field, getattr(current, field))
    if getattr(current, field) == expected_version:
        return
    entries = changes(record.history)  # unscoped: the record's own history, for its holder
    newer = [e for e in entries if e.version is not None and e.version > expected_version]
    fields = sorted({c.field for e in newer for c in e.changes})
    raise StaleEdit(
        {NON_FIELD_ERRORS: [stale_message(who=newer[0].user if newer else None, fields=fields)]},
        current=getattr(current, field),
    )


def form_version(post: Any) -> int | None:
    """The version of the record an edit form was made from (its hidden `version` field)."""
    value = str(post.get("version", ""))
    return int(value) if value.isdigit() else None


def api_version(*, if_match: str | None, version: int | None) -> int:
    """The version an API client's update was made from: the `If-Match` header (`"3"`, `W/"3"`
    or `3`, as the ETag it read) or the body's `version`. One of them is required, so that an
    API update, like a form, never overwrites blind."""
    if if_match:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 9:
            raise ValidationError(
                {"If-Match": ["If-Match には読んだときの版（ETag の数字）を指定してください"]}
            )
        if version is not None and version != int(tag):
            raise ValidationError({"version": ["version と If-Match の版が食い違っています"]})
        return int(tag)
    if version is None:
        raise ValidationError(
            {
                "version": [
                    "読んだときの版を version（または If-Match ヘッダー）で指定してください"
                    "（他の人の変更を上書きしないため）"
                ]
            }
        )
    return version
