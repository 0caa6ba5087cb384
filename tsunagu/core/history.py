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
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.dispatch import Signal, receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_create_with_history as _bulk_create_with_history

# sent with `rows` (the historical rows just written) after a bulk write with history
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
    objs: list[M], model: type[M], **kwargs: Any
) -> list[M]:
    """simple_history's bulk create, then the news of the history rows it wrote (all of them
    are new: the records are)."""
    created: list[M] = _bulk_create_with_history(objs, model, **kwargs)
    ids = [o.pk for o in created]
    if ids:
        manager = model.history  # type: ignore[attr-defined]  # unscoped: the rows just written
        rows = list(manager.filter(id__in=ids).order_by("history_id"))
        history_rows_written.send(sender=manager.model, rows=rows)
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
