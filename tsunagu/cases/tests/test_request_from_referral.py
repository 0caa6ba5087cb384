"""A window that received a つなぎ and does not coordinate sends it on to 多機関協働 from its
inbox: the referral is accepted, its own consultation (「多機関協働へ」) is recorded in the same
step, and the case request reaches the coordinating organization."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import Basis
from tsunagu.accounts.models import User
from tsunagu.cases.models import CaseRequest
from tsunagu.cases.services import CaseRequestData, case_request_from_referral
from tsunagu.cases.tests.conftest import Household, org
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.referrals.models import Referral
from tsunagu.referrals.services import ReferralData, referral_create, referral_decline


def _refer_to_receiver(counselor: User, household: Household) -> Referral:
    """The 地域包括 (counselor) passes the mother on to the くらしサポートセンター (receiver)."""
    consultation = consultation_create(
        user=counselor,
        person=household.mother,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="self",
            main_topic="care",
            content="母の介護と息子のこと",
            response="referral",
            topics=["care", "8050"],
        ),
    )
    return referral_create(
        user=counselor,
        consultation=consultation,
        data=ReferralData(
            to_organization=org("jiritsu-soudan"),
            reason="生活の立て直し",
            basis=Basis.CONSENT,
            consent=household.mother_consent,
        ),
    )


def _form(coordinator_org: int) -> dict[str, object]:
    return {
        "coordinating_organization": coordinator_org,
        "note": "8050。母の介護と息子のひきこもり",
        "basis": "statute",
        "statute": "elder-abuse-7",
    }


def _requests(referral: Referral) -> int:
    return CaseRequest.dangerously_unscoped.filter(source_referral=referral).count()


def test_the_receiver_sends_the_referral_on_to_the_coordinator(
    household: Household, counselor: User, receiver: User, coordinator: User
) -> None:
    referral = _refer_to_receiver(counselor, household)
    client = client_for(receiver)
    url = f"/cases/requests/from-referral/{referral.pk}/"
    assert url in client.get(f"/referrals/{referral.pk}/").content.decode()
    page = client.get(url)
    assert page.status_code == 200 and "多機関協働へ依頼する" in page.content.decode()
    form = _form(org("chiiki-fukushi-ka").pk)
    form["form_token"] = page.context["form"].initial["form_token"]
    sent = client.post(url, form)
    assert sent.status_code == 302
    request = CaseRequest.dangerously_unscoped.get(source_referral=referral)
    assert sent["Location"] == f"/cases/requests/{request.pk}/"
    # the window's own consultation, recorded in the same step, carries the person and topics
    own = request.referral.consultation
    assert own.organization == org("jiritsu-soudan") and own.person == household.mother
    assert own.response == "multi_agency" and own.requester == "agency"
    assert {t.topic for t in own.topics.all()} == {"care", "8050"}
    assert request.referral.to_organization == org("chiiki-fukushi-ka")
    assert request.referral.statute  # the window's own basis, recorded
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    # the coordinator finds it in its inbox; the referral page shows where it went
    assert client_for(coordinator).get(f"/cases/requests/{request.pk}/").status_code == 200
    assert (
        f"/cases/requests/{request.pk}/"
        in client.get(f"/referrals/{referral.pk}/").content.decode()
    )
    # the same form sent again: taken to the first request, nothing written twice
    again = client.post(url, form)
    assert again.status_code == 302 and again["Location"] == f"/cases/requests/{request.pk}/"
    # a fresh form for the same referral: refused while the first request is live
    fresh = _form(org("chiiki-fukushi-ka").pk)
    fresh["form_token"] = client.get(url).context["form"].initial["form_token"]
    twice = client.post(url, fresh)
    assert twice.status_code == 400
    assert "既に多機関協働を依頼しています" in twice.content.decode()
    assert _requests(referral) == 1
    assert Consultation.dangerously_unscoped.filter(organization=org("jiritsu-soudan")).count() == 1


def test_nothing_is_half_saved_when_the_basis_is_missing(
    household: Household, counselor: User, receiver: User
) -> None:
    referral = _refer_to_receiver(counselor, household)
    consultations = Consultation.dangerously_unscoped.count()
    with pytest.raises(ValidationError, match="法令を選んで"):
        case_request_from_referral(
            user=receiver,
            referral=referral,
            data=CaseRequestData(
                coordinating_organization=org("chiiki-fukushi-ka"),
                note="8050",
                basis=Basis.STATUTE,
                statute="",
            ),
        )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REQUESTED
    assert Consultation.dangerously_unscoped.count() == consultations
    assert _requests(referral) == 0


def test_others_get_not_found(
    household: Household,
    counselor: User,
    receiver: User,
    coordinator: User,
    third: User,
    outsider: User,
) -> None:
    referral = _refer_to_receiver(counselor, household)
    url = f"/cases/requests/from-referral/{referral.pk}/"
    missing = client_for(outsider).get("/cases/requests/from-referral/987654321/")
    assert missing.status_code == 404
    form = _form(org("chiiki-fukushi-ka").pk)
    # the sender, the coordinator, another window and another city's staff: not found
    for user in (counselor, coordinator, third, outsider):
        assert client_for(user).get(url).status_code == 404, user
        assert client_for(user).post(url, form).status_code == 404, user
    assert client_for(outsider).get(url).content == missing.content
    assert _requests(referral) == 0
    assert client_for(None).get(url).status_code == 302


def test_a_declined_referral_cannot_be_sent_on(
    household: Household, counselor: User, receiver: User
) -> None:
    referral = _refer_to_receiver(counselor, household)
    referral_decline(user=receiver, referral=referral, reason="対象外")
    with pytest.raises(ValidationError, match="辞退"):
        case_request_from_referral(
            user=receiver,
            referral=referral,
            data=CaseRequestData(
                coordinating_organization=org("chiiki-fukushi-ka"),
                note="8050",
                basis=Basis.STATUTE,
                statute="elder-abuse-7",
            ),
        )
    assert (
        "多機関協働へ依頼する"
        not in client_for(receiver).get(f"/referrals/{referral.pk}/").content.decode()
    )
