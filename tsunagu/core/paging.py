"""Keyset paging for long lists: the page after (or before) a row, found by the list's order
instead of an offset, and no count of the whole list.

A city's consultation list can hold a million rows; Django's `Paginator` counts them all (a
`SELECT COUNT(*)` over the same joins) on every page and reads past every earlier page. A keyset
page asks the database for `size + 1` rows after the last row shown, so every page costs the
same. Links carry the key of the row they continue from (`?after=…` / `?before=…`); the shared
template `core/pagination.html` draws both kinds of page (a `Paginator` page for short lists that
show numbered pages, a `KeysetPage` for the long ones).

The JSON API pages the same way: its lists take `cursor` (the `next` of the page before) and
answer `next` (null on the last page); an API cursor that is not one of ours is refused (422,
`cursor_page`) instead of quietly starting again from the top, so a client never loops.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

AFTER = "after"
BEFORE = "before"
CURSOR_MAX_LENGTH = 2000
# the API's words for its paging, one set for every list
CURSOR_HELP = "続きの位置。前のページの応答の next をそのまま指定します（省略すると最初のページ）"
NEXT_HELP = "次のページの cursor（最後のページなら null）。件数の総数は返しません"
BAD_CURSOR = "続きの位置（cursor）が読めません。前のページの応答の next をそのまま指定してください"
_BIGINT = 2**63


@dataclass(frozen=True)
class KeysetPage[M: Model]:
    """One page of a list in keyset order. `after` / `before` are the cursors of the next and
    previous pages ("" when there is none)."""

    object_list: list[M]
    after: str
    before: str
    is_first: bool
    keyset = True

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return bool(self.after)

    def has_previous(self) -> bool:
        return bool(self.before)

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps([str(v) for v in values], ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(model: type[Model], fields: Sequence[str], cursor: str) -> list[Any] | None:
    """The key values a cursor names, or None for a cursor that is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None
    # ours is a list of strings, one per field (`_encode`)
    if not isinstance(values, list) or len(values) != len(fields):
        return None
    if not all(isinstance(v, str) for v in values):
        return None
    out = []
    for name, value in zip(fields, values, strict=True):
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        try:
            key = field.to_python(value)  # type: ignore[union-attr]
        except (ValidationError, TypeError, ValueError):
            return None
        if not _storable(key):
            return None
        out.append(key)
    return out


def _storable(key: Any) -> bool:
    """A key value every database can compare: no naive time (the cursors name aware ones), no
    integer past 64 bits, no NUL in text."""
    if isinstance(key, dt.datetime):
        return key.tzinfo is not None
    if isinstance(key, int):
        return -_BIGINT <= key < _BIGINT
    if isinstance(key, str):
        return "\x00" not in key
    return True


def _beyond(fields: Sequence[str], values: Sequence[Any], *, forward: bool, descending: bool) -> Q:
    """Rows strictly past `values` in the order (a, b, …): a > x, or a = x and b > y, …; and,
    said once more on its own, a ≥ x, which an index on (…, a) can start its range from
    instead of reading past every earlier page's rows."""
    op = "lt" if forward == descending else "gt"
    condition = Q()
    equal: dict[str, Any] = {}
    for name, value in zip(fields, values, strict=True):
        condition |= Q(**equal, **{f"{name}__{op}": value})
        equal[name] = value
    if len(fields) > 1:
        condition &= Q(**{f"{fields[0]}__{op}e": values[0]})
    return condition


def keyset_page[M: Model](
    queryset: QuerySet[M],
    *,
    order: Sequence[str],
    size: int,
    after: str | None = None,
    before: str | None = None,
    descending: bool = True,
) -> KeysetPage[M]:
    """The page of `queryset` (ordered by `order`, each field descending unless told otherwise;
    the last field must be unique, e.g. "pk") after the cursor `after`, or before `before`, or
    the first page. A cursor that cannot be read gives the first page."""
    model = queryset.model
    sign = "-" if descending else ""
    forward_order = [f"{sign}{f}" for f in order]
    backward_order = [f"{'' if descending else '-'}{f}" for f in order]
    key_after = _decode(model, order, after) if after else None
    key_before = _decode(model, order, before) if before and key_after is None else None
    if key_before is not None:
        rows = list(
            queryset.filter(
                _beyond(order, key_before, forward=False, descending=descending)
            ).order_by(*backward_order)[: size + 1]
        )
        if len(rows) <= size:  # back at the start: the first page, full
            return keyset_page(queryset, order=order, size=size, descending=descending)
        rows = rows[:size][::-1]
        more_after = True
        is_first = False
    else:
        qs = queryset
        if key_after is not None:
            qs = qs.filter(_beyond(order, key_after, forward=True, descending=descending))
        rows = list(qs.order_by(*forward_order)[: size + 1])
        more_after = len(rows) > size
        rows = rows[:size]
        is_first = key_after is None

    def key(row: M) -> str:
        return _encode([getattr(row, f) for f in order])

    return KeysetPage(
        object_list=rows,
        after=key(rows[-1]) if rows and more_after else "",
        before=key(rows[0]) if rows and not is_first else "",
        is_first=is_first,
    )


def cursor_page[M: Model](
    queryset: QuerySet[M],
    *,
    order: Sequence[str],
    size: int,
    cursor: str | None,
    descending: bool = True,
    parts: Sequence[QuerySet[M]] = (),
) -> KeysetPage[M]:
    """The API's page: `keyset_page` after `cursor` (the `next` of the page before, or none for
    the first page). A cursor that is not one of ours is a ValidationError on `cursor` (422).

    `parts`, disjoint querysets whose union is `queryset` (`ScopedQuerySet.visible_parts_to`:
    own rows, and rows under a grant that are not own), are for a list whose filter is an OR no
    single index serves: each part names the ids of its next `size + 1` rows by its own index,
    and `queryset` then reads just those rows, in order, with its joins and prefetches. That is
    a UNION ALL of the parts under one ORDER BY … LIMIT, on every database, and the order is the
    database's own (its collation for text keys), the same order the cursor is compared in."""
    model = queryset.model
    key_after = _decode(model, order, cursor) if cursor else None
    if cursor and key_after is None:
        raise ValidationError({"cursor": [BAD_CURSOR]})
    if parts:
        sign = "-" if descending else ""
        candidates: list[Any] = []
        for part in parts:
            if key_after is not None:
                part = part.filter(_beyond(order, key_after, forward=True, descending=descending))
            ordered = part.order_by(*(f"{sign}{f}" for f in order))
            candidates += ordered.values_list("pk", flat=True)[: size + 1]
        queryset = queryset.filter(pk__in=candidates)
    return keyset_page(
        queryset, order=order, size=size, after=cursor or None, descending=descending
    )
