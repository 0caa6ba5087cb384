"""API of 参加支援: hosts' offers, a person's needs profile and suggestions, placements with their
steps, attendance and follow-up, and the work list. The same entry points and services as the
pages; a host's organization reads only what the person agreed to share."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.accounts.tokens import request_user
from tsunagu.consent.models import Consent
from tsunagu.core.paging import CURSOR_HELP, CURSOR_MAX_LENGTH, NEXT_HELP, cursor_page
from tsunagu.participation.access import (
    PlacementAccess,
    placement_get_for,
    placements_shown,
    profile_get_for,
)
from tsunagu.participation.models import (
    Attendance,
    FollowUp,
    HostOffer,
    NeedsProfile,
    OfferKind,
    PlacementStage,
)
from tsunagu.participation.selectors import (
    offers_for,
    participation_work,
    placements_for,
    suggestions,
)
from tsunagu.participation.services import (
    PlacementData,
    ProfileData,
    attendance_record,
    follow_up_record,
    placement_propose,
    placement_step,
    profile_save,
)
from tsunagu.people.access import person_get_for

router = Router(tags=["participation"])
API = AccessLog.Channel.API
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class OfferOut(Schema):
    id: int
    host: int = Field(description="受け入れ先（社会資源）のID")
    host_name: str
    kind: str
    title: str
    weekdays: list[str]
    time_note: str
    barrier_free: bool
    accessibility: str
    capacity: int
    occupied: int
    audiences: list[str]
    is_active: bool


class ProfileIn(Schema):
    interests: str = Field("", max_length=4000)
    kinds: list[OfferKind] = []
    weekdays: list[Weekday] = []
    times: str = Field("", max_length=100)
    needs_barrier_free: bool = False
    audience: str = Field("", max_length=16)
    limits: str = Field("", max_length=4000)
    goals: str = Field("", max_length=4000)
    support_needed: str = Field("", max_length=4000)


class ProfileOut(ProfileIn):
    person: int


class SuggestionOut(Schema):
    offer: OfferOut
    score: int
    available: bool
    fits: list[str]
    misfits: list[str]


class PlacementIn(Schema):
    person: int
    offer: int
    proposed_on: dt.date
    consent: int | None = Field(None, description="受け入れ先の機関を提供先に含む本人同意")
    share_profile: bool = False
    share_contact: bool = False
    note: str = Field("", max_length=4000)


class PlacementOut(Schema):
    id: int
    organization: str
    person: int
    person_name: str
    offer: int
    host_name: str
    stage: str
    is_new: bool
    proposed_on: dt.date
    trial_on: dt.date | None
    started_on: dt.date | None
    ended_on: dt.date | None
    declined_on: dt.date | None
    decline_reason: str
    follow_up_due_on: dt.date | None = None
    follow_up_done_on: dt.date | None = None


class PlacementPage(Schema):
    page_size: int
    next: str | None = Field(description=NEXT_HELP)
    items: list[PlacementOut]


class StepIn(Schema):
    step: Literal["trial", "start", "end", "decline"]
    on: dt.date
    reason: str = Field("", max_length=200)


class AttendanceIn(Schema):
    attended_on: dt.date
    attended: bool = True
    note: str = Field("", max_length=300)


class AttendanceOut(Schema):
    id: int
    attended_on: dt.date
    attended: bool
    note: str


class FollowUpIn(Schema):
    done_on: dt.date
    result: FollowUp.Result
    note: str = Field("", max_length=4000)


class FollowUpOut(Schema):
    due_on: dt.date
    done_on: dt.date | None
    result: str
    note: str


class ParticipationWorkOut(Schema):
    today: dt.date
    follow_ups_due: list[PlacementOut]
    follow_ups_soon: list[PlacementOut]
    without_attendance: list[PlacementOut]


def offer_out(o: HostOffer) -> OfferOut:
    return OfferOut(
        id=o.pk,
        host=o.resource_id,
        host_name=o.resource.name,
        kind=o.kind,
        title=o.title,
        weekdays=o.weekdays,
        time_note=o.time_note,
        barrier_free=o.barrier_free,
        accessibility=o.accessibility,
        capacity=o.capacity,
        occupied=getattr(o, "occupied", 0),
        audiences=o.audiences,
        is_active=o.is_active,
    )


def profile_out(p: NeedsProfile) -> ProfileOut:
    return ProfileOut(
        person=p.person_id,
        interests=p.interests,
        kinds=p.kinds,
        weekdays=p.weekdays,
        times=p.times,
        needs_barrier_free=p.needs_barrier_free,
        audience=p.audience,
        limits=p.limits,
        goals=p.goals,
        support_needed=p.support_needed,
    )


def placement_out(a: PlacementAccess, follow_up: FollowUp | None = None) -> PlacementOut:
    p = a.placement
    return PlacementOut(
        id=p.pk,
        organization=p.organization.code,
        person=p.person_id,
        person_name=p.person.full_name,
        offer=p.offer_id,
        host_name=p.offer.resource.name,
        stage=p.stage,
        is_new=p.is_new,
        proposed_on=p.proposed_on,
        trial_on=p.trial_on,
        started_on=p.started_on,
        ended_on=p.ended_on,
        declined_on=p.declined_on,
        decline_reason=p.decline_reason if a.holder else "",
        follow_up_due_on=follow_up.due_on if follow_up else None,
        follow_up_done_on=follow_up.done_on if follow_up else None,
    )


@router.get("/offers", response=list[OfferOut], summary="受け入れ先の受け入れ内容（受け入れ中）")
def offer_list(request: HttpRequest) -> list[OfferOut]:
    return [offer_out(o) for o in offers_for(user=request_user(request))[:MAX_PAGE_SIZE]]


@router.get(
    "/persons/{person_id}/profile", response=ProfileOut, summary="本人の参加の希望（自機関）"
)
def profile_get(request: HttpRequest, person_id: int) -> ProfileOut:
    user = request_user(request)
    person = person_get_for(user=user, person_id=person_id, channel=API, own=True).person
    profile = profile_get_for(user=user, person_id=person.pk, channel=API)
    if profile is None:
        raise Http404
    return profile_out(profile)


@router.post(
    "/persons/{person_id}/profile", response=ProfileOut, summary="本人の参加の希望を保存する"
)
def profile_put(request: HttpRequest, person_id: int, payload: ProfileIn) -> ProfileOut:
    user = request_user(request)
    person = person_get_for(user=user, person_id=person_id, channel=API, own=True).person
    data = payload.model_dump()
    profile = profile_save(user=user, person=person, data=ProfileData(**data), channel=API)
    return profile_out(profile)


@router.get(
    "/persons/{person_id}/suggestions",
    response=list[SuggestionOut],
    summary="受け入れ先の候補（合う順、理由つき）",
)
def suggestion_list(request: HttpRequest, person_id: int) -> list[SuggestionOut]:
    user = request_user(request)
    person = person_get_for(user=user, person_id=person_id, channel=API, own=True).person
    profile = profile_get_for(user=user, person_id=person.pk, channel=API)
    if profile is None:
        return []
    return [
        SuggestionOut(
            offer=offer_out(s.offer),
            score=s.score,
            available=s.available,
            fits=s.fits,
            misfits=s.misfits,
        )
        for s in suggestions(user=user, profile=profile)
    ]


@router.get("/placements", response=PlacementPage, summary="マッチングの一覧（提案日の新しい順）")
def placement_list(
    request: HttpRequest,
    stage: PlacementStage | None = None,
    cursor: str | None = Query(None, max_length=CURSOR_MAX_LENGTH, description=CURSOR_HELP),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> PlacementPage:
    user = request_user(request)
    placements = placements_for(user=user, stage=stage or "")
    found = cursor_page(placements, order=("proposed_on", "pk"), size=page_size, cursor=cursor)
    shown = placements_shown(user=user, placements=found.object_list, channel=API)
    return PlacementPage(
        page_size=page_size, next=found.after or None, items=[placement_out(a) for a in shown]
    )


@router.post("/placements", response={201: PlacementOut}, summary="受け入れ先を提案する")
def placement_new(request: HttpRequest, payload: PlacementIn) -> Status[PlacementOut]:
    user = request_user(request)
    person = person_get_for(user=user, person_id=payload.person, channel=API, own=True).person
    offer = offers_for(user=user, active_only=False).filter(pk=payload.offer).first()
    if offer is None:
        raise ValidationError({"offer": ["受け入れ先が見つかりません"]})
    consent = None
    if payload.consent is not None:
        consent = Consent.objects.held_by(user).filter(pk=payload.consent).first()
        if consent is None:
            raise ValidationError({"consent": ["本人同意が見つかりません"]})
    placement = placement_propose(
        user=user,
        person=person,
        offer=offer,
        data=PlacementData(
            proposed_on=payload.proposed_on,
            consent=consent,
            share_profile=payload.share_profile,
            share_contact=payload.share_contact,
            note=payload.note,
        ),
        channel=API,
    )
    return Status(201, placement_out(PlacementAccess(placement=placement, holder=True)))


@router.get("/placements/{placement_id}", response=PlacementOut, summary="マッチング")
def placement_detail(request: HttpRequest, placement_id: int) -> PlacementOut:
    user = request_user(request)
    access = placement_get_for(user=user, placement_id=placement_id, channel=API)
    follow_up = FollowUp.objects.visible_to(user).filter(placement=access.placement).first()
    return placement_out(access, follow_up if access.holder else None)


@router.post(
    "/placements/{placement_id}/attendance",
    response={201: AttendanceOut},
    summary="参加を記録する",
)
def attendance_new(
    request: HttpRequest, placement_id: int, payload: AttendanceIn
) -> Status[AttendanceOut]:
    user = request_user(request)
    access = placement_get_for(
        user=user, placement_id=placement_id, channel=API, own=True, action=None
    )
    row: Attendance = attendance_record(
        user=user,
        placement=access.placement,
        attended_on=payload.attended_on,
        attended=payload.attended,
        note=payload.note,
        channel=API,
    )
    return Status(
        201,
        AttendanceOut(id=row.pk, attended_on=row.attended_on, attended=row.attended, note=row.note),
    )


@router.post(
    "/placements/{placement_id}/steps",
    response=PlacementOut,
    summary="見学・体験／利用開始／終了／辞退を記録する",
)
def step(request: HttpRequest, placement_id: int, payload: StepIn) -> PlacementOut:
    user = request_user(request)
    access = placement_get_for(
        user=user, placement_id=placement_id, channel=API, own=True, action=None
    )
    placement = placement_step(
        user=user,
        placement=access.placement,
        step=payload.step,
        on=payload.on,
        reason=payload.reason,
        channel=API,
    )
    follow_up = FollowUp.objects.visible_to(user).filter(placement=placement).first()
    return placement_out(PlacementAccess(placement=placement, holder=True), follow_up)


@router.post(
    "/placements/{placement_id}/follow-up",
    response=FollowUpOut,
    summary="フォローアップを記録する",
)
def follow_up(request: HttpRequest, placement_id: int, payload: FollowUpIn) -> FollowUpOut:
    user = request_user(request)
    access = placement_get_for(
        user=user, placement_id=placement_id, channel=API, own=True, action=None
    )
    row = follow_up_record(
        user=user,
        placement=access.placement,
        done_on=payload.done_on,
        result=payload.result,
        note=payload.note,
        channel=API,
    )
    return FollowUpOut(due_on=row.due_on, done_on=row.done_on, result=row.result, note=row.note)


@router.get(
    "/work", response=ParticipationWorkOut, summary="フォローアップ予定・参加の記録がないマッチング"
)
def work(request: HttpRequest, weeks: int = Query(2, ge=1, le=52)) -> ParticipationWorkOut:
    result = participation_work(user=request_user(request), no_attendance_weeks=weeks, channel=API)

    def out(a: PlacementAccess) -> PlacementOut:
        return placement_out(a)

    return ParticipationWorkOut(
        today=result.today,
        follow_ups_due=[
            out(PlacementAccess(placement=f.placement, holder=True)) for f in result.follow_ups_due
        ],
        follow_ups_soon=[
            out(PlacementAccess(placement=f.placement, holder=True)) for f in result.follow_ups_soon
        ],
        without_attendance=[out(a) for a in result.without_attendance],
    )
