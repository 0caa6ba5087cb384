"""Issue 15: on PostgreSQL an access-log append holds its city's head lock for two statements
only (lock and read the heads; move them and insert the rows), prepared outside the lock. The
rows it writes are the rows the ORM writes: the same columns, the same chain, verified."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tsunagu.access.chain import chain_append, chain_verify, municipal_chain
from tsunagu.access.models import AccessLog, AuditChainHead
from tsunagu.accounts.models import User
from tsunagu.organizations.models import Municipality, Organization

POSTGRES = connection.vendor == "postgresql"

_COLUMNS = [f.attname for f in AccessLog._meta.concrete_fields]


def _rows(user: User, organization: Organization, start: int, n: int) -> list[AccessLog]:
    return [
        AccessLog(
            user=user,
            organization=organization,
            action=AccessLog.Action.SEARCH if i % 2 else AccessLog.Action.VIEW,
            object_type="people.person",
            object_id=f"{i},{i + 1}",
            via=AccessLog.Via.OWN,
            channel=AccessLog.Channel.WEB if i % 3 else AccessLog.Channel.API,
        )
        for i in range(start, start + n)
    ]


@pytest.mark.django_db
def test_appended_rows_are_those_the_orm_writes_and_the_chain_verifies(
    counselor: User, city: Municipality, other_city: Municipality
) -> None:
    here = counselor.organization
    assert here is not None
    there = Organization.objects.get(municipality=other_city)
    first = _rows(counselor, here, 0, 3)  # the city's first rows: its head is created
    chain_append(first)
    batches = [
        _rows(counselor, here, 10, 7),
        [*_rows(counselor, there, 20, 2), *_rows(counselor, here, 30, 2)],  # two chains at once
        _rows(counselor, here, 40, 1),
    ]
    for rows in batches:
        written = chain_append(rows)
        assert written == rows and all(r.pk is not None for r in rows)
        assert all(not r._state.adding for r in rows)
    in_memory = [r for rows in [first, *batches] for r in rows]
    stored = {r.pk: r for r in AccessLog.objects.all()}
    assert len(stored) == len(in_memory)
    for row in in_memory:
        # what the caller holds is what was stored, column by column
        assert [getattr(stored[row.pk], c) for c in _COLUMNS] == [getattr(row, c) for c in _COLUMNS]
    # rows are stored in the order given (ids ascend), each city's chain in that order
    ids = [r.pk for r in in_memory]
    assert ids == sorted(ids)
    assert AuditChainHead.objects.get(pk=municipal_chain(city.pk)).count == 13
    assert AuditChainHead.objects.get(pk=municipal_chain(other_city.pk)).count == 2
    assert chain_verify() is None


@pytest.mark.django_db
@pytest.mark.skipif(not POSTGRES, reason="the two-statement append is PostgreSQL's")
def test_append_holds_the_lock_for_two_statements(counselor: User) -> None:
    here = counselor.organization
    assert here is not None
    chain_append(_rows(counselor, here, 0, 1))  # the head exists from here on
    with CaptureQueriesContext(connection) as queries:
        chain_append(_rows(counselor, here, 1, 50))
    statements = [q["sql"] for q in queries.captured_queries]
    # inside the test's transaction: a savepoint, the lock, the move and insert, its release
    work = [s for s in statements if "SAVEPOINT" not in s]
    assert len(work) == 2, statements
    assert work[0].startswith("SELECT id, last_hash") and "FOR UPDATE" in work[0]
    assert "UPDATE" in work[1] and "INSERT INTO" in work[1]
    assert chain_verify() is None


@pytest.mark.django_db
@pytest.mark.skipif(not POSTGRES, reason="the append by COPY is PostgreSQL's")
def test_a_large_append_goes_by_copy_and_is_the_same_chain(
    counselor: User, city: Municipality, other_city: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From `COPY_ROWS` rows (an import's log at its end) the rows go by COPY, ids taken under
    the lock: stored column by column as given, ids ascending in the chain's order, both
    cities' heads moved, the chain verified; a small append after it goes on the same chain."""
    from tsunagu.access import chain

    here = counselor.organization
    assert here is not None
    there = Organization.objects.get(municipality=other_city)
    chain_append(_rows(counselor, here, 0, 1))
    chain_append(_rows(counselor, there, 1, 1))
    monkeypatch.setattr(chain, "COPY_ROWS", 5)
    large = [*_rows(counselor, here, 10, 6), *_rows(counselor, there, 20, 3)]
    with CaptureQueriesContext(connection) as queries:
        assert chain_append(large) == large
    statements = [q["sql"] for q in queries.captured_queries]
    # the ids from the sequence, no INSERT (the COPY itself is not among Django's statements)
    assert any("nextval" in s for s in statements), statements
    assert not any("INSERT INTO" in s for s in statements), statements
    assert all(r.pk is not None and not r._state.adding for r in large)
    stored = {r.pk: r for r in AccessLog.objects.filter(pk__in=[r.pk for r in large])}
    for row in large:
        assert [getattr(stored[row.pk], c) for c in _COLUMNS] == [getattr(row, c) for c in _COLUMNS]
    ids = [r.pk for r in large]
    assert ids == sorted(ids)
    small = _rows(counselor, here, 30, 2)
    chain_append(small)
    assert min(r.pk for r in small) > max(ids)
    assert AuditChainHead.objects.get(pk=municipal_chain(city.pk)).count == 9
    assert AuditChainHead.objects.get(pk=municipal_chain(other_city.pk)).count == 4
    assert chain_verify() is None
