"""The access log is a hash chain: `tsunagu verify-audit` finds a changed, removed or reordered
row and names the first one; on PostgreSQL the table refuses UPDATE and DELETE."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from conftest import client_for
from tsunagu.access.chain import chain_verify
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.people.services import PersonData, person_create

POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def logged(counselor: User) -> list[AccessLog]:
    """Five log rows: a record written, then read four times."""
    person = person_create(user=counselor, data=PersonData(family_name="清水", given_name="誠"))
    client = client_for(counselor)
    for _ in range(4):
        client.get(f"/people/{person.pk}/")
    rows = list(AccessLog.objects.order_by("pk"))
    assert len(rows) == 5
    return rows


@contextmanager
def tampering() -> Iterator[None]:
    """What an intruder with the database owner's rights could do (the trigger off)."""
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # triggers off
    try:
        yield
    finally:
        if POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_an_intact_log_verifies(logged: list[AccessLog]) -> None:
    assert "5 件" in verify()
    assert all(row.hash and row.prev_hash for row in logged)
    assert [r.prev_hash for r in logged[1:]] == [r.hash for r in logged[:-1]]


def test_a_changed_row_is_named(logged: list[AccessLog]) -> None:
    with tampering():
        AccessLog.objects.filter(pk=logged[2].pk).update(action="list")
    with pytest.raises(CommandError, match=f"#{logged[2].pk}.*書き換え"):
        verify()


def test_a_removed_row_is_found_at_the_next_one(logged: list[AccessLog]) -> None:
    with tampering():
        AccessLog.objects.filter(pk=logged[1].pk).delete()
    with pytest.raises(CommandError, match=f"#{logged[2].pk}.*削除"):
        verify()


def test_removing_the_newest_rows_is_found(logged: list[AccessLog]) -> None:
    with tampering():
        AccessLog.objects.filter(pk=logged[-1].pk).delete()
    found = chain_verify()
    assert found is not None and found.row_id is None and "最後" in found.reason


def test_reordered_rows_are_found(logged: list[AccessLog]) -> None:
    a, b = logged[1], logged[2]
    with tampering():
        AccessLog.objects.filter(pk=a.pk).update(at=b.at, hash=b.hash, prev_hash=b.prev_hash)
        AccessLog.objects.filter(pk=b.pk).update(at=a.at, hash=a.hash, prev_hash=a.prev_hash)
    found = chain_verify()
    assert found is not None and found.row_id == a.pk


@pytest.mark.skipif(not POSTGRES, reason="the append-only trigger exists on PostgreSQL")
def test_postgresql_refuses_update_and_delete(logged: list[AccessLog]) -> None:
    for change in (
        lambda: AccessLog.objects.filter(pk=logged[0].pk).update(action="list"),
        lambda: AccessLog.objects.filter(pk=logged[0].pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert chain_verify() is None
