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

from tsunagu.access.models import AccessLog
from tsunagu.access.selectors import (
    PersonAccess,
    consultation_access,
    person_accesses,
    user_organization,
    visible_consultations,
)
from tsunagu.access.services import access_log
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import request_user
from tsunagu.consent.models import Consent
from tsunagu.consultations.api import ConsultationOut, consultation_out
from tsunagu.core.tokyo import TokyoDateTime
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.access import organizations_visible_to
from tsunagu.people.api import PersonOut, person_out
from tsunagu.referrals.models import Basis, Referral
from tsunagu.referrals.selectors import is_overdue, referral_box, referral_for
from tsunagu.referrals.services import (
    ReferralData,
    referral_accept,
    referral_complete,
    referral_create,
    referral_decline,
)

router = Router(tags=["referrals"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000


class ReferralIn(Schema):
    consultation: int = Field(description="つなぐ相談のID（自機関で受け付けたもの）")
    to_organization: str = Field(description="依頼先の機関コード")
    reason: str = Field(max_length=5000)
    basis: Basis = Field(description="共有の根拠")
    consent: int | None = Field(None, description="basis=consent のとき: 本人同意のID")
    meeting_body: str | None = Field(
        None, description="basis=support_meeting のとき: 支援会議の会議体コード"
    )
    statute: str = Field("", max_length=200, description="basis=statute のとき: 根拠法令")
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
    count: int
    page: int
    page_size: int
    items: list[ReferralOut]


def _shown(user: User, referrals: list[Referral], action: str | None) -> list[ReferralOut]:
    """Serialize referrals as the user may see them now; log (as `action`) each one that shows
    personal data, unless the caller already logged what it did."""
    accesses = person_accesses(user=user, persons=[r.person for r in referrals if r.person])
    readable = set(
        visible_consultations(user=user)
        .filter(pk__in=[r.consultation_id for r in referrals])
        .values_list("pk", flat=True)
    )
    out = []
    for r in referrals:
        access = accesses.get(r.person_id) if r.person_id is not None else None
        content = r.consultation_id in readable
        if action is not None and (access is not None or content):
            _log(user, r, access, action)
        out.append(
            ReferralOut(
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
                overdue=is_overdue(r),
                decline_reason=r.decline_reason,
                outcome=r.outcome,
                created_at=r.created_at,
                person=person_out(access) if access else None,
                consultation=consultation_out(r.consultation) if content else None,
            )
        )
    return out


def _log(user: User, referral: Referral, access: PersonAccess | None, action: str) -> None:
    if access is not None:
        via, grant = access.via, access.grant
    elif referral.from_organization_id == user_organization(user).pk:
        via, grant = AccessLog.Via.OWN, None
    else:  # the receiver answering after its grant ended acts on the referral by duty
        via, grant = AccessLog.Via.ROLE, None
    access_log(
        user=user,
        action=action,
        obj=referral,
        person=referral.person,
        via=via,
        grant=grant,
        channel="api",
    )


def _fetch(user: User, referral_id: int) -> Referral:
    return referral_for(organization=user_organization(user), referral_id=referral_id)


@router.post("", response={201: ReferralOut}, summary="相談を他の機関へつなぐ")
def create(request: HttpRequest, payload: ReferralIn) -> Status[ReferralOut]:
    user = request_user(request)
    consultation = consultation_access(user=user, consultation_id=payload.consultation).consultation
    organizations = organizations_visible_to(user)
    target = organizations.filter(code=payload.to_organization).first()
    if target is None:
        raise ValidationError({"to_organization": ["依頼先が見つかりません"]})
    consent = None
    if payload.consent is not None:
        consent = Consent.objects.filter(
            pk=payload.consent, organization=user_organization(user)
        ).first()
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
    referral = referral_create(user=user, consultation=consultation, data=data, channel="api")
    # referral_create logs the disclosure itself (action "share")
    return Status(201, _shown(user, [referral], None)[0])


@router.get("", response=ReferralPage, summary="受けたつなぎ（in）・送ったつなぎ（out）")
def list_referrals(
    request: HttpRequest,
    box: Literal["in", "out"] = Query(..., description="in: 受けたもの、out: 送ったもの"),
    status: Referral.Status | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> ReferralPage:
    user = request_user(request)
    referrals = referral_box(organization=user_organization(user), box=box, status=status or "")
    start = (page - 1) * page_size
    shown = list(
        referrals.select_related(
            "person__organization", "consultation__organization"
        ).prefetch_related("consultation__topics")[start : start + page_size]
    )
    return ReferralPage(
        count=referrals.count(),
        page=page,
        page_size=page_size,
        items=_shown(user, shown, AccessLog.Action.LIST),
    )


@router.get("/{int:referral_id}", response=ReferralOut, summary="つなぎを見る")
def detail(request: HttpRequest, referral_id: int) -> ReferralOut:
    user = request_user(request)
    return _shown(user, [_fetch(user, referral_id)], AccessLog.Action.VIEW)[0]


def _answer(
    request: HttpRequest, referral_id: int, change: Callable[[User, Referral], Referral]
) -> ReferralOut:
    """Move a referral on (the service checks who may, and logs the change)."""
    user = request_user(request)
    referral = change(user, _fetch(user, referral_id))
    return _shown(user, [referral], None)[0]


@router.post("/{int:referral_id}/accept", response=ReferralOut, summary="つなぎを受理する")
def accept(request: HttpRequest, referral_id: int) -> ReferralOut:
    return _answer(
        request, referral_id, lambda u, r: referral_accept(user=u, referral=r, channel="api")
    )


@router.post("/{int:referral_id}/decline", response=ReferralOut, summary="つなぎを辞退する")
def decline(request: HttpRequest, referral_id: int, payload: DeclineIn) -> ReferralOut:
    return _answer(
        request,
        referral_id,
        lambda u, r: referral_decline(user=u, referral=r, reason=payload.reason, channel="api"),
    )


@router.post("/{int:referral_id}/complete", response=ReferralOut, summary="対応完了を報告する")
def complete(request: HttpRequest, referral_id: int, payload: CompleteIn) -> ReferralOut:
    return _answer(
        request,
        referral_id,
        lambda u, r: referral_complete(user=u, referral=r, outcome=payload.outcome, channel="api"),
    )
