"""An import from the command line finds the rows like a known person while it writes the rows
(`imports.services._known_beside_write`): on PostgreSQL in a process of its own, reading the
city as it was before the import. Committed transactions, so that the process's connection
sees the city the test made."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from django.db import connection

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.imports import services
from tsunagu.imports.models import ImportKind
from tsunagu.imports.services import import_run
from tsunagu.imports.tests.conftest import PERSON_HEADER, csv_text
from tsunagu.imports.tests.test_known_persons import known_yamada
from tsunagu.people.models import Person

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = [
    PERSON_HEADER,
    "P001,山田,一郎,やまだ,いちろう,1972/05/01,男性,939-0000,北町1丁目2番3号,0766-00-0000",
    "P002,佐藤,花子,さとう,はなこ,1990/01/02,女性,,,0766-11-1111",
    "P003,佐藤,花子,さとう,はなこ,1990/01/02,女性,,,0766-11-1111",
    "P004,鈴木,次郎,すずき,じろう,1985/03/04,男性,,,",
]


def _import(user: User) -> services.ImportReport:
    return import_run(
        user=user, kind=ImportKind.PERSONS, text=csv_text(ROWS), channel=AccessLog.Channel.CLI
    )


def test_the_rows_are_checked_against_the_city_before_the_import(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 2 is like the city's 山田; row 4 like row 3. No row is reported as like its own new
    record, though the write commits while they are looked for. The own record shown is
    logged as a search result, once."""
    if connection.vendor != "postgresql":
        pytest.skip("a second connection sees only committed rows on PostgreSQL")
    yamada = known_yamada(counselor)
    original = services._known_rows_find
    parent = os.getpid()

    def spied(**kwargs: object) -> object:
        # in the forked process (an assertion failing there fails the import here), in its
        # own read-only transaction
        assert os.getpid() != parent
        assert connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone() == ("on",)
        return original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "_known_rows_find", spied)
    report = _import(counselor)
    assert report.ok and report.created == 4, report.errors
    assert [(k.line, k.person_id, k.first_line) for k in report.known] == [
        (2, yamada.pk, None),
        (4, None, 3),
    ]
    assert Person.dangerously_unscoped.count() == 5
    searched = AccessLog.objects.filter(action=AccessLog.Action.SEARCH, person=yamada)
    assert searched.count() == 1


def _broken(**kwargs: object) -> object:
    raise RuntimeError("the database went away")


def _dies(**kwargs: object) -> object:
    os._exit(9)  # killed, out of memory: no answer at all


@pytest.mark.parametrize(
    ("check", "message"),
    [(_broken, "went away"), (_dies, "確認が途中で止まりました")],
    ids=["fails", "dies"],
)
def test_a_check_that_fails_or_dies_writes_nothing(
    counselor: User,
    monkeypatch: pytest.MonkeyPatch,
    check: Callable[..., object],
    message: str,
) -> None:
    """The process checking the rows raises (raised here as it is) or ends without an answer
    (a Japanese message): either way the import fails and nothing is written."""
    if connection.vendor != "postgresql":
        pytest.skip("the process runs on PostgreSQL only")
    known_yamada(counselor)
    monkeypatch.setattr(services, "known_persons_match", check)
    with pytest.raises(RuntimeError, match=message):
        _import(counselor)
    assert Person.dangerously_unscoped.count() == 1
