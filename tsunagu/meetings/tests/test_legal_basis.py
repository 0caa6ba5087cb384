"""Meeting bodies carry their legal basis as data, consistent by construction."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from conftest import client_for
from tsunagu.accounts.models import Role
from tsunagu.accounts.services import user_create
from tsunagu.meetings.models import LEGAL_BASES, MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Municipality, Organization


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "flags"),
    [
        # a statutory confidential body does not rest on consent
        (MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING, {"requires_consent": True}),
        (MeetingBodyKind.CHILD_PROTECTION_COUNCIL, {"confidentiality_duty": False}),
        # a platform discusses no individual
        (MeetingBodyKind.PLATFORM, {"discusses_individuals": True}),
        # consent without individuals is meaningless
        (MeetingBodyKind.CASE_CONFERENCE, {"discusses_individuals": False}),
        # a second role equal to the first
        (MeetingBodyKind.CASE_CONFERENCE, {"second_kind": MeetingBodyKind.CASE_CONFERENCE}),
    ],
)
def test_the_database_refuses_contradictory_flags(
    city: Municipality, kind: str, flags: dict[str, object]
) -> None:
    basis = LEGAL_BASES[kind]
    values = {
        "discusses_individuals": basis.discusses_individuals,
        "requires_consent": basis.requires_consent,
        "confidentiality_duty": basis.confidentiality_duty,
        **flags,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingBody.objects.create(municipality=city, code="x", name="x", kind=kind, **values)


@pytest.mark.django_db
def test_every_kind_default_is_allowed(city: Municipality) -> None:
    for n, (kind, basis) in enumerate(LEGAL_BASES.items()):
        MeetingBody.objects.create(
            municipality=city,
            code=f"k{n}",
            name=kind,
            kind=kind,
            legal_basis=basis.basis,
            discusses_individuals=basis.discusses_individuals,
            requires_consent=basis.requires_consent,
            confidentiality_duty=basis.confidentiality_duty,
        )
    assert set(LEGAL_BASES) == set(MeetingBodyKind.values)


@pytest.mark.django_db
def test_sanda_body_holds_two_roles_and_has_child_meetings() -> None:
    call_command("load_plan", "sanda", stdout=StringIO())
    body = MeetingBody.objects.get(municipality__slug="sanda", code="takikan-shien-kaigi")
    assert body.kind == MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING
    assert body.second_kind == MeetingBodyKind.CASE_CONFERENCE
    assert body.is_support_meeting and body.confidentiality_duty and not body.requires_consent
    assert "三田市多機関協働支援会議設置要綱" in body.legal_basis
    assert {c.name for c in body.children.all()} >= {
        "全体会議",
        "実務者会議",
        "個別事例検討会議",
        "重層的支援会議",
        "コアメンバー会議",
    }


@pytest.mark.django_db
def test_overview_states_each_bodys_legal_basis() -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    viewer = user_create(
        username="ise-viewer",
        organization=Organization.objects.get(municipality__slug="ise", code="yorisoi"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    page = client_for(viewer).get("/plan/").content.decode()

    def row(name: str) -> str:
        return page.split(f"{name}\n", 1)[1].split("</tr>", 1)[0]

    yotaikyo = row("要保護児童対策地域協議会")
    assert "児童福祉法第25条の2" in yotaikyo and "法定の守秘義務" in yotaikyo
    assert "本人同意のうえ" not in yotaikyo
    assert "個人の事例は扱わない" in row("伊勢市多分野協働プラットフォーム会議")
    assert "本人同意のうえ" in row("重層的支援会議")
    assert "社会福祉法第106条の6" in row("ふくし総合支援会議")
