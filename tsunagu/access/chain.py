"""The access log and the change history as hash chains (`tsunagu verify-audit`).

The access log: each row carries the hash of the row before it and its own, so a changed,
removed or reordered row breaks the chain at that place. Each municipality's rows form their own
chain (a prefecture-wide platform's cities never wait on each other's lock); rows of no
organization, and those written before the split, form the shared chain. Rows are appended
under a lock on their chain's `AuditChainHead` row, which also holds the hash of the newest row
(so removing the last rows is noticed too). On PostgreSQL a trigger refuses UPDATE and DELETE
on the log table (migration `access/0005`).

The change history (django-simple-history's tables, one per tracked model): every history row
written appends a `HistoryDigest` link to a second chain (head row 2) with a digest of the row's
values, so a history row that is changed, removed, reordered (its date or id moved) or slipped in
without a link is named by `verify-audit`. Retention erases old history only through
`history_erase`, which appends an `erase` link per row first. On PostgreSQL the history tables
refuse UPDATE, and DELETE unless `history_erase` opened the way in its own transaction; the
digest table refuses both (`access/guards.py`, installed after every migrate).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import post_create_historical_record

from tsunagu.access.models import AccessLog, AuditChainHead, HistoryDigest, HistoryFieldSet
from tsunagu.core.bulk import rows_insert, sequence_ids
from tsunagu.core.history import HistoryChannel, history_rows_written
from tsunagu.organizations.models import Organization

GENESIS = "0" * 64
ACCESS_LOG_CHAIN = 1
HISTORY_CHAIN = 2


class ChainedRow(Protocol):
    """What a row's hash is made of: an `AccessLog`, or a generated row not yet written."""

    @property
    def at(self) -> dt.datetime: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def organization_id(self) -> int | None: ...
    @property
    def operator(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def person_id(self) -> int | None: ...
    @property
    def object_type(self) -> str: ...
    @property
    def object_id(self) -> str: ...
    @property
    def via(self) -> str: ...
    @property
    def grant_id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...


def row_hash(row: ChainedRow, prev_hash: str) -> str:
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


MUNICIPAL_CHAIN_BASE = 1000


def municipal_chain(municipality_id: int | None) -> int:
    """The chain head of a municipality's access log (the shared chain for None)."""
    return ACCESS_LOG_CHAIN if municipality_id is None else MUNICIPAL_CHAIN_BASE + municipality_id


def _with_municipality(rows: Sequence[AccessLog]) -> None:
    """Each row's municipality, from its organization (one query for those not known)."""
    missing = {r.organization_id for r in rows if r.municipality_id is None and r.organization_id}
    if not missing:
        return
    cached = {
        r.organization_id: r.organization.municipality_id
        for r in rows
        if r.organization_id in missing
        and AccessLog.organization.is_cached(r)
        and r.organization is not None
    }
    if len(cached) < len(missing):
        cached.update(
            Organization.objects.filter(pk__in=missing - cached.keys()).values_list(
                "pk", "municipality_id"
            )
        )
    for r in rows:
        if r.municipality_id is None and r.organization_id:
            r.municipality_id = cached[r.organization_id]


def chain_append(rows: Sequence[AccessLog]) -> list[AccessLog]:
    """Write rows at the end of their municipality's chain (in one transaction, under the lock
    of that chain's head only: two cities never wait for each other)."""
    if not rows:
        return []
    _with_municipality(rows)
    chains: dict[int | None, list[AccessLog]] = {}
    for row in rows:
        chains.setdefault(row.municipality_id, []).append(row)
    with transaction.atomic():
        if connection.vendor == "postgresql" and _append_postgresql(rows, chains):
            return list(rows)
        # heads locked in one order (by key), so two writers never wait on each other in a cycle
        for municipality_id in sorted(chains, key=lambda m: m or 0):
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(
                pk=municipal_chain(municipality_id),
                defaults={"last_hash": GENESIS, "municipality_id": municipality_id},
            )
            head.last_hash = _chained(chains[municipality_id], head.last_hash)
            head.count += len(chains[municipality_id])
            head.save(update_fields=["last_hash", "count"])
        created = AccessLog.objects.bulk_create(rows, batch_size=500)
    return created


def _chained(rows: Sequence[AccessLog], prev: str) -> str:
    """Each row's previous and own hash, after `prev`; the last hash."""
    for row in rows:
        row.prev_hash = prev
        row.hash = row_hash(row, prev)
        prev = row.hash
    return prev


# The access log's columns (all but the id), the statement that moves the locked heads and
# inserts the rows in one round trip, and the move alone (built once: `_append_sql`).
_APPEND: tuple[list[models.Field[Any, Any]], str, str] | None = None
# From this many rows an append goes by COPY (an import's tens of thousands at its end): sent
# as arrays, psycopg quotes every value in Python, a second for 83,000 rows, under the lock.
COPY_ROWS = 1000


def _append_sql() -> tuple[list[models.Field[Any, Any]], str, str]:
    global _APPEND
    if _APPEND is None:
        quote = connection.ops.quote_name
        fields = [f for f in AccessLog._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(quote(str(f.column)) for f in fields)
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        head = quote(AuditChainHead._meta.db_table)
        # names from the models' metadata only; every value is a parameter
        log = quote(AccessLog._meta.db_table)
        key = quote(str(AccessLog._meta.pk.column))
        moved = (
            f"UPDATE {head} SET last_hash = v.last_hash, count = {head}.count + v.n"  # noqa: S608
            " FROM UNNEST(%s::bigint[], %s::varchar[], %s::bigint[]) AS v(id, last_hash, n)"
            f" WHERE {head}.id = v.id RETURNING 1"
        )
        insert = f"INSERT INTO {log} ({columns}) SELECT * FROM UNNEST({arrays})"  # noqa: S608
        _APPEND = (fields, f"WITH moved AS ({moved}) {insert} RETURNING {key}", moved)
    return _APPEND


def _append_postgresql(
    rows: Sequence[AccessLog], chains: dict[int | None, list[AccessLog]]
) -> bool:
    """The append of `chain_append` on PostgreSQL, holding the heads' locks for as short as it
    can: the heads locked and read in one statement, then the rows' hashes worked out, then the
    heads moved and the rows inserted in a second (the statement built once, not compiled by
    the ORM while the lock is held); the caller's transaction ends it. False, having written
    nothing, when a chain has no head yet (its first row: the caller creates it).

    From `COPY_ROWS` rows the rows go by COPY instead (the ids taken from the sequence under
    the lock, so that they ascend in the chain's order, then the heads moved): four statements
    under the lock, none of them quoting values in Python."""
    fields, sql, move = _append_sql()
    # every column but the two hashes is known before the lock is taken
    values = {
        f.attname: [
            v.value if isinstance(v, Enum) else v for v in (getattr(r, f.attname) for r in rows)
        ]
        for f in fields
        if f.attname not in ("prev_hash", "hash")
    }
    heads = {municipal_chain(m): m for m in chains}
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        # locked in one order (by key), so two writers never wait on each other in a cycle
        cursor.execute(
            f"SELECT id, last_hash FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",  # noqa: S608
            [sorted(heads)],
        )
        found = dict(cursor.fetchall())
        if len(found) < len(heads):
            return False
        moved = [
            (chain, _chained(chains[heads[chain]], found[chain]), len(chains[heads[chain]]))
            for chain in sorted(heads)
        ]
        values["prev_hash"] = [r.prev_hash for r in rows]
        values["hash"] = [r.hash for r in rows]
        heads_moved: list[list[Any]] = [
            [chain for chain, _, _ in moved],
            [last for _, last, _ in moved],
            [n for _, _, n in moved],
        ]
        if len(rows) >= COPY_ROWS:
            ids = sequence_ids(AccessLog, len(rows))
            names = [AccessLog._meta.pk.name, *(f.name for f in fields)]
            rows_insert(
                AccessLog,
                names,
                ([pk, *(values[f.attname][i] for f in fields)] for i, pk in enumerate(ids)),
            )
            cursor.execute(move, heads_moved)
        else:
            cursor.execute(sql, [*heads_moved, *(values[f.attname] for f in fields)])
            ids = [pk for (pk,) in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias
    return True


@dataclass(frozen=True)
class Break:
    """Where the chain first breaks, and how."""

    row_id: int | None
    reason: str


def chain_verify(*, batch: int = 5000) -> Break | None:
    """Walk every access-log chain (the shared one and each municipality's) in order; None when
    every row is intact and nothing is missing."""
    municipalities = set(
        AuditChainHead.objects.filter(municipality__isnull=False).values_list(
            "municipality_id", flat=True
        )
    )
    # a row of a municipality that has no chain head was slipped in (or its head removed)
    stray = AccessLog.objects.filter(municipality__isnull=False).exclude(
        municipality_id__in=municipalities
    )
    first_stray = stray.order_by("pk").values_list("pk", flat=True).first()
    if first_stray is not None:
        return Break(first_stray, "チェーンの先頭情報がありません")
    for municipality_id in [None, *sorted(municipalities)]:
        found = _chain_verify_one(municipality_id, batch)
        if found is not None:
            return found
    return None


def _chain_verify_one(municipality_id: int | None, batch: int) -> Break | None:
    prev = GENESIS
    count = 0
    for row in _rows(municipality_id, batch):
        if row.prev_hash != prev:
            return Break(row.pk, "前の記録が削除されたか、順序が入れ替えられています")
        if row.hash != row_hash(row, prev):
            return Break(row.pk, "記録の内容が書き換えられています")
        prev = row.hash
        count += 1
    head = AuditChainHead.objects.filter(pk=municipal_chain(municipality_id)).first()
    if head is None:
        return None if count == 0 else Break(None, "チェーンの先頭情報がありません")
    if head.last_hash != prev or head.count != count:
        return Break(None, "最後の記録が削除されています（件数または最終ハッシュが一致しません）")
    return None


def access_log_chained() -> int:
    """How many access-log rows the chain heads count (every chain)."""
    heads = AuditChainHead.objects.filter(
        Q(pk=ACCESS_LOG_CHAIN) | Q(pk__gte=MUNICIPAL_CHAIN_BASE)
    ).values_list("count", flat=True)
    return sum(heads)


def _rows(municipality_id: int | None, batch: int) -> Iterator[AccessLog]:
    if municipality_id is None:
        rows_of = AccessLog.objects.filter(municipality__isnull=True)
    else:
        rows_of = AccessLog.objects.filter(municipality_id=municipality_id)
    last = 0
    while True:
        rows = list(rows_of.filter(pk__gt=last).order_by("pk")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].pk


# --- the change history's chain ---------------------------------------------------------------


def history_models() -> list[type[models.Model]]:
    """Every change-history table (the historical models of `core/history.py`)."""
    return [m for m in apps.get_models() if issubclass(m, HistoryChannel)]


def history_label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def history_row_digest(values: dict[str, Any], names: Sequence[str]) -> str:
    """The digest of one history row: the named columns, as the database returns them."""
    text = json.dumps(
        {name: values[name] for name in names}, sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def field_set_key(label: str, names: Sequence[str]) -> str:
    return hashlib.sha256(f"{label}|{','.join(names)}".encode()).hexdigest()


def _field_set(model: type[models.Model]) -> tuple[str, list[str]]:
    """The key of the table's current columns (stored the first time)."""
    label = history_label(model)
    names = [f.attname for f in model._meta.concrete_fields]
    key = field_set_key(label, names)
    HistoryFieldSet.objects.get_or_create(
        key=key, defaults={"model": label, "fields": ",".join(names)}
    )
    return key, names


def link_hash(link: HistoryDigest, prev_hash: str) -> str:
    fields = [
        prev_hash,
        link.at.isoformat(),
        link.model,
        str(link.history_id),
        link.kind,
        link.digest,
        link.field_set,
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def _row_values(model: type[models.Model], ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields]
    # unscoped: the history rows just written, read back for their digest (no one is shown them)
    return {
        values["history_id"]: values
        for values in model._default_manager.filter(history_id__in=list(ids)).values(*names)
    }


def _append_links(links: list[HistoryDigest]) -> None:
    if not links:
        return
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=HISTORY_CHAIN, defaults={"last_hash": GENESIS}
        )
        prev = head.last_hash
        for link in links:
            link.prev_hash = prev
            link.hash = link_hash(link, prev)
            prev = link.hash
        names = ["at", "model", "history_id", "kind", "digest", "field_set", "prev_hash", "hash"]
        rows_insert(HistoryDigest, names, ([getattr(link, n) for n in names] for link in links))
        head.last_hash = prev
        head.count += len(links)
        head.save(update_fields=["last_hash", "count"])


def history_written(model: type[models.Model], ids: Sequence[int]) -> None:
    """Chain the history rows just written (read back, so the digest is of what was stored)."""
    values = _row_values(model, ids)
    key, names = _field_set(model)
    now = timezone.now()
    _append_links(
        [
            HistoryDigest(
                at=now,
                model=history_label(model),
                history_id=i,
                kind=HistoryDigest.Kind.WRITE,
                digest=history_row_digest(values[i], names),
                field_set=key,
            )
            for i in ids
        ]
    )


@receiver(post_create_historical_record)
def _one_written(sender: Any, history_instance: models.Model, **kwargs: Any) -> None:
    history_written(type(history_instance), [history_instance.pk])


@receiver(history_rows_written)
def _many_written(sender: type[models.Model], ids: Sequence[int], **kwargs: Any) -> None:
    if ids:
        history_written(sender, ids)


def history_erase(queryset: models.QuerySet[Any]) -> int:
    """Delete change-history rows (retention's erasure), each accounted for by an `erase` link
    in the chain first. The only way history rows leave the database."""
    model = queryset.model
    with transaction.atomic():
        ids = sorted(queryset.values_list("history_id", flat=True))
        if not ids:
            return 0
        now = timezone.now()
        _append_links(
            [
                HistoryDigest(
                    at=now, model=history_label(model), history_id=i, kind=HistoryDigest.Kind.ERASE
                )
                for i in ids
            ]
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('tsunagu.history_erase', 'on', true)")
        # unscoped: retention's erasure of the rows it chose, each chained as erased above
        deleted: int = model._default_manager.filter(history_id__in=ids).delete()[0]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('tsunagu.history_erase', 'off', true)")
    return deleted


@dataclass(frozen=True)
class HistoryBreak:
    """Where the change history's chain first breaks: a link of the chain, or a history row."""

    where: str
    reason: str


def history_verify(*, batch: int = 5000) -> HistoryBreak | None:
    """Walk the change history's chain, then compare every history table with it."""
    field_sets: dict[str, list[str]] = {}
    for fs in HistoryFieldSet.objects.order_by("pk"):
        names = fs.fields.split(",")
        if field_set_key(fs.model, names) != fs.key:
            return HistoryBreak(
                f"変更履歴の列の組 {fs.key[:12]}…", "記録の内容が書き換えられています"
            )
        field_sets[fs.key] = names
    prev = GENESIS
    count = 0
    expected: dict[str, dict[int, tuple[str, str]]] = {}
    last = 0
    while True:
        links = list(HistoryDigest.objects.filter(pk__gt=last).order_by("pk")[:batch])
        if not links:
            break
        for link in links:
            where = f"変更履歴の連鎖 #{link.pk}（{link.model} #{link.history_id}）"
            if link.prev_hash != prev:
                return HistoryBreak(where, "前の記録が削除されたか、順序が入れ替えられています")
            if link.hash != link_hash(link, prev):
                return HistoryBreak(where, "記録の内容が書き換えられています")
            rows = expected.setdefault(link.model, {})
            if link.kind == HistoryDigest.Kind.ERASE:
                rows.pop(link.history_id, None)
            else:
                rows[link.history_id] = (link.digest, link.field_set)
            prev = link.hash
            count += 1
        last = links[-1].pk
    head = AuditChainHead.objects.filter(pk=HISTORY_CHAIN).first()
    if head is None and count:
        return HistoryBreak("変更履歴の連鎖の末尾", "チェーンの先頭情報がありません")
    if head is not None and (head.last_hash != prev or head.count != count):
        return HistoryBreak(
            "変更履歴の連鎖の末尾",
            "最後の記録が削除されています（件数または最終ハッシュが一致しません）",
        )
    for model in history_models():
        found = _table_verify(model, expected.pop(history_label(model), {}), field_sets, batch)
        if found is not None:
            return found
    for label, rows in expected.items():
        if rows:
            first = min(rows)
            return HistoryBreak(f"変更履歴 {label} #{first}", "履歴の表がありません")
    return None


def _table_verify(
    model: type[models.Model],
    expected: dict[int, tuple[str, str]],
    field_sets: dict[str, list[str]],
    batch: int,
) -> HistoryBreak | None:
    label = history_label(model)
    names = [f.attname for f in model._meta.concrete_fields]
    seen: set[int] = set()
    last = 0
    while True:
        # unscoped: every history row, compared with its digest (verify-audit shows ids only)
        rows = list(
            model._default_manager.filter(history_id__gt=last)
            .order_by("history_id")
            .values(*names)[:batch]
        )
        if not rows:
            break
        for values in rows:
            hid = values["history_id"]
            link = expected.get(hid)
            if link is None:
                return HistoryBreak(
                    f"変更履歴 {label} #{hid}", "連鎖にない履歴が書き込まれています"
                )
            digest, key = link
            columns = field_sets.get(key)
            if columns is None or not set(columns) <= values.keys():
                return HistoryBreak(
                    f"変更履歴 {label} #{hid}", "履歴の列の組が見つかりません（列の削除を含む）"
                )
            if digest != history_row_digest(values, columns):
                return HistoryBreak(
                    f"変更履歴 {label} #{hid}",
                    "履歴の内容が書き換えられています（日時・順序の変更を含む）",
                )
            seen.add(hid)
        last = rows[-1]["history_id"]
    missing = sorted(set(expected) - seen)
    if missing:
        return HistoryBreak(f"変更履歴 {label} #{missing[0]}", "履歴が削除されています")
    return None
