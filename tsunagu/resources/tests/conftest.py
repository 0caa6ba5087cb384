"""Community resources of 南市 for the tests.

- `provider`: 北地域包括支援センター's own group (linked to hokatsu-kita): the counselor there
  may edit its resources; `third` (another agency) may read them but not edit.
- `salon`: a published サロン at 北公民館 (a position), weekly on Monday and Thursday, with one
  public and one staff-only contact.
- `hidden`: an unpublished resource of the same provider.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tsunagu.accounts.models import Role, User
from tsunagu.organizations.models import Area, Municipality, Organization
from tsunagu.resources.models import Category, CommunityResource, Location, Provider
from tsunagu.resources.services import (
    ContactData,
    LocationData,
    ProviderData,
    ResourceData,
    ScheduleData,
    contact_add,
    location_create,
    provider_create,
    resource_create,
    schedule_add,
)


@pytest.fixture
def lsc(city: Municipality) -> User:
    """生活支援コーディネーター at 地域福祉課: edits every resource of 南市."""
    from conftest import make_user

    return make_user(city, "chiiki-fukushi-ka", Role.LIFE_SUPPORT_COORDINATOR, "lsc")


@pytest.fixture
def provider(lsc: User) -> Provider:
    return provider_create(
        user=lsc,
        data=ProviderData(
            name="北地区ささえあいの会",
            name_kana="きたちくささえあいのかい",
            organization=Organization.objects.get(code="hokatsu-kita"),
        ),
    )


@pytest.fixture
def hall(lsc: User, city: Municipality) -> Location:
    return location_create(
        user=lsc,
        data=LocationData(
            name="北公民館",
            postal_code="939-0000",
            address="南市北町1-2-3",
            area=Area.objects.get(municipality=city, code="kita"),
            latitude=Decimal("36.700000"),
            longitude=Decimal("137.100000"),
            accessibility="車いす用トイレあり",
        ),
    )


@pytest.fixture
def salon(lsc: User, provider: Provider, hall: Location) -> CommunityResource:
    resource = resource_create(
        user=lsc,
        data=ResourceData(
            provider=provider,
            name="ふれあいサロン髙田",
            name_kana="ふれあいさろんたかだ",
            description="お茶を飲みながらおしゃべりする集まりです",
            categories=[Category.objects.get(code="salon")],
            audiences=["elderly", "everyone"],
            locations=[hall],
            is_public=True,
            last_verified_on=dt.date(2026, 4, 1),
        ),
    )
    schedule_add(
        user=lsc,
        resource=resource,
        data=ScheduleData(
            kind="weekly",
            weekdays=["MO", "TH"],
            opens_at=dt.time(10),
            closes_at=dt.time(12),
            location=hall,
        ),
    )
    contact_add(
        user=lsc,
        resource=resource,
        data=ContactData(name="北地区社協 窓口", phone="0766-00-1111", is_public=True),
    )
    contact_add(
        user=lsc,
        resource=resource,
        data=ContactData(name="世話役 山田花子", phone="090-0000-2222", is_public=False),
    )
    return resource


@pytest.fixture
def hidden(lsc: User, provider: Provider) -> CommunityResource:
    return resource_create(
        user=lsc,
        data=ResourceData(
            provider=provider,
            name="準備中の居場所",
            description="まだ公開していない居場所",
            categories=[Category.objects.get(code="ibasho")],
        ),
    )
