"""An 8050 household across agencies: the mother (80) known to 北地域包括支援センター (counselor),
her son (52) known to 南市くらしサポートセンター (receiver); the coordinator at 地域福祉課 carries
多機関協働事業 in the sample plan. Each record's holder obtained a consent covering the
coordinating organization and the other window; 南市障がい者相談支援センター (third) is covered
by none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tsunagu.access.models import Basis
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case, CaseRequest, TeamRole
from tsunagu.cases.services import (
    CaseData,
    CaseRequestData,
    case_member_add,
    case_request_accept,
    case_request_create,
    case_team_join,
)
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create


def org(code: str) -> Organization:
    return Organization.objects.get(code=code)


@dataclass
class Household:
    mother: Person
    son: Person
    consultation: Consultation
    mother_consent: Consent
    son_consent: Consent


@pytest.fixture
def household(counselor: User, receiver: User, coordinator: User) -> Household:
    return make_household(counselor, receiver)


def make_household(counselor: User, receiver: User) -> Household:
    """The two records, the consultation marked 「多機関協働へ」 and the two consents."""
    mother = person_create(
        user=counselor,
        data=PersonData(
            family_name="山田",
            given_name="トメ",
            family_name_kana="やまだ",
            given_name_kana="とめ",
            birth_date=dt.date(1945, 5, 1),
            address="南市北町1-2-3",
            phone="0000-11-2222",
        ),
    )
    son = person_create(
        user=receiver,
        data=PersonData(
            family_name="山田",
            given_name="一郎",
            family_name_kana="やまだ",
            given_name_kana="いちろう",
            birth_date=dt.date(1973, 8, 8),
        ),
    )
    consultation = consultation_create(
        user=counselor,
        person=mother,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="visit",
            requester="minsei_iin",
            main_topic="care",
            content="母の介護と、同居の息子が長くひきこもっている",
            response="multi_agency",
            topics=["care", "hikikomori", "8050"],
        ),
    )
    today = timezone.localdate()
    mother_consent = consent_record(
        user=counselor,
        person=mother,
        method="written",
        purpose="多機関協働による支援",
        scope_organizations=[org("chiiki-fukushi-ka"), org("jiritsu-soudan")],
        valid_from=today,
        valid_until=None,
    )
    son_consent = consent_record(
        user=receiver,
        person=son,
        method="verbal",
        purpose="多機関協働による支援",
        scope_organizations=[org("chiiki-fukushi-ka"), org("hokatsu-kita")],
        valid_from=today,
        valid_until=today + dt.timedelta(days=365),
    )
    return Household(mother, son, consultation, mother_consent, son_consent)


def send_request(counselor: User, household: Household) -> CaseRequest:
    return case_request_create(
        user=counselor,
        consultation=household.consultation,
        data=CaseRequestData(
            coordinating_organization=org("chiiki-fukushi-ka"),
            note="8050。母の介護と息子のひきこもり",
            basis=Basis.CONSENT,
            consent=household.mother_consent,
        ),
    )


@pytest.fixture
def case(household: Household, counselor: User, receiver: User, coordinator: User) -> Case:
    """The case opened from the request, with both windows on the team and the son added by
    the window that knows him."""
    request = send_request(counselor, household)
    case = case_request_accept(
        user=coordinator, request=request, data=CaseData(title="山田さん世帯", issues=["8050"])
    )
    case_team_join(
        user=coordinator, case=case, organization=org("hokatsu-kita"), role=TeamRole.SUPPORT
    )
    case_team_join(
        user=coordinator, case=case, organization=org("jiritsu-soudan"), role=TeamRole.SUPPORT
    )
    case_member_add(user=receiver, case=case, person=household.son, relationship="child")
    return case
