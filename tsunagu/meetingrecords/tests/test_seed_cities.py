"""In each of the five seed cities a 支援会議 can be convened, with the bodies their plans define,
for a person who refused help: the pledged attendees (and no one else) see her, and the access
log names the meeting as the basis of each read."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from conftest import make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role
from tsunagu.cases.services import coordinating_organizations
from tsunagu.cityplan.planfile import read_plan_file
from tsunagu.cityplan.services import plan_load
from tsunagu.meetingrecords.access import meeting_get_for
from tsunagu.meetingrecords.services import (
    MeetingData,
    agenda_item_add,
    attendee_add,
    meeting_create,
    pledge_record,
)
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind, MeetingBodyMember
from tsunagu.organizations.models import Organization
from tsunagu.people.access import person_get_for
from tsunagu.people.services import PersonData, person_create

DATA = Path(__file__).resolve().parents[2] / "cityplan" / "data"
SUPPORT = MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING
WEB = AccessLog.Channel.WEB


@pytest.mark.parametrize("city", ["imizu", "inzai", "ise", "sanda", "toyokawa"])
def test_a_support_meeting_in_each_seed_city(city: str, db: None) -> None:
    municipality = plan_load(plan=read_plan_file(DATA / f"{city}.yaml")).municipality
    body = (
        MeetingBody.objects.filter(municipality=municipality, is_active=True)
        .filter(Q(kind=SUPPORT) | Q(second_kind=SUPPORT))
        .order_by("parent_id", "sort_order")
        .first()
    )
    assert body is not None, f"{city}: no 支援会議 in the plan"
    members = [
        m.organization
        for m in MeetingBodyMember.objects.filter(meeting_body=body).select_related("organization")
    ]
    convener = (
        body.secretariat
        or (members[0] if members else None)
        or coordinating_organizations(municipality=municipality).first()
    )
    assert convener is not None
    others = [o for o in members if o.pk != convener.pk] or list(
        Organization.objects.filter(municipality=municipality, is_active=True)
        .exclude(pk=convener.pk)
        .order_by("code")[:2]
    )
    holder = others[0]
    bystander = (
        Organization.objects.filter(municipality=municipality, is_active=True)
        .exclude(pk__in=[convener.pk, holder.pk])
        .order_by("code")
        .first()
    )
    assert bystander is not None
    secretary = make_user(municipality, convener.code, Role.COORDINATOR, f"{city}-sec")
    counselor = make_user(municipality, holder.code, Role.COUNSELOR, f"{city}-holder")
    outside = make_user(municipality, bystander.code, Role.COUNSELOR, f"{city}-other")
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name="試験",
            given_name="花子",
            family_name_kana="しけん",
            given_name_kana="はなこ",
        ),
    )
    today = timezone.localdate()
    meeting = meeting_create(
        user=secretary, data=MeetingData(body=body, kind=SUPPORT, held_on=today)
    )
    attendee = attendee_add(user=secretary, meeting=meeting, organization=holder)
    pledge_record(user=secretary, attendee=attendee, signer_name="担当者", signed_on=today)
    attendee_add(user=secretary, meeting=meeting, name="民生 太郎", affiliation="民生委員")
    item = agenda_item_add(user=counselor, meeting=meeting, kind="person", person=person)
    seen = person_get_for(user=secretary, person_id=person.pk, channel=WEB)
    assert seen.grant is not None and seen.grant.meeting_agenda_item_id == item.pk
    log = AccessLog.objects.filter(user=secretary, person=person).first()
    assert log is not None and log.grant is not None
    assert log.grant.meeting_agenda_item.meeting_id == meeting.pk  # type: ignore[union-attr]
    with pytest.raises(Http404):
        person_get_for(user=outside, person_id=person.pk, channel=WEB)
    with pytest.raises(Http404):
        meeting_get_for(user=outside, meeting_id=meeting.pk, channel=WEB)
