"""The access log as a hash chain: each row carries the hash of the row before it and its own,
so a changed, removed or reordered row breaks the chain at that place (`tsunagu verify-audit`).

Rows are appended under a lock on the single `AuditChainHead` row, which also holds the hash of
the newest row (so removing the last rows is noticed too). On PostgreSQL a trigger refuses UPDATE
and DELETE on the log table (migration `access/0005`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction

from tsunagu.access.models import AccessLog, AuditChainHead

GENESIS = "0" * 64


def row_hash(row: AccessLog, prev_hash: str) -> str:
    """The hash of a row: its previous row's hash and every field that says what happened."""
    fields = [
        prev_hash,
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


def chain_append(rows: Sequence[AccessLog]) -> list[AccessLog]:
    """Write rows at the end of the chain (in one transaction, under the chain's lock)."""
    if not rows:
        return []
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        prev = head.last_hash
        for row in rows:
            row.prev_hash = prev
            row.hash = row_hash(row, prev)
            prev = row.hash
        created = AccessLog.objects.bulk_create(rows, batch_size=500)
        head.last_hash = prev
        head.count += len(rows)
        head.save(update_fields=["last_hash", "count"])
    return created


@dataclass(frozen=True)
class Break:
    """Where the chain first breaks, and how."""

    row_id: int | None
    reason: str


def chain_verify(*, batch: int = 5000) -> Break | None:
    """Walk the whole log in order; None when every row is intact and nothing is missing."""
    prev = GENESIS
    count = 0
    for row in _rows(batch):
        if row.prev_hash != prev:
            return Break(row.pk, "前の記録が削除されたか、順序が入れ替えられています")
        if row.hash != row_hash(row, prev):
            return Break(row.pk, "記録の内容が書き換えられています")
        prev = row.hash
        count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return None if count == 0 else Break(None, "チェーンの先頭情報がありません")
    if head.last_hash != prev or head.count != count:
        return Break(None, "最後の記録が削除されています（件数または最終ハッシュが一致しません）")
    return None


def _rows(batch: int) -> Iterator[AccessLog]:
    last = 0
    while True:
        rows = list(AccessLog.objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].pk
