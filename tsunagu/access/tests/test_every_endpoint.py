"""Every intake page and action, three ways: anonymous → login, another organization → 404
(the same answer as for a record that does not exist), the holding organization → allowed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Organization
from tsunagu.people.models import HouseholdMember, PersonLink
from tsunagu.people.services import PersonData, person_create, person_link
from tsunagu.referrals.models import Basis, Referral
from tsunagu.referrals.services import ReferralData, referral_create


@pytest.fixture
def records(counselor: User) -> dict[str, int]:
    """A person, a second record of her, an anonymous consultation, a consent, a referral and a
    duplicates decision, all held by 北地域包括支援センター."""
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name="井上",
            given_name="節子",
            family_name_kana="いのうえ",
            given_name_kana="せつこ",
            birth_date=dt.date(1948, 3, 3),
            phone="0766-22-3333",
        ),
    )
    twin_record = person_create(
        user=counselor,
        data=PersonData(
            family_name="井上",
            given_name="節子",
            family_name_kana="イノウエ",
            given_name_kana="セツコ",
            birth_date=dt.date(1948, 3, 3),
        ),
    )
    data = ConsultationData(
        received_at=timezone.now(),
        channel="window",
        requester="self",
        main_topic="care",
        content="介護の相談",
        response="referral",
    )
    consultation = consultation_create(user=counselor, person=person, data=data)
    anonymous = consultation_create(
        user=counselor,
        person=None,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="phone",
            requester="resident",
            main_topic="isolation",
            content="見守りの相談",
            response="ongoing",
            anonymous_label="南町の方",
        ),
    )
    target = Organization.objects.get(code="jiritsu-soudan")
    consent = consent_record(
        user=counselor,
        person=person,
        method="verbal",
        purpose="共有",
        scope_organizations=[target],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    referral = referral_create(
        user=counselor,
        consultation=consultation,
        data=ReferralData(
            to_organization=target, reason="家計", basis=Basis.CONSENT, consent=consent
        ),
    )
    link = person_link(user=counselor, a=person, b=twin_record, kind="not_same_person")
    return {
        "person": person.pk,
        "twin": twin_record.pk,
        "consultation": consultation.pk,
        "anonymous": anonymous.pk,
        "consent": consent.pk,
        "referral": referral.pk,
        "link": link.pk,
    }


def gets(r: dict[str, int]) -> list[str]:
    return [
        "/people/",
        "/people/new/",
        "/people/duplicates/",
        "/people/postal-address/?postal_code=939-0351",
        f"/people/{r['person']}/",
        f"/people/{r['person']}/edit/",
        f"/people/{r['person']}/access-log/",
        f"/people/{r['person']}/access-log/?format=csv",
        "/consultations/",
        f"/consultations/new/?person={r['person']}",
        f"/consultations/{r['consultation']}/",
        "/referrals/",
        "/referrals/?box=out",
        f"/referrals/new/?consultation={r['consultation']}",
        f"/referrals/{r['referral']}/",
        f"/consents/new/?person={r['person']}",
        "/imports/",
    ]


def posts(r: dict[str, int]) -> list[tuple[str, dict[str, object]]]:
    return [
        (f"/people/{r['person']}/household/", {"relationship": "head"}),
        ("/people/duplicates/decide/", {"a": r["person"], "b": r["twin"], "kind": "same_person"}),
        (f"/people/duplicates/{r['link']}/undo/", {}),
        (
            f"/consultations/{r['consultation']}/follow-up/",
            {
                "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "channel": "phone",
                "content": "電話で様子を確認",
                "response": "ongoing",
            },
        ),
        (f"/consultations/{r['anonymous']}/link-person/", {"person": r["person"]}),
        (f"/referrals/{r['referral']}/cancel/", {}),
        (f"/consents/{r['consent']}/withdraw/", {"note": "撤回"}),
    ]


def test_anonymous_is_sent_to_login_everywhere(records: dict[str, int]) -> None:
    client = Client()
    for url in gets(records):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url, data in posts(records):
        response = client.post(url, data)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.parametrize("who", ["third", "outsider"])
def test_other_organizations_get_404_for_every_record(
    who: str, records: dict[str, int], request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    open_pages = {
        "/people/",
        "/people/new/",
        "/people/duplicates/",
        "/consultations/",
        "/referrals/",
        "/referrals/?box=out",
        "/imports/",
        "/people/postal-address/?postal_code=939-0351",
    }
    for url in gets(records):
        response = client.get(url)
        if url in open_pages:
            assert response.status_code == 200, url
            assert "井上" not in response.content.decode(), url
        else:
            assert response.status_code == 404, url
    for url, data in posts(records):
        assert client.post(url, data).status_code == 404, url
    # nothing changed
    assert Referral.objects.get().status == Referral.Status.REQUESTED
    assert Consent.objects.get().withdrawn_at is None
    assert PersonLink.objects.get().undone_at is None
    assert Consultation.objects.get(pk=records["anonymous"]).person is None
    assert not HouseholdMember.objects.exists()


def test_the_holding_organization_may(
    records: dict[str, int], counselor: User, city: object
) -> None:
    from conftest import make_user
    from tsunagu.accounts.models import Role

    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")  # type: ignore[arg-type]
    for user in (counselor, boss):
        client = client_for(user)
        for url in gets(records):
            # a person's access log is for managers and admins of the holding organization
            manager_only = "access-log" in url and not user.has_role(Role.MANAGER, Role.ADMIN)
            assert client.get(url).status_code == (404 if manager_only else 200), url
    client = client_for(counselor)
    for url, data in posts(records):
        assert client.post(url, data).status_code == 302, url
    assert Referral.objects.get().status == Referral.Status.CANCELLED
    assert Consent.objects.get().withdrawn_at is not None
    assert Consultation.objects.get(pk=records["anonymous"]).person_id == records["person"]
