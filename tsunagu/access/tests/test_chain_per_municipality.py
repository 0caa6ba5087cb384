"""Issue 15: each municipality's access log is its own hash chain under its own lock, so a
city that is appending (a long transaction, the generator, a busy page) does not hold up another
city's pages; each chain verifies on its own and tampering is still found."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from tsunagu.access.chain import (
    ACCESS_LOG_CHAIN,
    access_log_chained,
    chain_append,
    chain_verify,
    municipal_chain,
)
from tsunagu.access.models import AccessLog, AuditChainHead
from tsunagu.organizations.models import Municipality, Organization

POSTGRES = connection.vendor == "postgresql"


def _row(organization: Organization, n: int) -> AccessLog:
    return AccessLog(
        operator="試験",
        organization=organization,
        action=AccessLog.Action.VIEW,
        object_type="people.person",
        object_id=str(n),
        via=AccessLog.Via.ROLE,
        channel=AccessLog.Channel.CLI,
    )


def _orgs(city: Municipality, other_city: Municipality) -> tuple[Organization, Organization]:
    here = Organization.objects.filter(municipality=city).order_by("pk").first()
    there = Organization.objects.get(municipality=other_city)
    assert here is not None
    return here, there


@pytest.mark.django_db
def test_each_city_has_its_own_chain_and_all_verify(
    city: Municipality, other_city: Municipality
) -> None:
    here, there = _orgs(city, other_city)
    chain_append([_row(here, 1), _row(there, 2), _row(here, 3)])
    chain_append([_row(there, 4)])
    chain_append(
        [
            AccessLog(
                operator="移行",
                action=AccessLog.Action.VIEW,
                object_type="x",
                via=AccessLog.Via.ROLE,
                channel=AccessLog.Channel.CLI,
            )
        ]
    )
    heads = {h.pk: h for h in AuditChainHead.objects.all()}
    assert heads[municipal_chain(city.pk)].count == 2
    assert heads[municipal_chain(other_city.pk)].count == 2
    assert heads[municipal_chain(other_city.pk)].municipality_id == other_city.pk
    assert heads[ACCESS_LOG_CHAIN].count == 1  # a row of no organization: the shared chain
    assert access_log_chained() == AccessLog.objects.count() == 5
    assert chain_verify() is None
    there_rows = list(AccessLog.objects.filter(municipality=other_city).order_by("pk"))
    assert there_rows[1].prev_hash == there_rows[0].hash  # chained within the city only


@pytest.mark.django_db
def test_a_row_moved_to_another_city_or_slipped_in_is_found(
    city: Municipality, other_city: Municipality
) -> None:
    here, there = _orgs(city, other_city)
    chain_append([_row(here, 1), _row(here, 2)])
    chain_append([_row(there, 3)])
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # the guard trigger off
    try:
        moved = AccessLog.objects.filter(municipality=city).order_by("pk").last()
        assert moved is not None
        AccessLog.objects.filter(pk=moved.pk).update(municipality=other_city)
        assert chain_verify() is not None
        AccessLog.objects.filter(pk=moved.pk).update(municipality=city)
        assert chain_verify() is None
        third = Municipality.objects.create(
            code="999971",
            slug="chain-third",
            name="第三市",
            prefecture="架空県",
            plan_name="南市計画",
            plan_start_fiscal_year=2026,
            plan_end_fiscal_year=2026,
        )
        AccessLog.objects.filter(pk=moved.pk).update(municipality=third)
        found = chain_verify()
        assert found is not None and found.row_id == moved.pk  # no head for that city
    finally:
        if POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")


@pytest.mark.django_db(transaction=True)
def test_one_city_appending_does_not_hold_up_another(
    city: Municipality, other_city: Municipality
) -> None:
    if not POSTGRES:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serializes whole transactions)")
    here, there = _orgs(city, other_city)
    chain_append([_row(here, 0), _row(there, 0)])  # both heads exist
    here_locked, other_done, same_city_done, release = (threading.Event() for _ in range(4))
    errors: list[BaseException] = []

    def slow_city() -> None:
        try:
            with transaction.atomic():
                chain_append([_row(here, 1)])  # holds this city's head until release
                here_locked.set()
                release.wait(20)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def append(org: Organization, n: int, done: threading.Event) -> None:
        try:
            here_locked.wait(20)
            chain_append([_row(org, n)])
            done.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=slow_city),
        threading.Thread(target=append, args=(there, 2, other_done)),
        threading.Thread(target=append, args=(here, 3, same_city_done)),
    ]
    for t in threads:
        t.start()
    try:
        # the other city writes while the first city's head is locked ...
        assert other_done.wait(15), "another city's append waited for this city's lock"
        # ... while a second writer of the same city still waits its turn
        assert not same_city_done.is_set()
    finally:
        release.set()
        for t in threads:
            t.join(30)
    assert not errors, errors
    assert same_city_done.is_set()
    assert chain_verify() is None
    assert access_log_chained() == AccessLog.objects.count() == 5
