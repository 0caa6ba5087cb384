from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.meetingrecords.models import Meeting
from tsunagu.meetingrecords.services import MeetingData, meeting_create
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create


def org(code: str) -> Organization:
    return Organization.objects.get(municipality__slug="minami", code=code)


def make_person(user: User, family: str = "井上", **extra: object) -> Person:
    return person_create(
        user=user,
        data=PersonData(
            family_name=family,
            given_name="節子",
            family_name_kana="いのうえ",
            given_name_kana="せつこ",
            birth_date=dt.date(1948, 3, 3),
            address="南市南町1-2-3",
            phone="0766-22-3333",
            **extra,  # type: ignore[arg-type]
        ),
    )


def convene(
    user: User, body_code: str, *, held_on: dt.date | None = None, kind: str = ""
) -> Meeting:
    municipality = user.organization.municipality  # type: ignore[union-attr]
    body = MeetingBody.objects.get(municipality=municipality, code=body_code)
    return meeting_create(
        user=user,
        data=MeetingData(
            body=body, kind=kind or body.kind, held_on=held_on or timezone.localdate()
        ),
    )


@pytest.fixture
def minami(city: Municipality) -> Municipality:
    return city
