"""Centres grouped under one plan line keep their own scopes; the line's counts roll up."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import Role, User
from tsunagu.accounts.services import user_create
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.selectors import consultation_counts_by_site
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create


def staff(code: str, role: str = Role.COUNSELOR) -> User:
    return user_create(
        username=f"ise-{code}-{role}",
        organization=Organization.objects.get(municipality__slug="ise", code=code),
        roles=[role],
        password=None,
    )


def consult(user: User, *, person: bool, is_new: bool = True) -> None:
    someone = (
        person_create(
            user=user,
            data=PersonData(
                family_name="伊勢",
                given_name="花子",
                family_name_kana="いせ",
                given_name_kana="はなこ",
                birth_date=dt.date(1940, 1, 2),
            ),
        )
        if person
        else None
    )
    consultation_create(
        user=user,
        person=someone,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="self",
            main_topic="care",
            content="介護の相談",
            response="information",
            anonymous_label="" if person else "匿名の方",
            is_new=is_new,
        ),
    )


@pytest.mark.django_db
def test_a_centre_sees_nothing_of_its_sibling_but_the_line_counts_both() -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    higashi, isuzu = staff("hokatsu-higashi"), staff("hokatsu-isuzu")
    consult(higashi, person=True)
    consult(higashi, person=False, is_new=False)
    consult(isuzu, person=False)

    # the sibling centre (another 受託法人) sees neither the person nor the consultation
    assert Person.objects.visible_to(isuzu).count() == 0
    assert Consultation.objects.visible_to(isuzu).count() == 1  # only its own
    person_id = Person.objects.visible_to(higashi).get().pk
    assert client_for(isuzu).get(f"/people/{person_id}/").status_code == 404
    assert client_for(higashi).get(f"/people/{person_id}/").status_code == 200

    line = Organization.objects.get(municipality__slug="ise", code="hokatsu")
    year = fiscal_year_of(timezone.localdate())
    with CaptureQueriesContext(connection) as queries:
        counts = consultation_counts_by_site(line=line, fiscal_year=year)
    assert len(queries) <= 4  # centres, counts, sites (+ the municipality)
    by_code = {s.organization.code: (s.new, s.total) for s in counts.sites}
    assert len(by_code) == 7  # the line and its six centres
    assert by_code["hokatsu-higashi"] == (1, 2)
    assert by_code["hokatsu-isuzu"] == (1, 1)
    assert by_code["hokatsu-nishi"] == (0, 0)
    assert (counts.new, counts.total) == (2, 3)


@pytest.mark.django_db
def test_the_line_sees_every_centres_counts_a_centre_only_its_own() -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    higashi, isuzu = staff("hokatsu-higashi"), staff("hokatsu-isuzu")
    consult(higashi, person=True)
    consult(higashi, person=False, is_new=False)
    consult(isuzu, person=False)
    manager = staff("hokatsu", Role.MANAGER)

    page = client_for(manager).get("/consultations/sites/").content.decode()
    assert "地域包括支援センター（東）" in page and "地域包括支援センター（西）" in page
    total = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert ">2<" in total and ">3<" in total
    assert "伊勢" not in page and "介護の相談" not in page  # numbers only

    own = client_for(isuzu).get("/consultations/sites/").content.decode()
    assert "地域包括支援センター（五十鈴）" in own
    assert "地域包括支援センター（東）" not in own and "<tfoot>" not in own


@pytest.mark.django_db
def test_a_window_with_two_sites_records_where_a_consultation_was_taken() -> None:
    from django.core.exceptions import ValidationError

    from tsunagu.organizations.models import Site

    call_command("load_plan", "inzai", stdout=StringIO())
    window = Organization.objects.get(municipality__slug="inzai", code="sogo-sodan")
    counselor = user_create(
        username="inzai-window", organization=window, roles=[Role.COUNSELOR], password=None
    )
    cosmos = Site.objects.get(organization=window, code="cosmos-palette")
    data = ConsultationData(
        received_at=timezone.now(),
        channel="window",
        requester="self",
        main_topic="care",
        content="相談",
        response="information",
        anonymous_label="匿名の方",
        site_id=cosmos.pk,
    )
    taken = consultation_create(user=counselor, person=None, data=data)
    assert taken.site == cosmos
    sheet = client_for(counselor).get(f"/consultations/{taken.pk}/").content.decode()
    assert "受付拠点" in sheet and "コスモスパレット内" in sheet
    # a site of another organization is refused, nothing saved
    other = user_create(
        username="inzai-other",
        organization=Organization.objects.get(municipality__slug="inzai", code="hokatsu"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    with pytest.raises(ValidationError, match="拠点ではありません"):
        consultation_create(user=other, person=None, data=data)
    assert Consultation.dangerously_unscoped.count() == 1

    # the form offers the sites only where there are some
    assert "受付拠点" in client_for(counselor).get("/consultations/new/").content.decode()
    assert "受付拠点" not in client_for(other).get("/consultations/new/").content.decode()
    page = client_for(counselor).get("/consultations/sites/").content.decode()
    breakdown = page.split("拠点・出張所ごとの内訳", 1)[1]
    row = breakdown.split("コスモスパレット内", 1)[1].split("</tr>", 1)[0]
    assert ">1<" in row


@pytest.mark.django_db
def test_the_lines_department_sees_its_centres_counts() -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    manager = user_create(
        username="imizu-chiiki-manager",
        organization=Organization.objects.get(municipality__slug="imizu", code="chiiki-fukushi-ka"),
        roles=[Role.MANAGER],
        password=None,
    )
    page = client_for(manager).get("/consultations/sites/").content.decode()
    line = page.split('id="line-hokatsu"', 1)[1].split("</section>", 1)[0]
    for name in ("新湊西", "新湊東", "小杉・下", "小杉南", "大門", "大島"):
        assert f"{name}地域包括支援センター" in line
    assert "合計" in line
