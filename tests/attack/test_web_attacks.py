"""Attacks through the pages: every form refuses a request without its CSRF token, and script
typed into any free-text field is never executed on any page (it comes back escaped)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for, make_user
from tsunagu.access.models import Basis
from tsunagu.access.tests.test_every_endpoint import ROUTES, _call, _routes, _url, records
from tsunagu.accounts.models import Role, User
from tsunagu.consent.services import consent_record
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people.services import PersonData, household_member_add, person_create
from tsunagu.referrals.services import ReferralData, referral_create

__all__ = ["records"]  # the matrix's records, as a fixture here too

SCRIPT = "<script>alert('xss')</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'


def test_every_form_refuses_a_request_without_its_csrf_token(
    records: dict[str, int], counselor: User
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(counselor)
    posts = 0
    for name, params in _routes():
        if name not in ROUTES or ROUTES[name].method != "POST":
            continue
        response = _call(client, name, _url(name, params, records), records)
        assert response.status_code == 403, name
        posts += 1
    assert posts >= 8


@pytest.fixture
def hostile(counselor: User, city: Municipality) -> dict[str, int]:
    """Records whose every free-text field carries script or an attribute breaker."""
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name=SCRIPT[:50],
            given_name=ATTRIBUTE[:50],
            family_name_kana="すくりぷと",
            birth_date=dt.date(1950, 1, 1),
            address=SCRIPT,
            phone="0766-00-0000",
            contact_note=SCRIPT,
            former_family_names=[SCRIPT[:50]],
        ),
    )
    household_member_add(
        user=counselor, person=person, relationship="head", household_name=SCRIPT[:100]
    )
    consultation = consultation_create(
        user=counselor,
        person=person,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="agency",
            requester_detail=SCRIPT,
            main_topic="care",
            content=SCRIPT + ATTRIBUTE,
            response="referral",
        ),
    )
    target = Organization.objects.get(code="jiritsu-soudan")
    consent = consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose=SCRIPT,
        scope_organizations=[target],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    referral = referral_create(
        user=counselor,
        consultation=consultation,
        data=ReferralData(
            to_organization=target, reason=SCRIPT, basis=Basis.CONSENT, consent=consent
        ),
    )
    return {"person": person.pk, "consultation": consultation.pk, "referral": referral.pk}


def test_script_in_free_text_never_runs_on_any_page(
    hostile: dict[str, int], counselor: User, receiver: User, city: Municipality
) -> None:
    manager = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")
    pages = [
        (counselor, f"/people/{hostile['person']}/"),
        (counselor, f"/people/{hostile['person']}/edit/"),
        (counselor, "/people/?q=0766-00-0000"),
        (counselor, f"/consultations/{hostile['consultation']}/"),
        (counselor, "/consultations/"),
        (counselor, f"/referrals/{hostile['referral']}/"),
        (counselor, "/referrals/?box=out"),
        (receiver, "/referrals/"),
        (receiver, f"/referrals/{hostile['referral']}/"),
        (receiver, f"/people/{hostile['person']}/"),
        (manager, f"/people/{hostile['person']}/access-log/"),
    ]
    for user, url in pages:
        body = client_for(user).get(url).content.decode()
        assert SCRIPT not in body, url
        assert "<img src=x" not in body, url
    # and it is still there, as text, where it belongs
    body = client_for(counselor).get(f"/consultations/{hostile['consultation']}/").content.decode()
    assert "&lt;script&gt;" in body
