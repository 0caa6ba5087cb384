"""API of meeting records: meetings of the city's meeting bodies, their attendees and pledges,
agenda, minutes, decisions and the counts for the evaluation.

The same services and access entry points as the pages: a meeting is seen by its secretariat and
by the organizations attending it (a confidential body's only with a pledge recorded); recording
is the secretariat's. Not allowed and not found are the same 404; a bad request is 422.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.access import organizations_visible_to
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import request_user
from tsunagu.cases.models import Case, SupportPlan
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.meetingrecords.access import MeetingAccess, meeting_get_for, meetings_shown
from tsunagu.meetingrecords.models import AgendaItem, AgendaKind, MeetingAttendee
from tsunagu.meetingrecords.selectors import meeting_counts, meetings_for
from tsunagu.meetingrecords.services import (
    MeetingData,
    agenda_item_add,
    attendee_add,
    convenable_bodies,
    decision_add,
    meeting_create,
    meeting_plan_approve,
    minutes_record,
    pledge_record,
)
from tsunagu.meetings.models import MeetingBodyKind
from tsunagu.organizations.models import Organization
from tsunagu.people.access import person_get_for
from tsunagu.people.api import PersonOut, person_out

API = AccessLog.Channel.API
router = Router(tags=["meetings"])
TEXT = 5000


class MeetingIn(Schema):
    body: str = Field(description="会議体のコード")
    kind: MeetingBodyKind | None = Field(None, description="省略すると会議体の種別")
    held_on: dt.date
    starts_at: dt.time | None = None
    place: str = Field("", max_length=200)
    online: bool = False
    share_until: dt.date | None = Field(
        None, description="支援会議: 出席機関が協議した人の記録を見られる最終日（省略: 既定の日数）"
    )
    next_meeting_on: dt.date | None = None


class MeetingSummaryOut(Schema):
    id: int
    body: str = Field(description="会議体のコード")
    body_name: str
    kind: str
    confidential: bool = Field(description="非公開（法定の守秘義務がある会議体）")
    held_on: dt.date
    secretariat: str
    agenda_items: int


class AttendeeOut(Schema):
    id: int
    organization: str | None
    name: str
    affiliation: str
    pledged_on: dt.date | None = Field(description="守秘義務の誓約日（未記録なら空）")


class AgendaItemOut(Schema):
    id: int
    position: int
    kind: str
    case: int | None
    topic: str
    persons: list[PersonOut] = Field(description="閲覧の根拠がある人だけ")
    hidden_persons: int = Field(description="閲覧の根拠がないため示さない人の数")
    minutes: str


class DecisionOut(Schema):
    id: int
    agenda_item: int | None
    text: str
    plan: int | None


class ActionItemOut(Schema):
    id: int
    organization: str
    description: str
    due_on: dt.date


class MeetingOut(MeetingSummaryOut):
    legal_basis: str
    starts_at: dt.time | None
    place: str
    online: bool
    share_until: dt.date
    next_meeting_on: dt.date | None
    attendees: list[AttendeeOut]
    agenda: list[AgendaItemOut]
    decisions: list[DecisionOut]
    actions: list[ActionItemOut]


class AttendeeIn(Schema):
    organization: str | None = Field(None, description="機関のコード（システム外の出席者は省略）")
    name: str = Field("", max_length=100)
    affiliation: str = Field("", max_length=200, description="例: 民生委員、医師、弁護士")


class PledgeIn(Schema):
    attendee: int
    signer_name: str = Field(max_length=100)
    signed_on: dt.date | None = Field(None, description="省略すると今日")
    valid_until: dt.date | None = None


class AgendaIn(Schema):
    kind: AgendaKind
    case: int | None = None
    person: int | None = None
    topic: str = Field("", max_length=200)


class MinutesIn(Schema):
    agenda_item: int
    minutes: str = Field(max_length=TEXT)


class DecisionIn(Schema):
    text: str = Field(max_length=TEXT)
    agenda_item: int | None = None


class ApproveIn(Schema):
    agenda_item: int
    plan: int


class BodyCountOut(Schema):
    body: str
    kind: str
    held: int
    cases: int
    persons: int
    topics: int


class CountsOut(Schema):
    fiscal_year: int
    held: int
    bodies: list[BodyCountOut]
    attendances: dict[str, int]


def _summary(a: MeetingAccess) -> MeetingSummaryOut:
    m = a.meeting
    return MeetingSummaryOut(
        id=m.pk,
        body=m.body.code,
        body_name=m.body.name,
        kind=m.kind,
        confidential=m.confidential,
        held_on=m.held_on,
        secretariat=m.secretariat.code,
        agenda_items=len(a.items),
    )


def _attendee_out(x: MeetingAttendee) -> AttendeeOut:
    return AttendeeOut(
        id=x.pk,
        organization=x.organization.code if x.organization is not None else None,
        name=x.name,
        affiliation=x.affiliation,
        pledged_on=x.pledge.signed_on if x.pledge is not None else None,
    )


def meeting_out(a: MeetingAccess) -> MeetingOut:
    m = a.meeting
    return MeetingOut(
        **_summary(a).model_dump(),
        legal_basis=m.legal_basis,
        starts_at=m.starts_at,
        place=m.place,
        online=m.online,
        share_until=m.share_until,
        next_meeting_on=m.next_meeting_on,
        attendees=[_attendee_out(x) for x in a.attendees],
        agenda=[
            AgendaItemOut(
                id=v.item.pk,
                position=v.item.position,
                kind=v.item.kind,
                case=v.item.case_id,
                topic=v.item.topic,
                persons=[person_out(p) for p in v.persons],
                hidden_persons=v.hidden,
                minutes=v.item.minutes,
            )
            for v in a.items
        ],
        decisions=[
            DecisionOut(id=d.pk, agenda_item=d.agenda_item_id, text=d.text, plan=d.plan_id)
            for d in a.decisions
        ],
        actions=[
            ActionItemOut(
                id=x.pk,
                organization=x.organization.code,
                description=x.description,
                due_on=x.due_on,
            )
            for x in a.actions
        ],
    )


def _reread(user: User, meeting_id: int) -> MeetingOut:
    return meeting_out(meeting_get_for(user=user, meeting_id=meeting_id, channel=API, action=None))


def _secretariat(user: User, meeting_id: int) -> MeetingAccess:
    return meeting_get_for(user=user, meeting_id=meeting_id, channel=API, action=None, holder=True)


def _item(access: MeetingAccess, item_id: int) -> AgendaItem:
    for v in access.items:
        if v.item.pk == item_id:
            return v.item
    raise ValidationError({"agenda_item": ["この会議の議題が見つかりません"]})


@router.get("", response=list[MeetingSummaryOut], summary="会議の一覧（事務局・出席の会議）")
def meeting_list(
    request: HttpRequest, year: int | None = Query(None, ge=1989, le=2100)
) -> list[MeetingSummaryOut]:
    user = request_user(request)
    fiscal_year = year or fiscal_year_of(timezone.localdate())
    meetings = list(meetings_for(user=user, fiscal_year=fiscal_year)[:500])
    return [
        _summary(a)
        for a in meetings_shown(
            user=user, meetings=meetings, action=AccessLog.Action.LIST, channel=API
        )
    ]


@router.post("", response={201: MeetingOut}, summary="会議を登録する（自機関が事務局）")
def create(request: HttpRequest, payload: MeetingIn) -> Status[MeetingOut]:
    user = request_user(request)
    body = next((b for b in convenable_bodies(user=user) if b.code == payload.body), None)
    if body is None:
        raise ValidationError({"body": ["事務局・構成機関である会議体のコードを指定してください"]})
    meeting = meeting_create(
        user=user,
        data=MeetingData(
            body=body,
            kind=payload.kind or body.kind,
            held_on=payload.held_on,
            starts_at=payload.starts_at,
            place=payload.place,
            online=payload.online,
            share_until=payload.share_until,
            next_meeting_on=payload.next_meeting_on,
        ),
        channel=API,
    )
    return Status(201, _reread(user, meeting.pk))


@router.get("/counts", response=CountsOut, summary="開催回数・協議した事例・機関ごとの出席（年度）")
def counts(request: HttpRequest, year: int | None = Query(None, ge=1989, le=2100)) -> CountsOut:
    user = request_user(request)
    data = meeting_counts(
        municipality=user_organization(user).municipality,
        fiscal_year=year or fiscal_year_of(timezone.localdate()),
    )
    return CountsOut(
        fiscal_year=data.fiscal_year,
        held=data.held,
        bodies=[
            BodyCountOut(
                body=b.body_name,
                kind=b.kind,
                held=b.held,
                cases=b.cases,
                persons=b.persons,
                topics=b.topics,
            )
            for b in data.bodies
        ],
        attendances=data.attendances,
    )


@router.get("/{int:meeting_id}", response=MeetingOut, summary="会議（出席者・議題・議事録・決定）")
def detail(request: HttpRequest, meeting_id: int) -> MeetingOut:
    user = request_user(request)
    return meeting_out(meeting_get_for(user=user, meeting_id=meeting_id, channel=API))


@router.post("/{int:meeting_id}/attendees", response=MeetingOut, summary="出席者を加える")
def attendees(request: HttpRequest, meeting_id: int, payload: AttendeeIn) -> MeetingOut:
    user = request_user(request)
    access = _secretariat(user, meeting_id)
    organization: Organization | None = None
    if payload.organization:
        organization = organizations_visible_to(user).filter(code=payload.organization).first()
        if organization is None:
            raise ValidationError({"organization": ["機関が見つかりません"]})
    attendee_add(
        user=user,
        meeting=access.meeting,
        organization=organization,
        name=payload.name,
        affiliation=payload.affiliation,
        channel=API,
    )
    return _reread(user, meeting_id)


@router.post("/{int:meeting_id}/pledges", response=MeetingOut, summary="守秘義務の誓約を記録する")
def pledges(request: HttpRequest, meeting_id: int, payload: PledgeIn) -> MeetingOut:
    user = request_user(request)
    access = _secretariat(user, meeting_id)
    attendee = next((x for x in access.attendees if x.pk == payload.attendee), None)
    if attendee is None:
        raise ValidationError({"attendee": ["この会議の出席者が見つかりません"]})
    pledge_record(
        user=user,
        attendee=attendee,
        signer_name=payload.signer_name,
        signed_on=payload.signed_on or timezone.localdate(),
        valid_until=payload.valid_until,
        channel=API,
    )
    return _reread(user, meeting_id)


@router.post("/{int:meeting_id}/agenda", response=MeetingOut, summary="議題を加える")
def agenda(request: HttpRequest, meeting_id: int, payload: AgendaIn) -> MeetingOut:
    user = request_user(request)
    # the secretariat, or an attending organization putting its own person on the agenda
    access = meeting_get_for(user=user, meeting_id=meeting_id, channel=API, action=None)
    case = None
    person = None
    if payload.case is not None:
        case = Case.objects.visible_to(user).filter(pk=payload.case).first()
        if case is None:
            raise ValidationError({"case": ["事例が見つかりません"]})
    if payload.person is not None:
        person = person_get_for(user=user, person_id=payload.person, channel=API).person
    agenda_item_add(
        user=user,
        meeting=access.meeting,
        kind=payload.kind,
        case=case,
        person=person,
        topic=payload.topic,
        channel=API,
    )
    return _reread(user, meeting_id)


@router.post("/{int:meeting_id}/minutes", response=MeetingOut, summary="議事録を記録する")
def minutes(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> MeetingOut:
    user = request_user(request)
    access = _secretariat(user, meeting_id)
    minutes_record(
        user=user, item=_item(access, payload.agenda_item), minutes=payload.minutes, channel=API
    )
    return _reread(user, meeting_id)


@router.post("/{int:meeting_id}/decisions", response=MeetingOut, summary="決定事項を記録する")
def decisions(request: HttpRequest, meeting_id: int, payload: DecisionIn) -> MeetingOut:
    user = request_user(request)
    access = _secretariat(user, meeting_id)
    item = _item(access, payload.agenda_item) if payload.agenda_item is not None else None
    decision_add(user=user, meeting=access.meeting, text=payload.text, item=item, channel=API)
    return _reread(user, meeting_id)


@router.post(
    "/{int:meeting_id}/approve",
    response=MeetingOut,
    summary="支援プランを承認する（重層的支援会議で協議済）",
)
def approve(request: HttpRequest, meeting_id: int, payload: ApproveIn) -> MeetingOut:
    user = request_user(request)
    access = _secretariat(user, meeting_id)
    plan = SupportPlan.objects.visible_to(user).filter(pk=payload.plan).first()
    if plan is None:
        raise ValidationError({"plan": ["支援プランが見つかりません"]})
    meeting_plan_approve(user=user, item=_item(access, payload.agenda_item), plan=plan, channel=API)
    return _reread(user, meeting_id)
