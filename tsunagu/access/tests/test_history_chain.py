"""The change history (django-simple-history) joins a hash chain: `tsunagu verify-audit` names a
history row that was changed, removed, reordered or slipped in; retention's erasure is accounted
for; on PostgreSQL the history tables and the chain refuse UPDATE and DELETE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tsunagu.access.chain import history_erase, history_verify
from tsunagu.access.models import HistoryDigest
from tsunagu.accounts.models import User
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create, person_create_many, person_update

POSTGRES = connection.vendor == "postgresql"
History: Any = Person.history.model
LABEL = "people.historicalperson"


@pytest.fixture
def person(counselor: User) -> Person:
    """A record registered, edited twice and consulted about: three history rows of the person."""
    person = person_create(user=counselor, data=PersonData(family_name="清水", given_name="誠"))
    for phone in ("0766-11-1111", "0766-22-2222"):
        person_update(
            user=counselor,
            person=person,
            data=PersonData(family_name="清水", given_name="誠", phone=phone),
        )
    consultation_create(
        user=counselor,
        person=person,
        data=ConsultationData(
            received_at=dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC),
            channel="window",
            requester="self",
            main_topic="care",
            content="介護の相談",
            response="closed",
        ),
    )
    return person


def rows(person: Person) -> list[Any]:
    return list(History.objects.filter(id=person.pk).order_by("history_id"))


@contextmanager
def tampering() -> Iterator[None]:
    """What an intruder with the database owner's rights could do (the triggers off)."""
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")


def broken() -> str:
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", stdout=StringIO())
    return str(exc.value)


def test_every_history_row_is_chained_and_verifies(person: Person) -> None:
    history = rows(person)
    assert len(history) == 3
    links = HistoryDigest.objects.filter(model=LABEL, history_id__in=[h.pk for h in history])
    assert links.count() == 3
    assert HistoryDigest.objects.filter(model="consultations.historicalconsultation").exists()
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert f"変更履歴 {HistoryDigest.objects.count()} 件" in out.getvalue()
    assert "改ざんなし" in out.getvalue()


def test_a_bulk_write_is_chained(counselor: User) -> None:
    persons = person_create_many(
        user=counselor,
        datas=[PersonData(family_name="一括", given_name=str(i)) for i in range(3)],
    )
    ids = [h.pk for h in History.objects.filter(id__in=[p.pk for p in persons])]
    assert HistoryDigest.objects.filter(model=LABEL, history_id__in=ids).count() == 3
    assert history_verify() is None


def test_a_changed_history_row_is_named(person: Person) -> None:
    target = rows(person)[1]
    with tampering():
        History.objects.filter(pk=target.pk).update(phone="0766-99-9999")
    message = broken()
    assert f"{LABEL} #{target.pk}" in message and "書き換え" in message


def test_a_removed_history_row_is_named(person: Person) -> None:
    target = rows(person)[0]
    with tampering():
        History.objects.filter(pk=target.pk).delete()
    message = broken()
    assert f"{LABEL} #{target.pk}" in message and "削除" in message


def test_reordered_history_rows_are_named(person: Person) -> None:
    first, second, _ = rows(person)
    with tampering():
        History.objects.filter(pk=first.pk).update(history_date=second.history_date)
        History.objects.filter(pk=second.pk).update(history_date=first.history_date)
    message = broken()
    assert f"{LABEL} #{first.pk}" in message and "順序" in message


def test_a_row_slipped_in_without_its_link_is_named(person: Person) -> None:
    last = rows(person)[-1]
    with tampering():
        last.pk = None
        last.phone = "0766-00-0000"
        History.objects.bulk_create([last])  # no signal, no link
    message = broken()
    assert "連鎖にない" in message


def test_a_removed_or_changed_link_is_named(person: Person) -> None:
    links = list(HistoryDigest.objects.order_by("pk"))
    with tampering():
        HistoryDigest.objects.filter(pk=links[1].pk).delete()
    message = broken()
    assert f"変更履歴の連鎖 #{links[2].pk}" in message and "削除" in message


def test_removing_the_newest_link_is_found(person: Person) -> None:
    with tampering():
        HistoryDigest.objects.order_by("-pk").first().delete()  # type: ignore[union-attr]
    found = history_verify()
    assert found is not None and "最後" in found.reason


def test_retention_erasure_is_accounted_for(person: Person) -> None:
    erased = history_erase(Person.history.filter(id=person.pk))
    assert erased == 3 and rows(person) == []
    assert HistoryDigest.objects.filter(kind=HistoryDigest.Kind.ERASE).count() == 3
    assert history_verify() is None


@pytest.mark.skipif(not POSTGRES, reason="the append-only triggers exist on PostgreSQL")
def test_postgresql_refuses_update_and_delete_of_history(person: Person) -> None:
    target = rows(person)[0]
    link = HistoryDigest.objects.first()
    assert link is not None
    for change in (
        lambda: History.objects.filter(pk=target.pk).update(phone="0"),
        lambda: History.objects.filter(pk=target.pk).delete(),
        lambda: HistoryDigest.objects.filter(pk=link.pk).update(digest="0"),
        lambda: HistoryDigest.objects.filter(pk=link.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert history_verify() is None
    # retention's way out is its own transaction only: afterwards the table is closed again
    history_erase(Person.history.filter(id=person.pk, history_id=target.pk))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        History.objects.filter(id=person.pk).delete()
    assert history_verify() is None
