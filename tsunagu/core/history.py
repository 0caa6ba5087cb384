"""Change history of records (django-simple-history): every edit of a person, household,
consultation, consent or organization keeps the previous values, who changed them, when, and
through which channel (画面・API・コマンド).

Services set `record._history_user` and `record._history_channel` before saving; a bulk write
goes through `bulk_create_with_history`. Historical rows are personal data like the record:
they are read only through the record's holder (see `people/selectors.py` `person_history`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


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


def changed_by(record: models.Model, *, user: Any, channel: str) -> None:
    """Name who is about to save `record`, and through which channel."""
    record._history_user = user  # type: ignore[attr-defined]
    record._history_channel = channel  # type: ignore[attr-defined]


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
                if change.field in ("version", "updated_at"):
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
                version=getattr(entry, "version", None),
            )
        )
    return out
