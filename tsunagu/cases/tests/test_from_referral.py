"""Opening a case straight from a つなぎ in the coordinating organization's inbox: the referral
is accepted, its person and the household members the organization may see come along."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import Basis
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case, CaseEvent, CaseMember
from tsunagu.cases.services import CaseData, case_from_referral
from tsunagu.cases.tests.conftest import Household, org
from tsunagu.consent.services import consent_record
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, household_member_add, person_create
from tsunagu.referrals.models import Referral
from tsunagu.referrals.services import ReferralData, referral_create, referral_decline


def _refer(counselor: User, person: Person) -> Referral:
    consent = consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="多機関協働による支援",
        scope_organizations=[org("chiiki-fukushi-ka")],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    consultation = consultation_create(
        user=counselor,
        person=person,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="self",
            main_topic="care",
            content="世帯の相談",
            response="referral",
        ),
    )
    return referral_create(
        user=counselor,
        consultation=consultation,
        data=ReferralData(
            to_organization=org("chiiki-fukushi-ka"),
            reason="世帯全体の支援",
            basis=Basis.CONSENT,
            consent=consent,
        ),
    )


def test_the_coordinator_opens_a_case_from_a_referral_with_the_household(
    household: Household, counselor: User, coordinator: User
) -> None:
    mother = household.mother
    daughter = person_create(user=counselor, data=PersonData(family_name="山田", given_name="花"))
    father = person_create(user=counselor, data=PersonData(family_name="山田", given_name="茂"))
    home = household_member_add(user=counselor, person=mother, relationship="head").household
    household_member_add(user=counselor, person=daughter, relationship="child", household=home)
    household_member_add(user=counselor, person=father, relationship="spouse", household=home)
    referral = _refer(counselor, mother)
    _refer(counselor, daughter)  # the coordinator sees the daughter too; the father it does not
    client = client_for(coordinator)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"/cases/from-referral/{referral.pk}/" in page
    assert client.get(f"/cases/from-referral/{referral.pk}/").status_code == 200
    response = client.post(
        f"/cases/from-referral/{referral.pk}/",
        {"title": "山田さん世帯", "subject": "household", "lead_coordinator": coordinator.pk},
    )
    assert response.status_code == 302
    case = Case.dangerously_unscoped.get(origin_referral=referral)
    assert case.origin == "referral" and case.organization == org("chiiki-fukushi-ka")
    members = {m.person_id: m for m in CaseMember.dangerously_unscoped.filter(case=case)}
    assert set(members) == {mother.pk, daughter.pk}
    assert members[mother.pk].is_principal and members[daughter.pk].relationship == "child"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert CaseEvent.dangerously_unscoped.filter(case=case, summary__contains="つなぎ").exists()
    # the referral page now links the case; a second opening is refused, nothing half-saved
    assert f"/cases/{case.pk}/" in client.get(f"/referrals/{referral.pk}/").content.decode()
    again = client.post(
        f"/cases/from-referral/{referral.pk}/",
        {"title": "山田さん世帯", "subject": "household", "lead_coordinator": coordinator.pk},
    )
    assert again.status_code == 400
    assert "既に事例を開始しています" in again.content.decode()
    assert Case.dangerously_unscoped.filter(origin_referral=referral).count() == 1


def test_others_get_not_found(
    household: Household, counselor: User, coordinator: User, receiver: User, outsider: User
) -> None:
    referral = _refer(counselor, household.mother)
    url = f"/cases/from-referral/{referral.pk}/"
    missing = client_for(outsider).get("/cases/from-referral/987654321/")
    # the sender, another window and another city's staff: the not-found answer
    for user in (counselor, receiver, outsider):
        response = client_for(user).get(url)
        assert response.status_code == 404, user
        post = client_for(user).post(url, {"title": "x", "lead_coordinator": coordinator.pk})
        assert post.status_code == 404, user
    assert client_for(outsider).get(url).content == missing.content
    assert not Case.dangerously_unscoped.filter(origin_referral=referral).exists()
    assert client_for(None).get(url).status_code == 302


def test_a_declined_referral_opens_no_case(
    household: Household, counselor: User, coordinator: User
) -> None:
    referral = _refer(counselor, household.mother)
    referral_decline(user=coordinator, referral=referral, reason="対象外")
    with pytest.raises(ValidationError, match="辞退"):
        case_from_referral(user=coordinator, referral=referral, data=CaseData(title="山田さん世帯"))
