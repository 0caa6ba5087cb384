"""The closed loop of a referral and the privacy rules around it, at the service level."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog, Basis
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record, consent_withdraw
from tsunagu.consultations.access import consultation_get_for
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people.access import ADDRESS_MASK, person_get_for
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create
from tsunagu.referrals.models import Referral
from tsunagu.referrals.services import (
    ReferralData,
    referral_accept,
    referral_cancel,
    referral_complete,
    referral_create,
    referral_decline,
)

WEB = AccessLog.Channel.WEB


def org(code: str) -> Organization:
    return Organization.objects.get(municipality__slug="minami", code=code)


def intake(user: User, **person: object) -> tuple[Person, Consultation]:
    data = PersonData(
        family_name="山田",
        given_name="一郎",
        family_name_kana="やまだ",
        given_name_kana="いちろう",
        birth_date=dt.date(1972, 5, 1),
        phone="0766-00-0000",
        postal_code="939-0000",
        address="北町1丁目2番3号",
    )
    for k, v in person.items():
        setattr(data, k, v)
    p = person_create(user=user, data=data)
    c = consultation_create(
        user=user,
        person=p,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="family",
            main_topic="8050",
            topics=["hikikomori", "income"],
            content="80代の母と50代の息子。息子は20年ひきこもり。<script>alert(1)</script>",
            response="referral",
        ),
    )
    return p, c


def consent_for(user: User, person: Person, *codes: str, until: dt.date | None = None) -> Consent:
    return consent_record(
        user=user,
        person=person,
        method="written",
        purpose="支援のための情報共有",
        scope_organizations=[org(c) for c in codes],
        valid_from=timezone.localdate(),
        valid_until=until,
    )


def refer(
    user: User,
    consultation: Consultation,
    consent: Consent | None,
    to: str = "jiritsu-soudan",
    **kw: object,
) -> Referral:
    data = ReferralData(
        to_organization=org(to),
        reason="就労と家計の相談が必要",
        basis=Basis.CONSENT,
        consent=consent,
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return referral_create(user=user, consultation=consultation, data=data)


def test_referral_opens_exactly_the_consented_records(
    counselor: User, receiver: User, third: User
) -> None:
    person, consultation = intake(counselor)
    assert not Person.objects.visible_to(receiver).filter(pk=person.pk).exists()
    referral = refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan"))
    assert referral.status == Referral.Status.REQUESTED
    assert referral.due_date > timezone.localdate()

    # the receiver sees the person and the consultation's content, without retyping
    access = person_get_for(user=receiver, person_id=person.pk, channel=WEB)
    assert access.grant is not None and access.grant.referral == referral
    assert access.phone_text == "0766-00-0000"
    assert access.address_text == ""  # the address was not shared
    assert consultation_get_for(
        user=receiver, consultation_id=consultation.pk, channel=WEB
    ).consultation.content.startswith("80代の母")
    # the third organization sees nothing, and gets the same 404 as for a record that does not exist
    assert not Person.objects.visible_to(third).filter(pk=person.pk).exists()
    assert not Consultation.objects.visible_to(third).filter(pk=consultation.pk).exists()
    with pytest.raises(Http404):
        person_get_for(user=third, person_id=person.pk, channel=WEB)
    with pytest.raises(Http404):
        consultation_get_for(user=third, consultation_id=consultation.pk, channel=WEB)
    with pytest.raises(Http404):
        person_get_for(user=third, person_id=999999, channel=WEB)

    referral_accept(user=receiver, referral=referral)
    referral_complete(user=receiver, referral=referral, outcome="家計改善支援を開始")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED
    assert [e.status for e in referral.events.all()] == ["requested", "accepted", "completed"]


def test_no_basis_no_disclosure(counselor: User, receiver: User) -> None:
    person, consultation = intake(counselor)
    with pytest.raises(ValidationError, match="根拠を選んでください"):
        refer(counselor, consultation, None, basis="")
    with pytest.raises(ValidationError, match="本人同意を選んでください"):
        refer(counselor, consultation, None)
    with pytest.raises(ValidationError, match="法令を選"):
        refer(counselor, consultation, None, basis=Basis.STATUTE, statute="  ")
    # a consent that does not name the receiver does not cover it
    other = consent_for(counselor, person, "shogai-soudan")
    with pytest.raises(ValidationError, match="同意の範囲"):
        refer(counselor, consultation, other)
    assert not Referral.dangerously_unscoped.exists()
    assert not AccessGrant.objects.exists()


def test_withdrawn_consent_stops_further_sharing(counselor: User, receiver: User) -> None:
    person, consultation = intake(counselor)
    consent = consent_for(counselor, person, "jiritsu-soudan")
    refer(counselor, consultation, consent)
    assert Person.objects.visible_to(receiver).filter(pk=person.pk).exists()
    consent_withdraw(user=counselor, consent=consent, note="本人より撤回の申出")
    assert not Person.objects.visible_to(receiver).filter(pk=person.pk).exists()
    with pytest.raises(Http404):
        consultation_get_for(user=receiver, consultation_id=consultation.pk, channel=WEB)
    with pytest.raises(ValidationError, match="撤回"):
        refer(counselor, consultation, consent)


def test_expired_consent_ends_access(
    counselor: User, receiver: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    person, consultation = intake(counselor)
    today = timezone.localdate()
    refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan", until=today))
    assert Person.objects.visible_to(receiver).filter(pk=person.pk).exists()
    later = timezone.now() + dt.timedelta(days=2)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert not Person.objects.visible_to(receiver).filter(pk=person.pk).exists()


def test_decline_needs_a_reason_and_ends_the_grant(counselor: User, receiver: User) -> None:
    person, consultation = intake(counselor)
    referral = refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan"))
    with pytest.raises(ValidationError, match="辞退の理由"):
        referral_decline(user=receiver, referral=referral, reason=" ")
    referral_decline(user=receiver, referral=referral, reason="対象外のため障がい相談へ")
    assert not Person.objects.visible_to(receiver).filter(pk=person.pk).exists()
    with pytest.raises(ValidationError, match="できません"):
        referral_accept(user=receiver, referral=referral)


def test_only_the_right_side_moves_a_referral(counselor: User, receiver: User, third: User) -> None:
    person, consultation = intake(counselor)
    referral = refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan"))
    for user in (counselor, third):
        with pytest.raises(ValidationError):
            referral_accept(user=user, referral=referral)
    with pytest.raises(ValidationError):
        referral_cancel(user=receiver, referral=referral)
    with pytest.raises(ValidationError, match="対応結果"):
        referral_complete(user=receiver, referral=referral, outcome="")
    with pytest.raises(ValidationError, match="できません"):
        referral_complete(user=receiver, referral=referral, outcome="済")  # not accepted yet
    referral_cancel(user=counselor, referral=referral, note="本人が来所されたため")
    assert not Person.objects.visible_to(receiver).filter(pk=person.pk).exists()


def test_address_protection_masks_and_warns(counselor: User, receiver: User) -> None:
    person, consultation = intake(
        counselor, address_protected=True, address_protection_until=dt.date(2027, 3, 31)
    )
    consent = consent_for(counselor, person, "jiritsu-soudan")
    with pytest.raises(ValidationError, match="住所秘匿"):
        refer(counselor, consultation, consent, share_address=True)
    refer(counselor, consultation, consent, share_address=True, acknowledge_address_protection=True)
    # even when shared, the address stays masked for everyone but the holder
    assert (
        person_get_for(user=receiver, person_id=person.pk, channel=WEB).address_text == ADDRESS_MASK
    )
    assert person_get_for(user=receiver, person_id=person.pk, channel=WEB).postal_code_text == ""
    assert (
        person_get_for(user=counselor, person_id=person.pk, channel=WEB).address_text
        == "北町1丁目2番3号"
    )


def test_support_meeting_basis_is_for_its_members_only(counselor: User, receiver: User) -> None:
    person, consultation = intake(counselor)
    meeting = MeetingBody.objects.get(code="shien-kaigi")
    refer(counselor, consultation, None, basis=Basis.SUPPORT_MEETING, meeting_body=meeting)
    assert Person.objects.visible_to(receiver).filter(pk=person.pk).exists()
    with pytest.raises(ValidationError, match="構成員"):
        refer(
            counselor,
            consultation,
            None,
            to="shogai-soudan",
            basis=Basis.SUPPORT_MEETING,
            meeting_body=meeting,
        )
    case_conference = MeetingBody.objects.get(code="jusoteki-shien-kaigi")
    with pytest.raises(ValidationError, match="支援会議"):
        refer(
            counselor, consultation, None, basis=Basis.SUPPORT_MEETING, meeting_body=case_conference
        )


def test_anonymous_consultation_cannot_rest_on_consent(counselor: User) -> None:
    consultation = consultation_create(
        user=counselor,
        person=None,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="phone",
            requester="resident",
            main_topic="isolation",
            content="近所の高齢男性を最近見かけない",
            response="referral",
            anonymous_label="北町の男性",
        ),
    )
    with pytest.raises(ValidationError, match="匿名"):
        refer(counselor, consultation, None)
    referral = refer(counselor, consultation, None, basis=Basis.STATUTE, statute="elder-abuse-7")
    assert referral.person is None
    assert not AccessGrant.objects.exists()


def test_only_own_consultations_can_be_referred(counselor: User, receiver: User) -> None:
    person, consultation = intake(counselor)
    refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan"))
    with pytest.raises(ValidationError, match="自機関で受け付けた相談"):
        refer(receiver, consultation, None, to="shogai-soudan", basis=Basis.STATUTE, statute="dv-6")


def test_a_statute_basis_names_a_statute_of_the_list(counselor: User, city: Municipality) -> None:
    """One meaningless character is no legal basis: only the national list or the city's own."""
    from tsunagu.access.models import Statute

    _, consultation = intake(counselor)
    for text in ("x", "高齢者虐待防止法", ""):
        with pytest.raises(ValidationError) as err:
            refer(counselor, consultation, None, basis=Basis.STATUTE, statute=text)
        assert "statute" in err.value.message_dict
    Statute.objects.create(
        municipality=city, code="city-mimamori", name="南市見守り条例", article="第5条"
    )
    referral = refer(counselor, consultation, None, basis=Basis.STATUTE, statute="city-mimamori")
    assert referral.statute == "南市見守り条例 第5条"
