"""Issue 15: a long write (an import) logs its rows at its end, so the city's chain head is not
held while it writes: other staff's pages, which log every read, do not wait for it. Nothing is
logged for a write that fails, and the chain still verifies."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from tsunagu.access.chain import access_log_chained, chain_verify
from tsunagu.access.models import AccessLog
from tsunagu.access.services import LogEntry, access_log_at_end, access_log_many
from tsunagu.accounts.models import User

POSTGRES = connection.vendor == "postgresql"


def _log(user: User) -> None:
    access_log_many(
        user=user,
        action=AccessLog.Action.IMPORT,
        entries=[LogEntry(obj=user.organization, person=None, via=AccessLog.Via.OWN)],
        channel=AccessLog.Channel.CLI,
    )


def _count(user: User) -> int:
    return AccessLog.objects.filter(user=user).count()


@pytest.mark.django_db
def test_rows_are_appended_when_the_block_closes(counselor: User) -> None:
    with transaction.atomic(), access_log_at_end():
        _log(counselor)
        _log(counselor)
        assert _count(counselor) == 0  # held, not yet in the chain
    assert _count(counselor) == 2
    assert access_log_chained() == AccessLog.objects.count()
    assert chain_verify() is None


@pytest.mark.django_db
def test_a_failed_write_logs_nothing_and_an_inner_failure_drops_only_its_rows(
    counselor: User,
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(), access_log_at_end():
        _log(counselor)
        raise RuntimeError("the import failed")
    assert _count(counselor) == 0
    with transaction.atomic(), access_log_at_end():
        _log(counselor)  # kept
        try:
            with transaction.atomic(), access_log_at_end():
                _log(counselor)
                raise RuntimeError("this part is rolled back")
        except RuntimeError:
            pass
        with transaction.atomic(), access_log_at_end():
            _log(counselor)  # kept: handed to the outer block
    assert _count(counselor) == 2
    assert chain_verify() is None


@pytest.mark.django_db(transaction=True)
def test_pages_of_the_city_do_not_wait_for_a_long_write(counselor: User, manager: User) -> None:
    if not POSTGRES:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serializes whole transactions)")
    _log(manager)  # the city's chain head exists
    writing, page_done, release = (threading.Event() for _ in range(3))
    errors: list[BaseException] = []

    def long_write() -> None:
        try:
            with transaction.atomic(), access_log_at_end():
                _log(counselor)  # an import's rows, logged as it writes
                writing.set()
                release.wait(20)  # ... thousands more rows
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def page() -> None:
        try:
            writing.wait(20)
            _log(manager)  # a page read by another member of staff of the same city
            page_done.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=long_write), threading.Thread(target=page)]
    for t in threads:
        t.start()
    try:
        assert page_done.wait(15), "a page of the city waited for the import's write"
    finally:
        release.set()
        for t in threads:
            t.join(30)
    assert not errors, errors
    assert _count(counselor) == 1 and _count(manager) == 2
    assert access_log_chained() == AccessLog.objects.count()
    assert chain_verify() is None
