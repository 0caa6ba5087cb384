"""No silent overwrite of a case: `case_update` takes the version the form or client read and
refuses a save over a newer one through `core.history.refuse_stale`, naming who changed which
fields; of two racing saves on PostgreSQL exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tsunagu.accounts.models import User
from tsunagu.cases.models import Case
from tsunagu.cases.services import case_update
from tsunagu.core.history import StaleEdit

POSTGRES = connection.vendor == "postgresql"


def _save(user: User, case: Case, title: str, version: int) -> Case:
    return case_update(
        user=user,
        case=case,
        title=title,
        issues=list(case.issues),
        lead_coordinator=case.lead_coordinator,
        expected_version=version,
    )


def test_a_stale_case_edit_is_refused_naming_who_and_what(
    case: Case, coordinator: User, manager: User
) -> None:
    assert case.version == 1
    mine = Case.dangerously_unscoped.get(pk=case.pk)
    _save(manager, Case.dangerously_unscoped.get(pk=case.pk), "山田さん世帯（8050）", 1)
    with pytest.raises(StaleEdit, match=r"さんが変更しました（変更された項目: 事例の呼び名）"):
        _save(coordinator, mine, "古い画面から", 1)
    case.refresh_from_db()
    assert case.title == "山田さん世帯（8050）" and case.version == 2
    assert mine.version == 2  # the form comes back with the current version
    _save(coordinator, mine, "確かめて保存", mine.version)  # a deliberate overwrite
    case.refresh_from_db()
    assert case.title == "確かめて保存" and case.version == 3


@pytest.mark.django_db(transaction=True)
def test_racing_case_saves_have_one_winner(case: Case, coordinator: User, manager: User) -> None:
    if not POSTGRES:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serializes whole transactions)")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user: User, title: str) -> None:
        try:
            record = Case.dangerously_unscoped.get(pk=case.pk)
            barrier.wait()
            _save(user, record, title, 1)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(coordinator, "一人目")),
        threading.Thread(target=save, args=(manager, "二人目")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    case.refresh_from_db()
    assert case.version == 2 and case.title in ("一人目", "二人目")
