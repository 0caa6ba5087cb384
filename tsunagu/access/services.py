"""Writes of the access log and of grants' ends.

The selectors that return what a page, endpoint or export shows call `access_log_shown`, so a read
is logged where it is made, once, in one batched insert, with the same meaning on every channel:
one row per person shown, naming every object of that person that was shown.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from tsunagu.access.chain import chain_append
from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.models import User
from tsunagu.organizations.models import Organization

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


@dataclass(frozen=True)
class LogEntry:
    """One row: what was read or written (one object, or several of one person), whose, and on
    what basis."""

    obj: models.Model | None
    person: models.Model | None
    via: Via
    grant: AccessGrant | None = None
    object_type: str = ""
    object_ids: tuple[object, ...] = ()
    # by id only, when the row repeats one written earlier (`access_log_replayed`)
    person_id: int | None = None
    grant_id: int | None = None

    def type_label(self) -> str:
        if self.obj is not None:
            return self.obj._meta.label_lower
        return self.object_type

    def ids(self) -> str:
        if self.obj is not None:
            return str(self.obj.pk)
        return ",".join(str(i) for i in self.object_ids)


# the rows written while `access_log_captured` is open (an API answer kept for a replay)
_captured: contextvars.ContextVar[list[AccessLog] | None] = contextvars.ContextVar(
    "access_log_captured", default=None
)


@contextmanager
def access_log_captured() -> Iterator[list[AccessLog]]:
    """Collect the access-log rows written inside the block (in this thread or task), so that
    whoever keeps an answer can later log a replay of it as a read of the same records."""
    rows: list[AccessLog] = []
    token = _captured.set(rows)
    try:
        yield rows
    finally:
        _captured.reset(token)


# the rows written while `access_log_at_end` is open, appended to the chain when it closes
_held: contextvars.ContextVar[list[AccessLog] | None] = contextvars.ContextVar(
    "access_log_held", default=None
)


@contextmanager
def access_log_at_end() -> Iterator[None]:
    """For one long write in one transaction (an import's thousands of rows): the access-log
    rows logged inside the block are appended to the chain together as it closes, still inside
    the caller's transaction, which must end right after it. A city's chain head is locked from
    an append until its transaction ends, and every page that logs a read appends to it: so
    the head is held for the last moment of the write, not through all of it, and other
    staff's pages do not wait for the import.

    If the block raises, its rows are dropped (its writes are rolled back with them). A block
    inside another hands its rows to the outer one as it closes. Only for a write that fails as
    a whole: a savepoint rolled back inside the block, its error caught there, would leave its
    rows held."""
    outer = _held.get()
    rows: list[AccessLog] = []
    token = _held.set(rows)
    try:
        yield
    finally:
        _held.reset(token)
    if outer is not None:
        outer.extend(rows)
        return
    if connection.vendor == "postgresql":
        # the write's deferred checks (its foreign keys) run
        # now, before the head is locked, instead of at the commit while it is held
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    chain_append(rows)


def _log_rows(
    *,
    user: User | None,
    organization: Organization | None,
    action: Action,
    entries: Iterable[LogEntry],
    channel: Channel,
    operator: str = "",
) -> int:
    rows = [
        AccessLog(
            user=user,
            organization=organization,
            operator=operator[:150],
            action=action,
            person_id=e.person.pk if e.person is not None else e.person_id,
            object_type=e.type_label(),
            object_id=e.ids(),
            via=e.via,
            grant_id=e.grant.pk if e.grant is not None else e.grant_id,
            channel=channel,
        )
        for e in entries
    ]
    held = _held.get()
    if held is not None:
        held.extend(rows)  # appended when `access_log_at_end` closes
        created = rows
    else:
        created = chain_append(rows)
    capture = _captured.get()
    if capture is not None:
        capture.extend(created)
    return len(created)


def access_log(
    *,
    user: User,
    action: Action,
    obj: models.Model,
    person: models.Model | None,
    via: Via,
    grant: AccessGrant | None = None,
    channel: Channel = Channel.WEB,
) -> None:
    """Record one read or write of personal data."""
    access_log_many(
        user=user, action=action, entries=[LogEntry(obj, person, via, grant)], channel=channel
    )


def access_log_many(
    *, user: User, action: Action, entries: Iterable[LogEntry], channel: Channel = Channel.WEB
) -> None:
    """Record many reads or writes at once (one insert per batch)."""
    _log_rows(
        user=user,
        organization=user_organization(user),
        action=action,
        entries=entries,
        channel=channel,
    )


@dataclass(frozen=True)
class Shown:
    """One object a page or endpoint showed, with the person it is about (None: anonymous) and
    the basis the user saw it on. The person may be given by id alone (`person_id`): a list that
    shows no more of the person than the id need not load the record to log it."""

    obj: models.Model
    person: models.Model | None
    via: Via
    grant: AccessGrant | None = None
    person_id: int | None = None

    def person_key(self) -> int | None:
        return self.person.pk if self.person is not None else self.person_id


def access_log_shown(
    *, user: User, action: Action, shown: Iterable[Shown], channel: Channel
) -> None:
    """Record what a list, search or export showed: one row per person, naming that person's
    objects (comma-separated ids), so a list means the same on the web and in the API. Objects
    about no identified person (anonymous consultations) share one row per basis."""
    groups: dict[tuple[object, str, str, object], list[Shown]] = {}
    for s in shown:
        key = (
            s.person_key(),
            s.obj._meta.label_lower,
            s.via,
            s.grant.pk if s.grant is not None else None,
        )
        groups.setdefault(key, []).append(s)
    access_log_many(
        user=user,
        action=action,
        channel=channel,
        entries=(
            LogEntry(
                obj=None,
                person=None,
                person_id=rows[0].person_key(),
                via=rows[0].via,
                grant=rows[0].grant,
                object_type=rows[0].obj._meta.label_lower,
                object_ids=tuple(dict.fromkeys(r.obj.pk for r in rows)),
            )
            for rows in groups.values()
        ),
    )


def access_log_command(
    *, operator: str, user: User | None, action: Action, persons: Iterable[models.Model]
) -> int:
    """Record that an administrator's command read these persons (one row each).

    `operator` is the operating-system login that ran it; `user`, when the command was given a
    staff account, the member of staff it ran for. Returns the number of rows written.
    """
    if not operator and user is None:
        raise ValueError("a command's access needs an operator or a user")
    return _log_rows(
        user=user,
        organization=user_organization(user) if user is not None else None,
        operator=operator,
        action=action,
        entries=(LogEntry(obj=p, person=p, via=Via.ROLE) for p in persons),
        channel=Channel.CLI,
    )


def grants_end(*, grants: models.QuerySet[AccessGrant], reason: str) -> int:
    """End grants now (they stay as history)."""
    return grants.filter(ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)


def grants_shorten(*, grants: models.QuerySet[AccessGrant], until: dt.date) -> int:
    """Make grants end by `until` at the latest (their basis, a consent, now ends then)."""
    return grants.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=until)).update(
        valid_until=until
    )


def access_log_operation(
    *,
    operator: str,
    user: User | None,
    action: Action,
    object_type: str,
    object_ids: tuple[object, ...],
) -> int:
    """Record an administrator's command that handled the data as a whole, not person by person
    (a backup is an export of everything; a restore an import): one row, no person."""
    if not operator and user is None:
        raise ValueError("a command's access needs an operator or a user")
    return _log_rows(
        user=user,
        organization=user_organization(user) if user is not None else None,
        operator=operator,
        action=action,
        entries=[
            LogEntry(
                obj=None, person=None, via=Via.ROLE, object_type=object_type, object_ids=object_ids
            )
        ],
        channel=Channel.CLI,
    )


def access_log_replayed(
    *, user: User, rows: Iterable[dict[str, object]], channel: Channel = Channel.API
) -> None:
    """Record that an answer kept from an earlier request was shown again (an API retry under
    its `Idempotency-Key`): one read per record the first answer logged (`rows` as
    `logged_records` made them), on the same basis."""
    access_log_many(
        user=user,
        action=Action.VIEW,
        channel=channel,
        entries=[
            LogEntry(
                obj=None,
                person=None,
                via=Via(str(r["via"])),
                object_type=str(r["object_type"]),
                object_ids=tuple(str(r["object_id"]).split(",")) if r["object_id"] else (),
                person_id=_int_or_none(r.get("person_id")),
                grant_id=_int_or_none(r.get("grant_id")),
            )
            for r in rows
        ],
    )


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(str(value))


def logged_records(rows: Iterable[AccessLog]) -> list[dict[str, object]]:
    """The records some access-log rows name (each once), as plain data to keep beside an
    answer: person, object type and ids, basis and grant."""
    seen: dict[tuple[object, ...], dict[str, object]] = {}
    for r in rows:
        item: dict[str, object] = {
            "person_id": r.person_id,
            "object_type": r.object_type,
            "object_id": r.object_id,
            "via": r.via,
            "grant_id": r.grant_id,
        }
        seen.setdefault(tuple(item.values()), item)
    return list(seen.values())
