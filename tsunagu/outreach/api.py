"""API of アウトリーチ: targets, their contacts, the work list and the outreach activities. The same
entry points and services as the pages; an unidentified target carries no name."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.accounts.tokens import request_user
from tsunagu.core.paging import CURSOR_HELP, CURSOR_MAX_LENGTH, NEXT_HELP, cursor_page
from tsunagu.outreach.access import target_get_for, targets_shown
from tsunagu.outreach.models import (
    ActivityKind,
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    NoticeSource,
    OutreachActivity,
    OutreachTarget,
    Stage,
)
from tsunagu.outreach.selectors import activities_for, contacts_of, outreach_work, targets_for
from tsunagu.outreach.services import (
    ActivityData,
    ContactData,
    TargetData,
    activity_create,
    contact_record,
    target_create,
)

router = Router(tags=["outreach"])
API = AccessLog.Channel.API
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class TargetIn(Schema):
    label: str = Field(max_length=100, description="呼び名（氏名は本人の記録に）")
    noticed_on: dt.date
    source: NoticeSource
    source_detail: str = Field("", max_length=200)
    whereabouts: str = Field("", max_length=200)
    concern: str = Field("", max_length=4000)
    check_in_every_days: int | None = Field(None, ge=1, le=365)


class TargetOut(Schema):
    id: int
    organization: str
    label: str
    whereabouts: str
    noticed_on: dt.date
    source: str
    stage: str
    engaged_on: dt.date | None
    person: int | None
    case: int | None
    check_in_every_days: int | None
    next_check_in_on: dt.date | None
    last_contact_on: dt.date | None
    ended_on: dt.date | None


class TargetPage(Schema):
    page_size: int
    next: str | None = Field(description=NEXT_HELP)
    items: list[TargetOut]


class ContactIn(Schema):
    contacted_on: dt.date
    method: ContactMethod
    outcome: ContactOutcome
    place: str = Field("", max_length=200)
    companions: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)


class ContactOut(Schema):
    id: int
    contacted_on: dt.date
    method: str
    outcome: str
    place: str
    staff: str
    companions: str
    note: str


class OutreachWorkOut(Schema):
    today: dt.date
    check_ins_due: list[TargetOut]
    without_contact: list[TargetOut]


class ActivityIn(Schema):
    kind: ActivityKind
    title: str = Field(max_length=200)
    held_on: dt.date
    place: str = Field("", max_length=200)
    asked_count: int | None = Field(None, ge=0)
    answered_count: int | None = Field(None, ge=0)
    resources_found: int | None = Field(None, ge=0)
    people_of_concern: int | None = Field(None, ge=0)
    note: str = Field("", max_length=4000)


class ActivityOut(Schema):
    id: int
    kind: str
    title: str
    held_on: dt.date
    place: str
    organization: str
    asked_count: int | None
    answered_count: int | None
    resources_found: int | None
    people_of_concern: int | None
    consultations: int


def target_out(t: OutreachTarget) -> TargetOut:
    return TargetOut(
        id=t.pk,
        organization=t.organization.code,
        label=t.label,
        whereabouts=t.whereabouts,
        noticed_on=t.noticed_on,
        source=t.source,
        stage=t.stage,
        engaged_on=t.engaged_on,
        person=t.person_id,
        case=t.case_id,
        check_in_every_days=t.check_in_every_days,
        next_check_in_on=t.next_check_in_on,
        last_contact_on=t.last_contact_on,
        ended_on=t.ended_on,
    )


def contact_out(c: ContactAttempt) -> ContactOut:
    return ContactOut(
        id=c.pk,
        contacted_on=c.contacted_on,
        method=c.method,
        outcome=c.outcome,
        place=c.place,
        staff=c.staff.username,
        companions=c.companions,
        note=c.note,
    )


def activity_out(a: OutreachActivity, consultations: int = 0) -> ActivityOut:
    return ActivityOut(
        id=a.pk,
        kind=a.kind,
        title=a.title,
        held_on=a.held_on,
        place=a.place,
        organization=a.organization.code,
        asked_count=a.asked_count,
        answered_count=a.answered_count,
        resources_found=a.resources_found,
        people_of_concern=a.people_of_concern,
        consultations=getattr(a, "consultations", consultations),
    )


@router.get(
    "/targets", response=TargetPage, summary="アウトリーチの対象者の一覧（把握日の新しい順）"
)
def target_list(
    request: HttpRequest,
    stage: Stage | None = None,
    cursor: str | None = Query(None, max_length=CURSOR_MAX_LENGTH, description=CURSOR_HELP),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> TargetPage:
    user = request_user(request)
    targets = targets_for(user=user, stage=stage or "")
    found = cursor_page(targets, order=("noticed_on", "pk"), size=page_size, cursor=cursor)
    shown = targets_shown(user=user, targets=found.object_list, channel=API)
    return TargetPage(
        page_size=page_size, next=found.after or None, items=[target_out(t) for t in shown]
    )


@router.post("/targets", response={201: TargetOut}, summary="対象者を登録する（未特定でよい）")
def target_new(request: HttpRequest, payload: TargetIn) -> Status[TargetOut]:
    user = request_user(request)
    target = target_create(
        user=user,
        data=TargetData(
            label=payload.label,
            noticed_on=payload.noticed_on,
            source=payload.source,
            source_detail=payload.source_detail,
            whereabouts=payload.whereabouts,
            concern=payload.concern,
            check_in_every_days=payload.check_in_every_days,
        ),
        channel=API,
    )
    return Status(201, target_out(target))


@router.get("/targets/{target_id}", response=TargetOut, summary="対象者")
def target_detail(request: HttpRequest, target_id: int) -> TargetOut:
    return target_out(target_get_for(user=request_user(request), target_id=target_id, channel=API))


@router.get("/targets/{target_id}/contacts", response=list[ContactOut], summary="接触の記録")
def contact_list(request: HttpRequest, target_id: int) -> list[ContactOut]:
    user = request_user(request)
    target = target_get_for(user=user, target_id=target_id, channel=API)
    return [contact_out(c) for c in contacts_of(user=user, target=target)]


@router.post("/targets/{target_id}/contacts", response={201: ContactOut}, summary="接触を記録する")
def contact_new(request: HttpRequest, target_id: int, payload: ContactIn) -> Status[ContactOut]:
    user = request_user(request)
    target = target_get_for(user=user, target_id=target_id, channel=API, own=True, action=None)
    contact = contact_record(
        user=user,
        target=target,
        data=ContactData(
            contacted_on=payload.contacted_on,
            method=payload.method,
            outcome=payload.outcome,
            place=payload.place,
            companions=payload.companions,
            note=payload.note,
        ),
        channel=API,
    )
    return Status(201, contact_out(contact))


@router.get(
    "/work", response=OutreachWorkOut, summary="見守りの予定日が来た対象者・接触のない対象者"
)
def work(request: HttpRequest, days: int = Query(30, ge=1, le=3650)) -> OutreachWorkOut:
    result = outreach_work(user=request_user(request), no_contact_days=days, channel=API)
    return OutreachWorkOut(
        today=result.today,
        check_ins_due=[target_out(t) for t in result.check_ins_due],
        without_contact=[target_out(t) for t in result.without_contact],
    )


@router.get("/activities", response=list[ActivityOut], summary="出張相談会・マッピング・アンケート")
def activity_list(request: HttpRequest, kind: ActivityKind | None = None) -> list[ActivityOut]:
    activities = activities_for(user=request_user(request), kind=kind or "")[:MAX_PAGE_SIZE]
    return [activity_out(a) for a in activities]


@router.post("/activities", response={201: ActivityOut}, summary="活動を記録する")
def activity_new(request: HttpRequest, payload: ActivityIn) -> Status[ActivityOut]:
    activity = activity_create(
        user=request_user(request), data=ActivityData(**payload.model_dump())
    )
    return Status(201, activity_out(activity))
