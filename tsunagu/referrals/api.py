"""API of referrals (つなぎ): send one with its basis, answer it, and list each side's box.

A referral shows the person only as far as the user may see them now, and the consultation's
content only when the user may read it (the sender's own; for the receiver, when the grant the
referral opened includes the content). Every referral shown with personal data is logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog, Basis
from tsunagu.access.statutes import statutes_for
from tsunagu.accounts.access import organizations_visible_to, user_municipality
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import request_user
from tsunagu.consent.models import Consent
from tsunagu.consultations.access import consultation_get_for
from tsunagu.consultations.api import ConsultationOut, consultation_out
from tsunagu.core.paging import CURSOR_HELP, CURSOR_MAX_LENGTH, NEXT_HELP, cursor_page
from tsunagu.core.tokyo import TokyoDateTime
from tsunagu.meetings.models import MeetingBody
from tsunagu.people.api import PersonOut, person_out
from tsunagu.referrals.models import Referral
from tsunagu.referrals.selectors import (
    ReferralView,
    referral_box,
    referral_get_for,
    referrals_shown,
)
from tsunagu.referrals.services import (
    ReferralData,
    referral_accept,
    referral_complete,
    referral_create,
    referral_decline,
)

API = AccessLog.Channel.API
router = Router(tags=["referrals"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class ReferralIn(Schema):
    consultation: int = Field(description="つなぐ相談のID（自機関で受け付けたもの）")
    to_organization: str = Field(description="依頼先の機関コード")
    reason: str = Field(max_length=5000)
    basis: Basis = Field(description="共有の根拠")
    consent: int | None = Field(None, description="basis=consent のとき: 本人同意のID")
    meeting_body: str | None = Field(
        None, description="basis=support_meeting のとき: 支援会議の会議体コード"
    )
    statute: str = Field(
        "",
        max_length=40,
        description="basis=statute のとき: 根拠法令のコード（GET /api/v1/referrals/statutes）",
    )
    share_content: bool = True
    share_contact: bool = True
    share_address: bool = False
    acknowledge_address_protection: bool = Field(
        False, description="住所秘匿の本人の住所を共有することを確認した"
    )


class DeclineIn(Schema):
    reason: str = Field(max_length=5000)


class CompleteIn(Schema):
    outcome: str = Field(max_length=5000)


class ReferralOut(Schema):
    id: int
    status: str
    from_organization: str
    to_organization: str
    consultation_id: int
    reason: str
    basis: str
    share_content: bool
    share_contact: bool
    share_address: bool
    due_date: dt.date
    overdue: bool
    decline_reason: str
    outcome: str
    created_at: TokyoDateTime
    person: PersonOut | None = Field(description="見られないとき（匿名、許可の終了）は null")
    consultation: ConsultationOut | None = Field(
        description="相談内容が共有されているときだけ（依頼元には自機関の相談）"
    )


class ReferralPage(Schema):
    page_size: int
    next: str | None = Field(description=NEXT_HELP)
    items: list[ReferralOut]


def referral_out(view: ReferralView) -> ReferralOut:
    """A referral as the user may see it now. Built field by field: nothing leaks by default."""
    r = view.referral
    return ReferralOut(
        id=r.pk,
        status=r.status,
        from_organization=r.from_organization.code,
        to_organization=r.to_organization.code,
        consultation_id=r.consultation_id,
        reason=r.reason,
        basis=r.basis,
        share_content=r.share_content,
        share_contact=r.share_contact,
        share_address=r.share_address,
        due_date=r.due_date,
        overdue=view.overdue,
        decline_reason=r.decline_reason,
        outcome=r.outcome,
        created_at=r.created_at,
        person=person_out(view.person) if view.person else None,
        consultation=ConsultationOut(**consultation_out(r.consultation)) if view.content else None,
    )


def _unlogged(user: User, referral: Referral) -> ReferralOut:
    """The referral a service just wrote (and logged)."""
    return referral_out(
        referrals_shown(user=user, referrals=[referral], action=None, channel=API)[0]
    )


@router.post("", response={201: ReferralOut}, summary="相談を他の機関へつなぐ")
def create(request: HttpRequest, payload: ReferralIn) -> Status[ReferralOut]:
    user = request_user(request)
    # the service refuses a consultation the window did not take itself (422, as on screen)
    consultation = consultation_get_for(
        user=user, consultation_id=payload.consultation, channel=API
    ).consultation
    organizations = organizations_visible_to(user)
    target = organizations.filter(code=payload.to_organization).first()
    if target is None:
        raise ValidationError({"to_organization": ["依頼先が見つかりません"]})
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
    data = ReferralData(
        to_organization=target,
        reason=payload.reason,
        basis=payload.basis,
        share_content=payload.share_content,
        share_contact=payload.share_contact,
        share_address=payload.share_address,
        consent=consent,
        meeting_body=meeting_body,
        statute=payload.statute,
        acknowledge_address_protection=payload.acknowledge_address_protection,
    )
    referral = referral_create(user=user, consultation=consultation, data=data, channel=API)
    # referral_create logs the disclosure itself (action "share")
    return Status(201, _unlogged(user, referral))


class StatuteOut(Schema):
    code: str
    name: str
    article: str
    summary: str


@router.get("/statutes", response=list[StatuteOut], summary="根拠にできる法令の一覧")
def statutes(request: HttpRequest) -> list[StatuteOut]:
    user = request_user(request)
    return [
        StatuteOut(code=s.code, name=s.name, article=s.article, summary=s.summary)
        for s in statutes_for(municipality=user_municipality(user))
    ]


@router.get("", response=ReferralPage, summary="受けたつなぎ（in）・送ったつなぎ（out）、新しい順")
def list_referrals(
    request: HttpRequest,
    box: Literal["in", "out"] = Query(..., description="in: 受けたもの、out: 送ったもの"),
    status: Referral.Status | None = None,
    cursor: str | None = Query(None, max_length=CURSOR_MAX_LENGTH, description=CURSOR_HELP),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> ReferralPage:
    user = request_user(request)
    referrals = referral_box(user=user, box=box, status=status or "")
    found = cursor_page(
        referrals.select_related(
            "person__organization",
            "person__household_membership__household",
            "consultation__organization",
        ).prefetch_related("consultation__topics"),
        order=("created_at", "pk"),
        size=page_size,
        cursor=cursor,
    )
    views = referrals_shown(
        user=user, referrals=found.object_list, action=AccessLog.Action.LIST, channel=API
    )
    return ReferralPage(
        page_size=page_size, next=found.after or None, items=[referral_out(v) for v in views]
    )


@router.get("/{int:referral_id}", response=ReferralOut, summary="つなぎを見る")
def detail(request: HttpRequest, referral_id: int) -> ReferralOut:
    user = request_user(request)
    return referral_out(referral_get_for(user=user, referral_id=referral_id, channel=API))


def _answer(
    request: HttpRequest, referral_id: int, change: Callable[[User, Referral], Referral]
) -> ReferralOut:
    """Move a referral on (the service checks who may, and logs the change)."""
    user = request_user(request)
    view = referral_get_for(user=user, referral_id=referral_id, channel=API, log=False)
    return _unlogged(user, change(user, view.referral))


@router.post("/{int:referral_id}/accept", response=ReferralOut, summary="つなぎを受理する")
def accept(request: HttpRequest, referral_id: int) -> ReferralOut:
    return _answer(
        request, referral_id, lambda u, r: referral_accept(user=u, referral=r, channel=API)
    )


@router.post("/{int:referral_id}/decline", response=ReferralOut, summary="つなぎを辞退する")
def decline(request: HttpRequest, referral_id: int, payload: DeclineIn) -> ReferralOut:
    return _answer(
        request,
        referral_id,
        lambda u, r: referral_decline(user=u, referral=r, reason=payload.reason, channel=API),
    )


@router.post("/{int:referral_id}/complete", response=ReferralOut, summary="対応完了を報告する")
def complete(request: HttpRequest, referral_id: int, payload: CompleteIn) -> ReferralOut:
    return _answer(
        request,
        referral_id,
        lambda u, r: referral_complete(user=u, referral=r, outcome=payload.outcome, channel=API),
    )
