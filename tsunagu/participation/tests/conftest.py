"""A host of 参加支援: 北ファーム (運営: 南市障がい者相談支援センター's group, so its staff —
`third` — are the host's organization), offering 畑作業の体験 on Mondays and Wednesdays for two
people; and a person of 北地域包括支援センター (counselor) with a consent covering the host."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record
from tsunagu.organizations.models import Organization
from tsunagu.participation.models import HostOffer
from tsunagu.participation.services import OfferData, offer_create
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create
from tsunagu.resources import services as rs
from tsunagu.resources.models import Category, CommunityResource


@dataclass
class Host:
    resource: CommunityResource
    offer: HostOffer
    person: Person
    consent: Consent


def make_host(manager: User, counselor: User, *, capacity: int = 2) -> Host:
    host_org = Organization.objects.get(code="shogai-soudan")
    provider = rs.provider_create(
        user=manager, data=rs.ProviderData(name="北ファームの会", organization=host_org)
    )
    category = Category.objects.get_or_create(code="work", defaults={"name": "就労体験"})[0]
    resource = rs.resource_create(
        user=manager,
        data=rs.ResourceData(
            provider=provider,
            name="北ファーム",
            description="畑",
            categories=[category],
            is_host=True,
            host_note="畑作業",
        ),
    )
    offer = offer_create(
        user=manager,
        resource=resource,
        data=OfferData(
            kind="agri_welfare",
            title="畑作業の体験",
            capacity=capacity,
            weekdays=["MO", "WE"],
            time_note="10時〜12時",
            audiences=["youth", "disability"],
        ),
    )
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name="高橋",
            given_name="翔",
            family_name_kana="たかはし",
            given_name_kana="しょう",
            phone="0766-11-2222",
        ),
    )
    consent = consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="参加支援の受け入れ先との共有",
        scope_organizations=[host_org],
        valid_from=dt.date(2025, 4, 1),
        valid_until=None,
    )
    return Host(resource=resource, offer=offer, person=person, consent=consent)


@pytest.fixture
def host(manager: User, counselor: User) -> Host:
    return make_host(manager, counselor)


TODAY = timezone.localdate
