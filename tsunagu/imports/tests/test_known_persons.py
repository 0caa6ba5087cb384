"""Issue 7, class 1: an import that meets a person the city already knows says so row by row,
and the importer links the row to the existing record instead of adding a duplicate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.imports.models import ImportJob
from tsunagu.imports.tests.conftest import PERSON_HEADER, csv_text, write
from tsunagu.imports.tests.test_commands import run
from tsunagu.imports.tests.test_views import run_to_end, started
from tsunagu.people import matching
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create

pytestmark = pytest.mark.django_db

ROWS = [
    PERSON_HEADER,
    "P001,山田,一郎,やまだ,いちろう,1972/05/01,男性,939-0000,北町1丁目2番3号,0766-00-0000",
    "P002,佐藤,花子,さとう,はなこ,1990/01/02,女性,,,",
]


def known_yamada(user: User) -> Person:
    return person_create(
        user=user,
        data=PersonData(
            family_name="山田",
            given_name="一郎",
            family_name_kana="ヤマダ",
            given_name_kana="イチロウ",
            birth_date=dt.date(1972, 5, 1),
            phone="0766-00-0000",
        ),
    )


def confirming(user: User) -> ImportJob:
    client = client_for(user)
    job = started(client, "persons", csv_text(ROWS).encode())
    run_to_end(client, job)
    job.refresh_from_db()
    return job


def test_a_known_person_is_reported_and_waits_for_the_importers_decision(
    counselor: User,
) -> None:
    yamada = known_yamada(counselor)
    job = confirming(counselor)
    assert job.status == ImportJob.Status.CONFIRMING
    assert [k["line"] for k in job.known] == [2]
    assert job.known[0]["person_id"] == yamada.pk
    assert Person.dangerously_unscoped.count() == 1  # nothing written yet
    page = client_for(counselor).get(f"/imports/{job.pk}/").content.decode()
    assert "同一人物の可能性が高い" in page and "既存の記録に結び付ける" in page
    assert f"番号 {yamada.pk}" in page and "1972年5月1日生" in page


def test_linking_updates_the_existing_record_and_logs_the_link(counselor: User) -> None:
    yamada = known_yamada(counselor)
    job = confirming(counselor)
    response = client_for(counselor).post(
        f"/imports/{job.pk}/confirm/", {"action": "write", "row-2": str(yamada.pk)}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created_count, job.linked_count) == (1, 1)
    assert job.decisions == {"2": yamada.pk} and job.decided_at is not None
    assert Person.dangerously_unscoped.filter(family_name="山田").count() == 1
    yamada.refresh_from_db()
    assert yamada.external_id == "P001" and yamada.address == "北町1丁目2番3号"
    assert AccessLog.objects.filter(
        action=AccessLog.Action.LINK, person_id=yamada.pk, user=counselor
    ).exists()
    page = client_for(counselor).get(f"/imports/{job.pk}/").content.decode()
    assert "既存の記録に結び付けました" in page


def test_registering_anew_is_a_choice_too(counselor: User) -> None:
    known_yamada(counselor)
    job = confirming(counselor)
    client_for(counselor).post(f"/imports/{job.pk}/confirm/", {"action": "write", "row-2": "0"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 2
    assert Person.dangerously_unscoped.filter(family_name="山田").count() == 2


@pytest.mark.parametrize("value", [None, "", "abc", "999999"])
def test_a_missing_or_foreign_decision_is_refused_and_nothing_is_written(
    counselor: User, value: str | None
) -> None:
    known_yamada(counselor)
    job = confirming(counselor)
    data = {"action": "write"} | ({} if value is None else {"row-2": value})
    response = client_for(counselor).post(f"/imports/{job.pk}/confirm/", data)
    assert response.status_code == 400
    assert "行 2 について" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CONFIRMING
    assert Person.dangerously_unscoped.count() == 1


def test_the_importer_may_stop_at_the_confirmation(counselor: User) -> None:
    known_yamada(counselor)
    job = confirming(counselor)
    client_for(counselor).post(f"/imports/{job.pk}/confirm/", {"action": "cancel"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.text == ""
    assert Person.dangerously_unscoped.count() == 1


def test_another_organizations_person_is_named_only_by_its_holder(
    counselor: User, receiver: User
) -> None:
    theirs = known_yamada(receiver)
    job = confirming(counselor)
    assert job.status == ImportJob.Status.CONFIRMING
    (row,) = job.known
    assert row["person_id"] is None and row["person_label"] == ""
    assert row["organization"] == receiver.organization.name  # type: ignore[union-attr]
    assert AccessLog.objects.filter(
        action=AccessLog.Action.DISCLOSED_AS_KNOWN, person_id=theirs.pk, user=counselor
    ).exists()
    page = client_for(counselor).get(f"/imports/{job.pk}/").content.decode()
    assert "一郎" not in page.split("同じ人かもしれない記録")[1].split("</table>")[0].replace(
        "山田 一郎", ""
    )
    client_for(counselor).post(f"/imports/{job.pk}/confirm/", {"action": "write"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 2


def test_a_file_without_known_persons_is_written_without_asking(counselor: User) -> None:
    job = confirming(counselor)
    assert job.status == ImportJob.Status.DONE and job.created_count == 2


def test_another_user_of_the_organization_cannot_confirm_across_cities(
    counselor: User, outsider: User
) -> None:
    yamada = known_yamada(counselor)
    job = confirming(counselor)
    response = client_for(outsider).post(
        f"/imports/{job.pk}/confirm/", {"action": "write", "row-2": str(yamada.pk)}
    )
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CONFIRMING


def test_the_command_line_lists_the_known_rows(tmp_path: Path, counselor: User) -> None:
    known_yamada(counselor)
    out, _ = run("import_persons", write(tmp_path / "p.csv", ROWS), counselor)
    assert "同一人物の可能性: 行 2: 山田 一郎 は 既存の記録「" in out
    assert "同一人物の可能性がある行 1 件" in out


def test_a_row_is_compared_only_with_the_citys_namesakes_sharing_a_second_fact(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row of 山田一郎 born 1972-05-01 is compared with the city's 山田一郎 of that birth date,
    never with the 山田一郎 born in another year on another day (a name alone pairs nothing)."""
    yamada = known_yamada(counselor)
    namesake = person_create(
        user=counselor,
        data=PersonData(
            family_name="山田",
            given_name="一郎",
            family_name_kana="ヤマダ",
            given_name_kana="イチロウ",
            birth_date=dt.date(1948, 9, 23),
            phone="0766-99-9999",
        ),
    )
    compared: list[dt.date | None] = []
    compare = matching.compare

    def recorded(a: matching.PersonFacts, b: matching.PersonFacts) -> matching.Match:
        compared.append(b.birth_date)
        return compare(a, b)

    monkeypatch.setattr(matching, "compare", recorded)
    job = confirming(counselor)
    assert [k["person_id"] for k in job.known] == [yamada.pk]
    assert namesake.birth_date not in compared and yamada.birth_date in compared
