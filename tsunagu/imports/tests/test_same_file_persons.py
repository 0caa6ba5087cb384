"""Issue 7, class 1: two rows of the same import file that are one human (two IDs in the
agency's system) are flagged row by row, and the importer decides: the same person as the
earlier row (both registered, joined by a 名寄せ link) or someone else."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.imports.models import ImportJob
from tsunagu.imports.tests.conftest import PERSON_HEADER, csv_text, write
from tsunagu.imports.tests.test_commands import run
from tsunagu.imports.tests.test_views import run_to_end, started
from tsunagu.people.models import Person, PersonLink

pytestmark = pytest.mark.django_db

ROWS = [
    PERSON_HEADER,
    "P001,山田,一郎,やまだ,いちろう,1972/05/01,男性,939-0000,北町1丁目2番3号,0766-00-0000",
    "P002,佐藤,花子,さとう,はなこ,1990/01/02,女性,,,",
    # the same man under a second ID, written the way another desk types: 和暦, half-width kana
    "P003,山田,一郎,ﾔﾏﾀﾞ,ｲﾁﾛｳ,S47.5.1,男性,939-0000,北町1-2-3,0766000000",
    # a namesake born another year, nothing else shared: not flagged
    "P004,佐藤,花子,さとう,はなこ,1961/08/09,女性,,,",
]


def confirming(user: User) -> ImportJob:
    client = client_for(user)
    job = started(client, "persons", csv_text(ROWS).encode())
    run_to_end(client, job)
    job.refresh_from_db()
    return job


def test_a_second_row_of_the_same_person_is_flagged_and_waits(counselor: User) -> None:
    job = confirming(counselor)
    assert job.status == ImportJob.Status.CONFIRMING
    assert [(k["line"], k["first_line"]) for k in job.known] == [(4, 2)]
    assert not Person.dangerously_unscoped.exists()  # nothing written yet
    page = client_for(counselor).get(f"/imports/{job.pk}/").content.decode()
    assert "このファイルの行 2「山田 一郎」（ID P001）" in page
    assert "同一人物の可能性が高い" in page and "生年月日" in page
    assert "行 2 と同一人物として登録する" in page and 'value="same-2"' in page
    assert page.count("<caption>すでに市内で把握されている人") == 1


def test_the_same_person_is_registered_with_both_ids_and_linked(counselor: User) -> None:
    job = confirming(counselor)
    response = client_for(counselor).post(
        f"/imports/{job.pk}/confirm/", {"action": "write", "row-4": "same-2"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.decisions == {"4": -2} and job.created_count == 4
    first = Person.dangerously_unscoped.get(external_id="P001")
    second = Person.dangerously_unscoped.get(external_id="P003")
    link = PersonLink.dangerously_unscoped.get()
    assert {link.person_a_id, link.person_b_id} == {first.pk, second.pk}
    assert link.kind == PersonLink.Kind.SAME_PERSON and "行 2 と行 4" in link.note
    assert AccessLog.objects.filter(action=AccessLog.Action.LINK, person_id=second.pk).exists()
    page = client_for(counselor).get(f"/imports/{job.pk}/").content.decode()
    assert "行 2 と同一人物として登録しました" in page


def test_someone_else_is_registered_without_a_link(counselor: User) -> None:
    job = confirming(counselor)
    client_for(counselor).post(f"/imports/{job.pk}/confirm/", {"action": "write", "row-4": "0"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 4
    assert not PersonLink.dangerously_unscoped.exists()


@pytest.mark.parametrize("value", [None, "same-3", "same-99", "5"])
def test_a_missing_or_wrong_decision_is_refused(counselor: User, value: str | None) -> None:
    job = confirming(counselor)
    data = {"action": "write"} | ({} if value is None else {"row-4": value})
    response = client_for(counselor).post(f"/imports/{job.pk}/confirm/", data)
    assert response.status_code == 400 and "行 4 について" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CONFIRMING
    assert not Person.dangerously_unscoped.exists()


def test_the_command_line_lists_the_row_too(tmp_path: Path, counselor: User) -> None:
    out, _ = run("import_persons", write(tmp_path / "p.csv", ROWS), counselor)
    assert "行 4: 山田 一郎 は このファイルの行 2「山田 一郎」（ID P001） と" in out
