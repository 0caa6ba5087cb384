"""Writes of referrals (つなぎ): a closed loop with a recorded basis at every step.

依頼中 → 受理 / 辞退 (reason required) → 対応完了 (outcome goes back to the sender) / 取消.
Sending opens a grant for the receiver within the chosen scope; declining or cancelling ends it,
and so does withdrawing the consent it rests on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog, Basis
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log, grants_end
from tsunagu.access.statutes import statute_find
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_covers
from tsunagu.consultations.models import Consultation
from tsunagu.core.calendar import add_business_days
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind, MeetingBodyMember
from tsunagu.organizations.models import Organization
from tsunagu.people.access import person_accesses
from tsunagu.referrals.models import Referral, ReferralEvent


@dataclass
class ReferralData:
    to_organization: Organization
    reason: str
    basis: str
    share_content: bool = True
    share_contact: bool = True
    share_address: bool = False
    consent: Consent | None = None
    meeting_body: MeetingBody | None = None
    statute: str = ""  # the code of a statute of the city's list (access/statutes.py)
    acknowledge_address_protection: bool = False


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _check_basis(data: ReferralData, consultation: Consultation, sender: Organization) -> None:
    today = timezone.localdate()
    if data.basis == Basis.CONSENT:
        if consultation.person is None:
            raise _fail(
                "basis",
                "匿名・未特定の相談は本人同意を根拠にできません（支援会議か法令を選んでください）",
            )
        if data.consent is None:
            raise _fail("consent", "根拠とする本人同意を選んでください")
        if data.consent.person_id != consultation.person_id:
            raise _fail("consent", "この本人の同意ではありません")
        if data.consent.organization_id != sender.pk:
            raise _fail("consent", "自機関が得た同意を選んでください")
        if not consent_covers(consent=data.consent, organization=data.to_organization, on=today):
            raise _fail(
                "consent", "同意の範囲（提供先・期間）に依頼先が含まれていないか、撤回されています"
            )
    elif data.basis == Basis.SUPPORT_MEETING:
        body = data.meeting_body
        if body is None or body.kind != MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING:
            raise _fail("meeting_body", "支援会議（法第106条の6）を選んでください")
        if body.municipality_id != sender.municipality_id:
            raise _fail("meeting_body", "他の市の会議体です")
        members = set(
            MeetingBodyMember.objects.filter(meeting_body=body).values_list(
                "organization_id", flat=True
            )
        )
        if data.to_organization.pk not in members or sender.pk not in members:
            raise _fail(
                "meeting_body", "依頼元と依頼先の両方がこの支援会議の構成員である必要があります"
            )
    elif data.basis == Basis.STATUTE:
        if not data.statute.strip():
            raise _fail("statute", "根拠となる法令を選んでください")
        if statute_find(municipality=sender.municipality, code=data.statute) is None:
            raise _fail(
                "statute",
                "根拠法令は市の一覧から選んでください（一覧にない条例・要綱は管理者が登録します）",
            )
    else:
        raise _fail("basis", "共有の根拠を選んでください（根拠のない提供はできません）")


def _statute_label(sender: Organization, data: ReferralData) -> str:
    """What the referral records: the statute's name and article (checked in `_check_basis`)."""
    found = statute_find(municipality=sender.municipality, code=data.statute)
    return found.label if found is not None else ""


@transaction.atomic
def referral_create(
    *,
    user: User,
    consultation: Consultation,
    data: ReferralData,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Referral:
    sender = user_organization(user)
    if consultation.organization_id != sender.pk:
        raise _fail("consultation", "自機関で受け付けた相談だけをつなげます")
    target = data.to_organization
    if target.pk == sender.pk:
        raise _fail("to_organization", "自機関にはつなげません")
    if target.municipality_id != sender.municipality_id or not target.is_active:
        raise _fail("to_organization", "依頼先が見つかりません")
    if not data.reason.strip():
        raise _fail("reason", "つなぐ理由を入力してください")
    _check_basis(data, consultation, sender)
    person = consultation.person
    if (
        person is not None
        and person.address_protection_applies
        and data.share_address
        and not data.acknowledge_address_protection
    ):
        raise _fail(
            "share_address",
            "この本人は住所秘匿（DV等支援措置）の対象です。住所を共有する場合は確認欄にチェックしてください",
        )
    referral = Referral(
        consultation=consultation,
        person=person,
        from_organization=sender,
        to_organization=target,
        reason=data.reason.strip(),
        share_content=data.share_content,
        share_contact=data.share_contact,
        share_address=data.share_address,
        basis=data.basis,
        consent=data.consent if data.basis == Basis.CONSENT else None,
        meeting_body=data.meeting_body if data.basis == Basis.SUPPORT_MEETING else None,
        statute=_statute_label(sender, data) if data.basis == Basis.STATUTE else "",
        due_date=add_business_days(timezone.localdate(), settings.REFERRAL_DUE_BUSINESS_DAYS),
        created_by=user,
    )
    referral.full_clean()
    referral.save()
    ReferralEvent.objects.create(referral=referral, status=referral.status, by=user)
    grant = grant_for_referral(referral=referral, user=user)
    access_log(
        user=user,
        action=AccessLog.Action.SHARE,
        obj=referral,
        person=person,
        via=AccessLog.Via.OWN,
        grant=grant,
        channel=channel,
    )
    return referral


def grant_for_referral(*, referral: Referral, user: User) -> AccessGrant | None:
    """The grant a referral opens for the receiving organization (none without a person)."""
    if referral.person is None:
        return None
    valid_until: dt.date | None = None
    if referral.basis == Basis.CONSENT and referral.consent is not None:
        valid_until = referral.consent.valid_until
    return AccessGrant.objects.create(
        person=referral.person,
        organization=referral.to_organization,
        consultation=referral.consultation,
        includes_content=referral.share_content,
        includes_contact=referral.share_contact,
        includes_address=referral.share_address,
        basis=referral.basis,
        consent=referral.consent,
        referral=referral,
        meeting_body=referral.meeting_body,
        statute=referral.statute,
        valid_from=timezone.now(),
        valid_until=valid_until,
        created_by=user,
    )


def _log_change(user: User, referral: Referral, channel: AccessLog.Channel) -> None:
    """Log a state change, with the basis the user acts on (read before any grant ends)."""
    organization = user_organization(user)
    via = AccessLog.Via.ROLE  # the receiver answering after its grant ended acts by duty
    grant = None
    if referral.from_organization_id == organization.pk:
        via = AccessLog.Via.OWN
    elif referral.person is not None:
        access = person_accesses(user=user, persons=[referral.person]).get(referral.person.pk)
        if access is not None:
            via, grant = access.via, access.grant
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=referral,
        person=referral.person,
        via=via,
        grant=grant,
        channel=channel,
    )


def _move(
    referral: Referral,
    *,
    user: User,
    allowed: set[str],
    side: str,
    to: str,
    channel: AccessLog.Channel,
    note: str = "",
    end_grants: str = "",
    **fields: str,
) -> Referral:
    """Move a referral on: check who may and from which state, log it, save the new state and
    any text it carries, write the event, and end the referral's grants when asked."""
    organization = user_organization(user)
    owner = referral.to_organization_id if side == "receiver" else referral.from_organization_id
    if owner != organization.pk:
        raise ValidationError("この操作はできません")
    if referral.status not in allowed:
        raise ValidationError(
            f"「{referral.get_status_display()}」のつなぎは{Referral.Status(to).label}にできません"
        )
    _log_change(user, referral, channel)
    referral.status = to
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save(update_fields=["status", *fields, "updated_at"])
    ReferralEvent.objects.create(referral=referral, status=to, by=user, note=note)
    if end_grants:
        grants_end(grants=AccessGrant.objects.filter(referral=referral), reason=end_grants)
    return referral


@transaction.atomic
def referral_accept(
    *, user: User, referral: Referral, channel: AccessLog.Channel = AccessLog.Channel.WEB
) -> Referral:
    return _move(
        referral,
        user=user,
        allowed={Referral.Status.REQUESTED},
        side="receiver",
        to=Referral.Status.ACCEPTED,
        channel=channel,
    )


@transaction.atomic
def referral_decline(
    *,
    user: User,
    referral: Referral,
    reason: str,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Referral:
    if not reason.strip():
        raise _fail("decline_reason", "辞退の理由を入力してください")
    return _move(
        referral,
        user=user,
        allowed={Referral.Status.REQUESTED},
        side="receiver",
        to=Referral.Status.DECLINED,
        channel=channel,
        note=reason.strip(),
        end_grants="つなぎを辞退",
        decline_reason=reason.strip(),
    )


@transaction.atomic
def referral_complete(
    *,
    user: User,
    referral: Referral,
    outcome: str,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Referral:
    if not outcome.strip():
        raise _fail("outcome", "対応結果を入力してください（依頼元に伝わります）")
    return _move(
        referral,
        user=user,
        allowed={Referral.Status.ACCEPTED},
        side="receiver",
        to=Referral.Status.COMPLETED,
        channel=channel,
        note=outcome.strip(),
        outcome=outcome.strip(),
    )


@transaction.atomic
def referral_cancel(
    *,
    user: User,
    referral: Referral,
    note: str = "",
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Referral:
    return _move(
        referral,
        user=user,
        allowed={Referral.Status.REQUESTED, Referral.Status.ACCEPTED},
        side="sender",
        to=Referral.Status.CANCELLED,
        channel=channel,
        note=note.strip(),
        end_grants="つなぎを取消",
    )
