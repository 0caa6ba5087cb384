"""Demo meetings: a 支援会議 on a fictional resident who refuses help (no consent), through the
real services. Fictional people only."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.meetingrecords.services import (
    MeetingData,
    action_item_add,
    agenda_item_add,
    attendee_add,
    convenable_bodies,
    decision_add,
    meeting_create,
    minutes_record,
    pledge_record,
)
from tsunagu.meetings.models import MeetingBodyKind
from tsunagu.people.services import PersonData, person_create

SUPPORT = MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING


def demo_meetings(*, counselor: User, coordinator: User) -> int:
    """Returns the number of meetings recorded (0 when the coordinator's organization may
    convene no 支援会議 of the city's plan)."""
    bodies = [b for b in convenable_bodies(user=coordinator) if SUPPORT in (b.kind, b.second_kind)]
    if not bodies or counselor.organization is None:
        return 0
    body = next((b for b in bodies if b.parent_id is None), bodies[0])
    held = timezone.localdate() - dt.timedelta(days=1)
    try:
        with transaction.atomic():
            person = person_create(
                user=counselor,
                data=PersonData(
                    family_name="川口",
                    given_name="次郎",
                    family_name_kana="かわぐち",
                    given_name_kana="じろう",
                    birth_date=dt.date(1958, 9, 9),
                    sex="male",
                ),
            )
            meeting = meeting_create(
                user=coordinator,
                data=MeetingData(body=body, kind=SUPPORT, held_on=held, place="市役所 会議室"),
            )
            window = attendee_add(
                user=coordinator, meeting=meeting, organization=counselor.organization
            )
            pledge_record(
                user=coordinator, attendee=window, signer_name="相談 花子", signed_on=held
            )
            neighbour = attendee_add(
                user=coordinator, meeting=meeting, name="見守 正一", affiliation="民生委員"
            )
            pledge_record(
                user=coordinator, attendee=neighbour, signer_name="見守 正一", signed_on=held
            )
            item = agenda_item_add(user=counselor, meeting=meeting, kind="person", person=person)
            minutes_record(
                user=coordinator,
                item=item,
                minutes="支援を拒んでいる。ごみが家の外まで出ている。民生委員が週1回声をかけ、"
                "包括が月1回訪問する。",
            )
            decision_add(
                user=coordinator,
                meeting=meeting,
                text="見守りを続け、次回の支援会議で状況を確認する",
            )
            # the window's action item: on its work list until it is marked done
            action_item_add(
                user=coordinator,
                meeting=meeting,
                organization=counselor.organization,
                description="月1回訪問し、様子を次回の支援会議で報告する",
                due_on=held + dt.timedelta(days=14),
                item=item,
            )
    except ValidationError:
        return 0
    return 1
