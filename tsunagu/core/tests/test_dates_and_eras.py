"""Issue 7, class 3 (dates and eras): 和暦 from 明治 on, right at the era boundaries; dates read
as offices write them; a person born in 大正 opens everywhere; times are Tokyo times in pages,
`__str__`, CSV and the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consent.models import Consent
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.tests.test_pages import org_id, register_person, take_consultation
from tsunagu.core import fiscal
from tsunagu.imports.tests.conftest import PERSON_HEADER, write
from tsunagu.imports.tests.test_commands import run
from tsunagu.people.models import Person
from tsunagu.referrals.models import Referral

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(1900, 1, 1), "明治33年1月1日"),
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.date(1912, 7, 30), "大正元年7月30日"),
        (dt.date(1920, 5, 5), "大正9年5月5日"),
        (dt.date(1926, 12, 24), "大正15年12月24日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2026, 4, 1), "令和8年4月1日"),
    ],
)
def test_wareki_is_right_at_every_era_boundary(day: dt.date, label: str) -> None:
    assert fiscal.wareki_date(day) == label
    assert fiscal.parse_wareki_date(label) == day  # and reads back


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("昭和23年3月3日", dt.date(1948, 3, 3)),
        ("S23.3.3", dt.date(1948, 3, 3)),
        ("s23.3.3", dt.date(1948, 3, 3)),
        ("R8/4/1", dt.date(2026, 4, 1)),
        ("Ｈ元．１．８", dt.date(1989, 1, 8)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("T15.12.24", dt.date(1926, 12, 24)),
        ("M45-7-29", dt.date(1912, 7, 29)),
        ("1948/3/3", dt.date(1948, 3, 3)),
        ("1948-03-03", dt.date(1948, 3, 3)),
        ("1948年3月3日", dt.date(1948, 3, 3)),
    ],
)
def test_dates_are_read_as_offices_write_them(text: str, day: dt.date) -> None:
    assert fiscal.parse_wareki_date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("昭和64年1月8日", "昭和64年1月8日はありません"),
        ("H31.5.1", "平成31年5月1日はありません"),
        ("大正15年12月25日", "大正15年12月25日はありません"),
        ("S0.1.1", "昭和0年はありません"),
        ("R8/2/30", "存在しない日付です"),
        ("来月", "日付として読めません"),
    ],
)
def test_impossible_dates_are_refused_in_japanese(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fiscal.parse_wareki_date(text)


def test_a_person_born_in_taisho_opens_everywhere(counselor: User, receiver: User) -> None:
    """Today a consultation or referral of a person born before 1926 was a server error."""
    client = client_for(counselor)
    person = register_person(client, birth_date="1920-05-05", family_name="大正")
    consultation = take_consultation(client, person)
    client.post(
        "/consents/new/",
        {
            "person": person.pk,
            "method": "written",
            "purpose": "共有",
            "scope_organizations": [org_id("jiritsu-soudan")],
            "valid_from": timezone.localdate(),
        },
    )
    response = client.post(
        "/referrals/new/",
        {
            "consultation": consultation.pk,
            "to_organization": org_id("jiritsu-soudan"),
            "reason": "家計",
            "basis": "consent",
            "consent": Consent.dangerously_unscoped.get(person=person).pk,
        },
    )
    assert response.status_code == 302
    referral = Referral.dangerously_unscoped.get()
    for url in (
        f"/people/{person.pk}/",
        f"/consultations/{consultation.pk}/",
        f"/referrals/{referral.pk}/",
        "/consultations/",
        "/referrals/?box=out",
        f"/people/?q={person.family_name}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "大正9年5月5日" in client.get(f"/people/{person.pk}/").content.decode()
    assert client_for(receiver).get(f"/referrals/{referral.pk}/").status_code == 200


def test_times_are_tokyo_times_in_str_pages_csv_and_the_api(counselor: User) -> None:
    client = client_for(counselor)
    person = register_person(client)
    early = dt.datetime(2026, 4, 1, 7, 13, tzinfo=TOKYO)  # 2026-03-31 22:13 UTC
    consultation = take_consultation(client, person, received_at="2026-04-01T07:13")
    assert consultation.received_at == early
    consultation.refresh_from_db()  # as the database gives it back (UTC)
    assert str(consultation).startswith("2026-04-01 ")
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "令和8年4月1日" in page and "07:13" in page
    assert "2026-04-01 07:13" in client.get("/consultations/").content.decode()
    key = api_token_create(user=counselor)
    api = client.get(
        f"/api/v1/consultations/{consultation.pk}", headers={"Authorization": f"Token {key}"}
    ).json()
    assert api["received_at"] == "2026-04-01T07:13:00+09:00"
    schema = client.get("/api/v1/openapi.json").json()
    assert "+09:00" in str(schema["components"]["schemas"]["ConsultationOut"])
    from tsunagu.access.models import AccessLog

    entry = AccessLog.objects.filter(person=person).latest("pk")
    entry.at = early.astimezone(dt.UTC)  # as the database gives it back (UTC); not saved
    assert str(entry).startswith("2026-04-01 07:13")


def test_person_csv_accepts_wareki_birth_dates(tmp_path: Path, counselor: User) -> None:
    path = write(
        tmp_path / "persons.csv",
        [
            PERSON_HEADER,
            "W1,昭和,一,しょうわ,はじめ,昭和23年3月3日,男性,,,",
            "W2,昭和,二,しょうわ,じろう,S23.3.3,男性,,,",
            "W3,令和,三,れいわ,さぶろう,R8/4/1,男性,,,",
            "W4,大正,四,たいしょう,しろう,T15.12.24,男性,,,",
        ],
    )
    run("import_persons", path, counselor)
    births = dict(Person.dangerously_unscoped.values_list("external_id", "birth_date"))
    assert births == {
        "W1": dt.date(1948, 3, 3),
        "W2": dt.date(1948, 3, 3),
        "W3": dt.date(2026, 4, 1),
        "W4": dt.date(1926, 12, 24),
    }
    assert Consultation.dangerously_unscoped.count() == 0
