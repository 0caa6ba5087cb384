"""API of 多機関協働: case requests, cases with their timeline, team, household members,
assessments, support plans, monitoring, the closure evaluation and the resource-gap register.

The same services and access entry points as the pages: a case is seen by its coordinating
organization and by team organizations with a live basis; members are shown only as far as each
one's own basis allows. Not allowed and not found are the same 404; a bad request is 422; a
save from an older version of a plan or assessment is 409 (nothing is overwritten).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog, Basis
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.access import organizations_visible_to
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import request_user
from tsunagu.cases.access import (
    CaseAccess,
    case_get_for,
    case_request_get_for,
    case_requests_shown,
    cases_shown,
)
from tsunagu.cases.models import (
    ActionResult,
    CaseEvent,
    CaseRequest,
    CaseStatus,
    CaseSubject,
    GoalsMet,
    PlanAction,
    PlanKind,
    ResourceGap,
    SupportPlan,
    TeamRole,
    Urgency,
)
from tsunagu.cases.selectors import case_detail, cases_for, resource_gaps_for
from tsunagu.cases.services import (
    ActionData,
    CaseData,
    CaseRequestData,
    ClosureData,
    GapData,
    PlanData,
    ResultData,
    assessment_create,
    case_close,
    case_create,
    case_event_add,
    case_member_add,
    case_request_accept,
    case_request_create,
    case_request_decline,
    case_team_join,
    monitoring_record,
    plan_confer,
    plan_create,
    plan_start,
    plan_update,
)
from tsunagu.consent.models import Consent
from tsunagu.consultations.access import consultation_get_for
from tsunagu.core.paging import CURSOR_HELP, CURSOR_MAX_LENGTH, NEXT_HELP, cursor_page
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Area, SupportField
from tsunagu.people.access import person_get_for
from tsunagu.people.api import PersonOut, person_out
from tsunagu.people.models import Relationship

API = AccessLog.Channel.API
router = Router(tags=["cases"])
plans_router = Router(tags=["cases"])
gaps_router = Router(tags=["cases"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
TEXT = 5000


# --- schemas ---------------------------------------------------------------------------------


class CaseRequestIn(Schema):
    consultation: int = Field(
        description="「多機関協働へ」とした相談のID（自機関で受け付けたもの）"
    )
    coordinating_organization: str = Field(description="依頼先（多機関協働事業を担う機関）のコード")
    note: str = Field(max_length=TEXT)
    basis: Basis
    consent: int | None = None
    meeting_body: str | None = None
    statute: str = Field(
        "",
        max_length=200,
        description="basis=statute のとき: 根拠法令のコード（GET /api/v1/referrals/statutes）",
    )


class CaseRequestOut(Schema):
    id: int
    status: str
    referral_id: int
    consultation_id: int
    from_organization: str
    to_organization: str
    note: str
    answer: str
    due_date: dt.date
    case_id: int | None
    created_at: dt.datetime


class CaseIn(Schema):
    title: str = Field(max_length=100)
    subject: CaseSubject = CaseSubject.HOUSEHOLD
    origin: Literal["outreach", "support_meeting", "referral", "other"] = Field(
        description="きっかけ（相談からの事例は /cases/requests/{id}/open で）"
    )
    issues: list[str] = Field(
        default_factory=list, description="複合的な課題（相談の内容のコード）"
    )
    person: int | None = Field(None, description="本人（見られる本人の記録のID）")


class CaseOpenIn(Schema):
    title: str = Field(max_length=100)
    subject: CaseSubject = CaseSubject.HOUSEHOLD
    issues: list[str] = Field(default_factory=list)


class AnswerIn(Schema):
    answer: str = Field(max_length=TEXT)


class MemberOut(Schema):
    id: int
    relationship: str
    is_principal: bool
    organization: str = Field(description="この記録を持つ機関")
    person: PersonOut | None = Field(description="共有の根拠がないときは null（世帯の構成だけ）")


class SharingOut(Schema):
    member_id: int
    label: str
    live: bool


class TeamOut(Schema):
    id: int
    organization: str
    staff: str | None
    role: str
    role_note: str
    joined_on: dt.date
    left_on: dt.date | None
    sharing: list[SharingOut] = Field(default_factory=list)


class EventOut(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    summary: str
    organization: str
    by: str


class AssessmentOut(Schema):
    id: int
    version: int
    assessed_on: dt.date
    urgency: str
    answers: dict[str, dict[str, object]]


class ActionOut(Schema):
    id: int
    description: str
    organization: str
    due_on: dt.date


class PlanOut(Schema):
    id: int
    case_id: int
    kind: str
    version: int
    status: str
    revision: int = Field(description="編集するときに送り返す番号（古い番号の保存は409）")
    wishes: str
    goals: str
    issues: str
    referral_checks: list[str]
    monitoring_on: dt.date
    review_on: dt.date
    conferred_on: dt.date | None
    started_on: dt.date | None
    actions: list[ActionOut]


class ClosureOut(Schema):
    closed_on: dt.date
    outcome: str
    goals_met: str
    person_changes: str
    existing_services_sufficient: bool
    why_not: str
    support_flow_lessons: str
    resource_gaps: list[int]


class CaseOut(Schema):
    id: int
    title: str
    subject: str
    origin: str
    status: str
    organization: str
    lead_coordinator: str
    issues: list[str]
    opened_on: dt.date
    closed_on: dt.date | None
    review_on: dt.date | None
    last_contact_on: dt.date | None
    members: list[MemberOut]


class CaseDetailOut(CaseOut):
    team: list[TeamOut]
    timeline: list[EventOut]
    assessments: list[AssessmentOut]
    plans: list[PlanOut]
    closure: ClosureOut | None


class CasePage(Schema):
    page_size: int
    next: str | None = Field(description=NEXT_HELP)
    items: list[CaseOut]


class TeamIn(Schema):
    organization: str = Field(description="機関コード")
    role: TeamRole
    staff: str | None = Field(None, description="担当者のユーザー名（その機関の職員）")
    role_note: str = Field("", max_length=200)
    joined_on: dt.date | None = None


class MemberIn(Schema):
    person: int
    relationship: Relationship
    is_principal: bool = False


class EventIn(Schema):
    kind: Literal["contact", "decision", "document", "meeting"]
    occurred_at: dt.datetime
    summary: str = Field(max_length=TEXT)


class AnswerItem(Schema):
    checks: list[str] = Field(default_factory=list)
    note: str = Field("", max_length=TEXT)


class AssessmentIn(Schema):
    base_version: int = Field(ge=0, description="もとにした版（最初は0）。古い版からの保存は409")
    assessed_on: dt.date
    urgency: Urgency
    answers: dict[str, AnswerItem]


class ActionIn(Schema):
    description: str = Field(max_length=300)
    organization: str = Field(description="担当機関のコード（支援チームの機関）")
    due_on: dt.date


class PlanIn(Schema):
    wishes: str = Field(max_length=TEXT)
    goals: str = Field(max_length=TEXT)
    issues: str = Field(max_length=TEXT)
    monitoring_on: dt.date
    review_on: dt.date
    referral_checks: list[str] = Field(default_factory=list)
    actions: list[ActionIn] = Field(default_factory=list)


class PlanCreateIn(PlanIn):
    kind: PlanKind


class PlanUpdateIn(PlanIn):
    revision: int = Field(ge=0)


class ConferIn(Schema):
    conferred_on: dt.date | None = None


class ResultIn(Schema):
    action: int
    result: ActionResult
    note: str = Field("", max_length=500)


class MonitoringIn(Schema):
    monitored_on: dt.date
    results: list[ResultIn]
    summary: str = Field("", max_length=TEXT)
    next_monitoring_on: dt.date | None = None


class MonitoringOut(Schema):
    id: int
    plan_id: int
    monitored_on: dt.date
    results: list[ResultIn]


class GapIn(Schema):
    gap: int | None = Field(None, description="登録済みの不足のID（新しい不足なら省略）")
    field: SupportField | None = None
    area: str | None = Field(None, description="地域のコード")
    description: str = Field("", max_length=TEXT)


class CloseIn(Schema):
    outcome: Literal["closed", "ongoing_connection"]
    goals_met: GoalsMet
    person_changes: str = Field(max_length=TEXT)
    existing_services_sufficient: bool
    why_not: str = Field("", max_length=TEXT)
    support_flow_lessons: str = Field("", max_length=TEXT)
    closed_on: dt.date | None = None
    review_on: dt.date | None = None
    resource_gaps: list[GapIn] = Field(default_factory=list)


class GapOut(Schema):
    id: int
    field: str
    area: str | None
    description: str
    status: str
    cases: int = Field(description="この不足の背景にある事例の数")


# --- builders --------------------------------------------------------------------------------


def request_out(r: CaseRequest) -> CaseRequestOut:
    return CaseRequestOut(
        id=r.pk,
        status=r.status,
        referral_id=r.referral_id,
        consultation_id=r.referral.consultation_id,
        from_organization=r.referral.from_organization.code,
        to_organization=r.referral.to_organization.code,
        note=r.note,
        answer=r.answer,
        due_date=r.referral.due_date,
        case_id=r.case_id,
        created_at=r.created_at,
    )


def _name(user: User | None) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


def _event_out(e: CaseEvent) -> EventOut:
    """One timeline entry, as the case detail and the new-entry answer both give it."""
    return EventOut(
        id=e.pk,
        kind=e.kind,
        occurred_at=e.occurred_at,
        summary=e.summary,
        organization=e.organization.code,
        by=_name(e.by) or "",
    )


def case_out(access: CaseAccess) -> CaseOut:
    c = access.case
    return CaseOut(
        id=c.pk,
        title=c.title,
        subject=c.subject,
        origin=c.origin,
        status=c.status,
        organization=c.organization.code,
        lead_coordinator=_name(c.lead_coordinator) or "",
        issues=list(c.issues),
        opened_on=c.opened_on,
        closed_on=c.closed_on,
        review_on=c.review_on,
        last_contact_on=c.last_contact_on,
        members=[
            MemberOut(
                id=m.member.pk,
                relationship=m.member.relationship,
                is_principal=m.member.is_principal,
                organization=m.member.person.organization.code,
                person=person_out(m.person) if m.person else None,
            )
            for m in access.members
        ],
    )


def plan_out(plan: SupportPlan, actions: list[PlanAction]) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        case_id=plan.case_id,
        kind=plan.kind,
        version=plan.version,
        status=plan.status,
        revision=plan.revision,
        wishes=plan.wishes,
        goals=plan.goals,
        issues=plan.issues,
        referral_checks=list(plan.referral_checks),
        monitoring_on=plan.monitoring_on,
        review_on=plan.review_on,
        conferred_on=plan.conferred_on,
        started_on=plan.started_on,
        actions=[
            ActionOut(
                id=a.pk,
                description=a.description,
                organization=a.organization.code,
                due_on=a.due_on,
            )
            for a in actions
        ],
    )


def case_detail_out(user: User, access: CaseAccess) -> CaseDetailOut:
    d = case_detail(user=user, access=access)
    base = case_out(access)
    members = [m.member for m in access.members]
    return CaseDetailOut(
        **base.model_dump(exclude={"members"}),
        members=base.members,
        team=[
            TeamOut(
                id=row.member.pk,
                organization=row.member.organization.code,
                staff=_name(row.member.staff),
                role=row.member.role,
                role_note=row.member.role_note,
                joined_on=row.member.joined_on,
                left_on=row.member.left_on,
                sharing=[
                    SharingOut(member_id=m.pk, label=s.label, live=s.live)
                    for m, s in zip(members, row.sharing, strict=True)
                ],
            )
            for row in d.team
        ]
        + [
            TeamOut(
                id=t.pk,
                organization=t.organization.code,
                staff=_name(t.staff),
                role=t.role,
                role_note=t.role_note,
                joined_on=t.joined_on,
                left_on=t.left_on,
            )
            for t in d.former_team
        ],
        timeline=[_event_out(e) for e in d.events],
        assessments=[
            AssessmentOut(
                id=a.pk,
                version=a.version,
                assessed_on=a.assessed_on,
                urgency=a.urgency,
                answers=a.answers,
            )
            for a in d.assessments
        ],
        plans=[plan_out(pv.plan, pv.actions) for pv in d.plans],
        closure=ClosureOut(
            closed_on=d.closure.closed_on,
            outcome=d.closure.outcome,
            goals_met=d.closure.goals_met,
            person_changes=d.closure.person_changes,
            existing_services_sufficient=d.closure.existing_services_sufficient,
            why_not=d.closure.why_not,
            support_flow_lessons=d.closure.support_flow_lessons,
            resource_gaps=[g.pk for g in d.gaps],
        )
        if d.closure
        else None,
    )


def _reread(user: User, case_id: int) -> CaseDetailOut:
    """The case after a service changed it (the service logged the write)."""
    return case_detail_out(user, case_get_for(user=user, case_id=case_id, channel=API, action=None))


def _coordinating(user: User, case_id: int) -> CaseAccess:
    return case_get_for(user=user, case_id=case_id, channel=API, action=None, coordinating=True)


# --- case requests -----------------------------------------------------------------------------


@router.post(
    "/requests", response={201: CaseRequestOut}, summary="「多機関協働へ」とした相談を依頼する"
)
def request_create(request: HttpRequest, payload: CaseRequestIn) -> Status[CaseRequestOut]:
    user = request_user(request)
    consultation = consultation_get_for(
        user=user, consultation_id=payload.consultation, channel=API, own=True
    ).consultation
    target = organizations_visible_to(user).filter(code=payload.coordinating_organization).first()
    if target is None:
        raise ValidationError({"coordinating_organization": ["依頼先が見つかりません"]})
    consent = None
    if payload.consent is not None:
        consent = Consent.objects.held_by(user).filter(pk=payload.consent).first()
        if consent is None:
            raise ValidationError({"consent": ["自機関が記録した本人同意が見つかりません"]})
    meeting_body = None
    if payload.meeting_body:
        meeting_body = MeetingBody.objects.filter(
            municipality=target.municipality_id, code=payload.meeting_body
        ).first()
        if meeting_body is None:
            raise ValidationError({"meeting_body": ["会議体が見つかりません"]})
    sent = case_request_create(
        user=user,
        consultation=consultation,
        data=CaseRequestData(
            coordinating_organization=target,
            note=payload.note,
            basis=payload.basis,
            consent=consent,
            meeting_body=meeting_body,
            statute=payload.statute,
        ),
        channel=API,
    )
    return Status(
        201,
        request_out(case_request_get_for(user=user, request_id=sent.pk, channel=API, log=False)),
    )


@router.get("/requests", response=list[CaseRequestOut], summary="受けた・送った多機関協働の依頼")
def request_list(
    request: HttpRequest, box: Literal["in", "out"] = Query("in"), waiting: bool = False
) -> list[CaseRequestOut]:
    user = request_user(request)
    organization = user_organization(user)
    qs = CaseRequest.objects.visible_to(user).select_related(
        "referral__from_organization",
        "referral__to_organization",
        "referral__person__household_membership__household",
    )
    qs = (
        qs.filter(referral__to_organization=organization)
        if box == "in"
        else qs.filter(referral__from_organization=organization)
    )
    if waiting:
        qs = qs.filter(status=CaseRequest.Status.REQUESTED)
    shown = case_requests_shown(
        user=user, requests=list(qs.order_by("-created_at")[:MAX_PAGE_SIZE]), channel=API
    )
    return [request_out(r) for r in shown]


@router.post(
    "/requests/{int:request_id}/open",
    response={201: CaseDetailOut},
    summary="依頼を受理して事例を開始する",
)
def request_open(
    request: HttpRequest, request_id: int, payload: CaseOpenIn
) -> Status[CaseDetailOut]:
    user = request_user(request)
    case_request = case_request_get_for(user=user, request_id=request_id, channel=API, log=False)
    if case_request.referral.to_organization_id != user_organization(user).pk:
        raise Http404
    case = case_request_accept(
        user=user,
        request=case_request,
        data=CaseData(title=payload.title, subject=payload.subject, issues=payload.issues),
        channel=API,
    )
    return Status(201, _reread(user, case.pk))


@router.post(
    "/requests/{int:request_id}/answer",
    response=CaseRequestOut,
    summary="事例にせずに回答する",
)
def request_answer(request: HttpRequest, request_id: int, payload: AnswerIn) -> CaseRequestOut:
    user = request_user(request)
    case_request = case_request_get_for(user=user, request_id=request_id, channel=API, log=False)
    if case_request.referral.to_organization_id != user_organization(user).pk:
        raise Http404
    return request_out(
        case_request_decline(user=user, request=case_request, answer=payload.answer, channel=API)
    )


# --- cases ------------------------------------------------------------------------------------


@router.get("", response=CasePage, summary="事例の一覧（担当・支援チームの事例、開始日の新しい順）")
def case_list(
    request: HttpRequest,
    status: CaseStatus | Literal["open"] | None = None,
    cursor: str | None = Query(None, max_length=CURSOR_MAX_LENGTH, description=CURSOR_HELP),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> CasePage:
    user = request_user(request)
    cases = cases_for(user=user, status=status or "")
    found = cursor_page(cases, order=("opened_on", "pk"), size=page_size, cursor=cursor)
    shown = cases_shown(
        user=user, cases=found.object_list, action=AccessLog.Action.LIST, channel=API
    )
    return CasePage(
        page_size=page_size, next=found.after or None, items=[case_out(a) for a in shown]
    )


@router.post(
    "", response={201: CaseDetailOut}, summary="事例を開始する（アウトリーチ・支援会議など）"
)
def create(request: HttpRequest, payload: CaseIn) -> Status[CaseDetailOut]:
    user = request_user(request)
    principal = None
    if payload.person is not None:
        principal = person_get_for(user=user, person_id=payload.person, channel=API).person
    case = case_create(
        user=user,
        data=CaseData(
            title=payload.title,
            subject=payload.subject,
            origin=payload.origin,
            issues=payload.issues,
        ),
        principal=principal,
        channel=API,
    )
    return Status(201, _reread(user, case.pk))


@router.get("/{int:case_id}", response=CaseDetailOut, summary="事例（世帯・支援チーム・支援経過）")
def detail(request: HttpRequest, case_id: int) -> CaseDetailOut:
    user = request_user(request)
    return case_detail_out(user, case_get_for(user=user, case_id=case_id, channel=API))


@router.post("/{int:case_id}/team", response=CaseDetailOut, summary="支援チームに機関を加える")
def team(request: HttpRequest, case_id: int, payload: TeamIn) -> CaseDetailOut:
    user = request_user(request)
    access = _coordinating(user, case_id)
    organization = organizations_visible_to(user).filter(code=payload.organization).first()
    if organization is None:
        raise ValidationError({"organization": ["機関が見つかりません"]})
    staff = None
    if payload.staff:
        staff = User.objects.filter(organization=organization, username=payload.staff).first()
        if staff is None:
            raise ValidationError({"staff": ["担当者はその機関の職員から選んでください"]})
    case_team_join(
        user=user,
        case=access.case,
        organization=organization,
        role=payload.role,
        staff=staff,
        role_note=payload.role_note,
        joined_on=payload.joined_on,
        channel=API,
    )
    return _reread(user, case_id)


@router.post("/{int:case_id}/members", response=CaseDetailOut, summary="世帯員を加える")
def members(request: HttpRequest, case_id: int, payload: MemberIn) -> CaseDetailOut:
    user = request_user(request)
    access = case_get_for(user=user, case_id=case_id, channel=API, action=None)
    person = person_get_for(
        user=user, person_id=payload.person, channel=API, action=AccessLog.Action.UPDATE
    ).person
    case_member_add(
        user=user,
        case=access.case,
        person=person,
        relationship=payload.relationship,
        is_principal=payload.is_principal,
        channel=API,
    )
    return _reread(user, case_id)


@router.post("/{int:case_id}/events", response={201: EventOut}, summary="支援経過を記録する")
def events(request: HttpRequest, case_id: int, payload: EventIn) -> Status[EventOut]:
    user = request_user(request)
    access = case_get_for(user=user, case_id=case_id, channel=API, action=None)
    e: CaseEvent = case_event_add(
        user=user,
        case=access.case,
        kind=payload.kind,
        summary=payload.summary,
        occurred_at=payload.occurred_at,
        channel=API,
    )
    return Status(201, _event_out(e))


@router.post(
    "/{int:case_id}/assessments",
    response={201: AssessmentOut},
    summary="インテーク・アセスメントシートの新しい版",
)
def assessments(request: HttpRequest, case_id: int, payload: AssessmentIn) -> Status[AssessmentOut]:
    user = request_user(request)
    access = _coordinating(user, case_id)
    # a save from an older version: StaleEdit, 409 with the current version (portal/api.py)
    a = assessment_create(
        user=user,
        case=access.case,
        answers={k: v.model_dump() for k, v in payload.answers.items()},
        urgency=payload.urgency,
        assessed_on=payload.assessed_on,
        base_version=payload.base_version,
        channel=API,
    )
    return Status(
        201,
        AssessmentOut(
            id=a.pk,
            version=a.version,
            assessed_on=a.assessed_on,
            urgency=a.urgency,
            answers=a.answers,
        ),
    )


def _actions(user: User, items: list[ActionIn]) -> list[ActionData]:
    organizations = {o.code: o for o in organizations_visible_to(user)}
    out = []
    for i, a in enumerate(items, start=1):
        organization = organizations.get(a.organization)
        if organization is None:
            raise ValidationError({"actions": [f"取り組み{i}: 担当機関が見つかりません"]})
        out.append(ActionData(a.description, organization, a.due_on))
    return out


def _plan_data(payload: PlanIn) -> PlanData:
    return PlanData(
        wishes=payload.wishes,
        goals=payload.goals,
        issues=payload.issues,
        monitoring_on=payload.monitoring_on,
        review_on=payload.review_on,
        referral_checks=payload.referral_checks,
    )


@router.post(
    "/{int:case_id}/plans", response={201: PlanOut}, summary="支援プランを作成する（下書き）"
)
def plans(request: HttpRequest, case_id: int, payload: PlanCreateIn) -> Status[PlanOut]:
    user = request_user(request)
    access = _coordinating(user, case_id)
    plan = plan_create(
        user=user,
        case=access.case,
        kind=payload.kind,
        data=_plan_data(payload),
        actions=_actions(user, payload.actions),
        channel=API,
    )
    return Status(201, plan_out(plan, list(plan.actions.select_related("organization"))))


@router.post(
    "/{int:case_id}/close", response=CaseDetailOut, summary="評価して終結する（評価シート）"
)
def close(request: HttpRequest, case_id: int, payload: CloseIn) -> CaseDetailOut:
    user = request_user(request)
    access = _coordinating(user, case_id)
    gaps = []
    for g in payload.resource_gaps:
        if g.gap is not None:
            gap = ResourceGap.objects.visible_to(user).filter(pk=g.gap).first()
            if gap is None:
                raise ValidationError({"resource_gaps": ["社会資源の不足の登録が見つかりません"]})
            gaps.append(GapData(gap=gap))
            continue
        area = None
        if g.area:
            area = Area.objects.filter(
                municipality=user_organization(user).municipality, code=g.area
            ).first()
            if area is None:
                raise ValidationError({"resource_gaps": ["地域が見つかりません"]})
        gaps.append(GapData(field=g.field or "", description=g.description, area=area))
    case_close(
        user=user,
        case=access.case,
        data=ClosureData(
            outcome=payload.outcome,
            goals_met=payload.goals_met,
            person_changes=payload.person_changes,
            existing_services_sufficient=payload.existing_services_sufficient,
            why_not=payload.why_not,
            support_flow_lessons=payload.support_flow_lessons,
            closed_on=payload.closed_on,
            review_on=payload.review_on,
            gaps=gaps,
        ),
        channel=API,
    )
    return _reread(user, case_id)


# --- plans ------------------------------------------------------------------------------------


def _plan(user: User, plan_id: int, *, log: bool) -> tuple[SupportPlan, CaseAccess]:
    plan = SupportPlan.objects.visible_to(user).select_related("case").filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    access = case_get_for(
        user=user,
        case_id=plan.case_id,
        channel=API,
        action=AccessLog.Action.VIEW if log else None,
    )
    return plan, access


def _plan_reread(plan: SupportPlan) -> PlanOut:
    return plan_out(plan, list(plan.actions.select_related("organization")))


@plans_router.get("/{int:plan_id}", response=PlanOut, summary="支援プラン（版）")
def plan_detail(request: HttpRequest, plan_id: int) -> PlanOut:
    plan, _ = _plan(request_user(request), plan_id, log=True)
    return _plan_reread(plan)


@plans_router.put(
    "/{int:plan_id}",
    response=PlanOut,
    summary="下書きの支援プランを保存する（古い revision からの保存は409）",
)
def plan_save(request: HttpRequest, plan_id: int, payload: PlanUpdateIn) -> PlanOut:
    user = request_user(request)
    plan, access = _plan(user, plan_id, log=False)
    if not access.coordinating:
        raise Http404
    # a save from an older revision: StaleEdit, 409 with the current one (portal/api.py)
    saved = plan_update(
        user=user,
        plan=plan,
        data=_plan_data(payload),
        actions=_actions(user, payload.actions),
        revision=payload.revision,
        channel=API,
    )
    return _plan_reread(saved)


@plans_router.post(
    "/{int:plan_id}/confer", response=PlanOut, summary="重層的支援会議で協議済にする"
)
def plan_confer_api(request: HttpRequest, plan_id: int, payload: ConferIn) -> PlanOut:
    user = request_user(request)
    plan, access = _plan(user, plan_id, log=False)
    if not access.coordinating:
        raise Http404
    return _plan_reread(
        plan_confer(
            user=user,
            plan=plan,
            conferred_on=payload.conferred_on or timezone.localdate(),
            channel=API,
        )
    )


@plans_router.post("/{int:plan_id}/start", response=PlanOut, summary="プランの実施を開始する")
def plan_start_api(request: HttpRequest, plan_id: int) -> PlanOut:
    user = request_user(request)
    plan, access = _plan(user, plan_id, log=False)
    if not access.coordinating:
        raise Http404
    return _plan_reread(plan_start(user=user, plan=plan, channel=API))


@plans_router.post(
    "/{int:plan_id}/monitoring", response={201: MonitoringOut}, summary="モニタリングを記録する"
)
def plan_monitoring(
    request: HttpRequest, plan_id: int, payload: MonitoringIn
) -> Status[MonitoringOut]:
    user = request_user(request)
    plan, _ = _plan(user, plan_id, log=False)
    actions = {a.pk: a for a in plan.actions.all()}
    results = []
    for r in payload.results:
        action = actions.get(r.action)
        if action is None:
            raise ValidationError({"results": ["このプランの取り組みではありません"]})
        results.append(ResultData(action, r.result, r.note))
    m = monitoring_record(
        user=user,
        plan=plan,
        monitored_on=payload.monitored_on,
        results=results,
        summary=payload.summary,
        next_monitoring_on=payload.next_monitoring_on,
        channel=API,
    )
    return Status(
        201,
        MonitoringOut(
            id=m.pk,
            plan_id=plan.pk,
            monitored_on=m.monitored_on,
            results=[
                ResultIn(action=x.action_id, result=ActionResult(x.result), note=x.note)
                for x in m.results.all()
            ],
        ),
    )


# --- the register ----------------------------------------------------------------------------


@gaps_router.get("", response=list[GapOut], summary="社会資源の不足（登録簿）")
def resource_gaps(request: HttpRequest, status: ResourceGap.Status | None = None) -> list[GapOut]:
    user = request_user(request)
    return [
        GapOut(
            id=g.pk,
            field=g.field,
            area=g.area.code if g.area else None,
            description=g.description,
            status=g.status,
            cases=count,
        )
        for g, count in resource_gaps_for(user=user, status=status or "")
    ]
