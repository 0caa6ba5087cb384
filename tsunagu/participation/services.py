"""Writes of 参加支援: hosts' offers and the support given to hosts; a person's needs profile;
placements from 提案 to 終了 (or 辞退), attendance and the follow-up. Each service checks its input,
writes in one transaction (nothing half-saved) and logs the personal data it wrote."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log
from tsunagu.accounts.models import Role, User
from tsunagu.cases.models import Case
from tsunagu.consent.models import Consent
from tsunagu.core.history import changed_by
from tsunagu.organizations.models import Municipality
from tsunagu.participation.models import (
    OCCUPYING,
    WEEKDAYS,
    Attendance,
    FollowUp,
    HostOffer,
    HostSupport,
    NeedsProfile,
    OfferKind,
    ParticipationSettings,
    Placement,
    PlacementStage,
)
from tsunagu.people.models import Person
from tsunagu.resources.access import resources_editable_by
from tsunagu.resources.models import Audience, CommunityResource

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via
WEB = Channel.WEB

# who arranges offers for any host of the city (besides the host's own organization's staff)
HOST_EDITOR_ROLES = (
    Role.PARTICIPATION_COORDINATOR,
    Role.LIFE_SUPPORT_COORDINATOR,
    Role.MANAGER,
    Role.ADMIN,
)
DEFAULT_FOLLOW_UP_MONTHS = 3


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _not_future(name: str, day: dt.date) -> None:
    if day > timezone.localdate():
        raise _fail(name, "未来の日付は記録できません")


def _weekdays(name: str, values: list[str]) -> list[str]:
    codes = [c for c, _ in WEEKDAYS]
    if any(v not in codes for v in values):
        raise _fail(name, "曜日は月〜日から選んでください")
    return [c for c in codes if c in values]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def follow_up_months(municipality: Municipality) -> int:
    """The city's period from a placement's end to its follow-up (default 3 months)."""
    found = ParticipationSettings.objects.filter(municipality=municipality).first()
    return found.follow_up_months if found is not None else DEFAULT_FOLLOW_UP_MONTHS


def may_edit_hosts(user: User, resource: CommunityResource | None = None) -> bool:
    if user.has_role(*HOST_EDITOR_ROLES):
        return True
    editable = resources_editable_by(user)
    return editable.filter(pk=resource.pk).exists() if resource else editable.exists()


# --- hosts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferData:
    kind: str
    title: str
    capacity: int
    weekdays: list[str] = field(default_factory=list)
    time_note: str = ""
    barrier_free: bool = False
    accessibility: str = ""
    audiences: list[str] = field(default_factory=list)
    welcome_note: str = ""
    is_active: bool = True


def _offer_fill(offer: HostOffer, data: OfferData) -> None:
    if data.kind not in OfferKind.values:
        raise _fail("kind", "種類を選んでください")
    if not data.title.strip():
        raise _fail("title", "受け入れの内容を入力してください")
    if data.capacity < 1:
        raise _fail("capacity", "受け入れ人数は1人以上で入力してください")
    if any(a not in Audience.values for a in data.audiences):
        raise _fail("audiences", "歓迎する人を一覧から選んでください")
    offer.kind = data.kind
    offer.title = data.title.strip()
    offer.capacity = data.capacity
    offer.weekdays = _weekdays("weekdays", data.weekdays)
    offer.time_note = data.time_note.strip()
    offer.barrier_free = data.barrier_free
    offer.accessibility = data.accessibility.strip()
    offer.audiences = list(data.audiences)
    offer.welcome_note = data.welcome_note.strip()
    offer.is_active = data.is_active


def offer_create(*, user: User, resource: CommunityResource, data: OfferData) -> HostOffer:
    """What a host (a resource of the directory marked 受け入れ先) offers to participants."""
    if resource.municipality_id != user_organization(user).municipality_id:
        raise _fail("resource", "受け入れ先が見つかりません")
    if not resource.is_host:
        raise _fail(
            "resource",
            "この社会資源は参加支援の受け入れ先になっていません（社会資源の画面で設定してください）",
        )
    if not may_edit_hosts(user, resource):
        raise ValidationError(
            "受け入れ先の内容を登録できるのは参加支援コーディネーター・管理者と運営団体の職員です"
        )
    offer = HostOffer(municipality_id=resource.municipality_id, resource=resource, created_by=user)
    _offer_fill(offer, data)
    offer.full_clean()
    with transaction.atomic():
        changed_by(offer, user=user, channel=WEB)
        offer.save()
    return offer


def offer_update(*, user: User, offer: HostOffer, data: OfferData) -> HostOffer:
    if not may_edit_hosts(user, offer.resource):
        raise ValidationError("この受け入れ先を変更する権限がありません")
    occupied = _occupied(offer)
    _offer_fill(offer, data)
    if data.capacity < occupied:
        raise _fail(
            "capacity", f"いま{occupied}人が利用中です。受け入れ人数をそれより少なくはできません"
        )
    offer.full_clean()
    with transaction.atomic():
        changed_by(offer, user=user, channel=WEB)
        offer.save()
    return offer


def host_support_record(
    *, user: User, resource: CommunityResource, supported_on: dt.date, kind: str, note: str
) -> HostSupport:
    """Support given to a host by the user's organization."""
    organization = user_organization(user)
    if resource.municipality_id != organization.municipality_id or not resource.is_host:
        raise _fail("resource", "受け入れ先が見つかりません")
    if not may_edit_hosts(user, resource):
        raise ValidationError(
            "受け入れ先への支援を記録できるのは参加支援コーディネーター・管理者と運営団体の職員です"
        )
    if kind not in HostSupport.Kind.values:
        raise _fail("kind", "種類を選んでください")
    if not note.strip():
        raise _fail("note", "内容を入力してください")
    _not_future("supported_on", supported_on)
    support = HostSupport(
        municipality_id=resource.municipality_id,
        resource=resource,
        organization=organization,
        supported_on=supported_on,
        kind=kind,
        note=note.strip(),
        created_by=user,
    )
    support.full_clean()
    support.save()
    return support


# --- the person's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileData:
    interests: str = ""
    kinds: list[str] = field(default_factory=list)
    weekdays: list[str] = field(default_factory=list)
    times: str = ""
    needs_barrier_free: bool = False
    audience: str = ""
    limits: str = ""
    goals: str = ""
    support_needed: str = ""


def profile_save(
    *, user: User, person: Person, data: ProfileData, channel: Channel = WEB
) -> NeedsProfile:
    """Create or update the person's needs profile kept by the user's organization."""
    organization = user_organization(user)
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise _fail("person", "本人の記録が見つかりません")
    if any(k not in OfferKind.values for k in data.kinds):
        raise _fail("kinds", "希望する種類を一覧から選んでください")
    if data.audience and data.audience not in Audience.values:
        raise _fail("audience", "本人の属性を一覧から選んでください")
    with transaction.atomic():
        profile = (
            NeedsProfile.objects.held_by(user).select_for_update().filter(person=person).first()
        )
        created = profile is None
        if profile is None:
            profile = NeedsProfile(organization=organization, person=person, created_by=user)
        profile.interests = data.interests.strip()
        profile.kinds = list(data.kinds)
        profile.weekdays = _weekdays("weekdays", data.weekdays)
        profile.times = data.times.strip()
        profile.needs_barrier_free = data.needs_barrier_free
        profile.audience = data.audience
        profile.limits = data.limits.strip()
        profile.goals = data.goals.strip()
        profile.support_needed = data.support_needed.strip()
        profile.full_clean()
        changed_by(profile, user=user, channel=channel)
        profile.save()
        access_log(
            user=user,
            action=Action.CREATE if created else Action.UPDATE,
            obj=profile,
            person=person,
            via=Via.OWN,
            channel=channel,
        )
    return profile


def _occupied(offer: HostOffer) -> int:
    # unscoped: a count of the host's places in use, across the organizations placing there
    return Placement.dangerously_unscoped.filter(offer=offer, stage__in=OCCUPYING).count()


def _lock_offer_with_room(offer: HostOffer) -> HostOffer:
    locked = HostOffer.objects.select_for_update().get(pk=offer.pk)
    if not locked.is_active:
        raise _fail("offer", "この受け入れ先はいま受け入れを休止しています")
    if _occupied(locked) >= locked.capacity:
        raise _fail("offer", f"{locked.resource}はいま満員です（受け入れ人数{locked.capacity}人）")
    return locked


@dataclass(frozen=True)
class PlacementData:
    proposed_on: dt.date
    case: Case | None = None
    consent: Consent | None = None
    share_profile: bool = False
    share_contact: bool = False
    note: str = ""


def placement_propose(
    *,
    user: User,
    person: Person,
    offer: HostOffer,
    data: PlacementData,
    channel: Channel = WEB,
) -> Placement:
    """提案: suggest a host's offer to the person. Sharing with the host needs the person's consent
    naming the host's organization."""
    organization = user_organization(user)
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise _fail("person", "本人の記録が見つかりません")
    if offer.municipality_id != organization.municipality_id:
        raise _fail("offer", "受け入れ先が見つかりません")
    if not offer.is_active or not offer.resource.is_host:
        raise _fail("offer", "この受け入れ先には受け入れ中の内容がありません")
    _not_future("proposed_on", data.proposed_on)
    if data.case is not None and not Case.objects.visible_to(user).filter(pk=data.case.pk).exists():
        raise _fail("case", "事例が見つかりません")
    shares = data.share_profile or data.share_contact
    if data.consent is not None:
        if data.consent.person_id != person.pk or data.consent.organization_id != organization.pk:
            raise _fail("consent", "この本人から得た同意を選んでください")
        host_org = offer.resource.provider.organization_id
        if host_org is None or not data.consent.scope_organizations.filter(pk=host_org).exists():
            raise _fail("consent", "同意の提供先に受け入れ先の機関が含まれていません")
        if data.consent.withdrawn_at is not None:
            raise _fail("consent", "撤回された同意です")
    elif shares:
        raise _fail(
            "consent", "受け入れ先に伝えるには、受け入れ先を提供先に含む本人同意を選んでください"
        )
    # unscoped: whether this is the person's first matching (新規) or a repeated one (延べ)
    earlier = Placement.dangerously_unscoped.filter(
        person=person, organization=organization
    ).exists()
    placement = Placement(
        organization=organization,
        person=person,
        offer=offer,
        case=data.case,
        consent=data.consent,
        share_profile=data.share_profile,
        share_contact=data.share_contact,
        proposed_on=data.proposed_on,
        is_new=not earlier,
        note=data.note.strip(),
        created_by=user,
    )
    placement.full_clean()
    with transaction.atomic():
        changed_by(placement, user=user, channel=channel)
        placement.save()
        access_log(
            user=user,
            action=Action.CREATE,
            obj=placement,
            person=person,
            via=Via.OWN,
            channel=channel,
        )
    return placement


TRANSITIONS = {
    "trial": ({PlacementStage.PROPOSED}, PlacementStage.TRIAL),
    "start": ({PlacementStage.PROPOSED, PlacementStage.TRIAL}, PlacementStage.ACTIVE),
    "end": ({PlacementStage.ACTIVE}, PlacementStage.ENDED),
    "decline": ({PlacementStage.PROPOSED, PlacementStage.TRIAL}, PlacementStage.DECLINED),
}
STEP_LABELS = {"trial": "見学・体験", "start": "利用開始", "end": "終了", "decline": "辞退"}


def placement_step(
    *,
    user: User,
    placement: Placement,
    step: str,
    on: dt.date,
    reason: str = "",
    channel: Channel = WEB,
) -> Placement:
    """見学・体験 / 利用開始 / 終了 / 辞退. A place is taken at 見学・体験 or 利用開始 only while
    the host has room; the end schedules the follow-up the city's period later."""
    if placement.organization_id != user_organization(user).pk:
        raise ValidationError("このマッチングは他の機関の担当です")
    if step not in TRANSITIONS:
        raise _fail("step", "操作を選んでください")
    allowed, to = TRANSITIONS[step]
    _not_future("on", on)
    with transaction.atomic():
        # unscoped: the holder's own row (checked above), locked against a concurrent step
        locked = Placement.dangerously_unscoped.select_for_update().get(pk=placement.pk)
        if locked.stage not in allowed:
            raise ValidationError(
                f"「{locked.get_stage_display()}」のマッチングは{STEP_LABELS[step]}にできません"
            )
        if on < locked.proposed_on:
            raise _fail("on", f"日付が提案日（{locked.proposed_on:%Y-%m-%d}）より前です")
        if step in ("trial", "start") and locked.stage not in OCCUPYING:
            _lock_offer_with_room(locked.offer)
        if step == "trial":
            locked.trial_on = on
        elif step == "start":
            if locked.trial_on and on < locked.trial_on:
                raise _fail("on", "利用開始日が見学・体験日より前です")
            locked.started_on = on
        elif step == "end":
            if locked.started_on is None or on < locked.started_on:
                raise _fail("on", f"終了日が利用開始日（{locked.started_on:%Y-%m-%d}）より前です")
            locked.ended_on, locked.end_reason = on, reason.strip()
        else:
            if not reason.strip():
                raise _fail("reason", "辞退の理由を入力してください")
            locked.declined_on, locked.decline_reason = on, reason.strip()
        locked.stage = to
        locked.full_clean()
        changed_by(locked, user=user, channel=channel)
        locked.save()
        if step == "end":
            months = follow_up_months(locked.offer.municipality)
            FollowUp.objects.create(placement=locked, due_on=add_months(on, months))
        access_log(
            user=user,
            action=Action.UPDATE,
            obj=locked,
            person=locked.person,
            via=Via.OWN,
            channel=channel,
        )
    placement.refresh_from_db()
    return locked


def attendance_record(
    *,
    user: User,
    placement: Placement,
    attended_on: dt.date,
    attended: bool = True,
    note: str = "",
    channel: Channel = WEB,
) -> Attendance:
    """One visit to the host (or a missed one), during 見学・体験 or use."""
    if placement.organization_id != user_organization(user).pk:
        raise ValidationError("このマッチングは他の機関の担当です")
    if placement.stage not in (*OCCUPYING, PlacementStage.ENDED):
        raise ValidationError("見学・体験か利用開始の後に記録してください")
    _not_future("attended_on", attended_on)
    first = placement.trial_on or placement.started_on
    if first is not None and attended_on < first:
        raise _fail("attended_on", f"日付が見学・体験・利用開始（{first:%Y-%m-%d}）より前です")
    if placement.ended_on is not None and attended_on > placement.ended_on:
        raise _fail("attended_on", "日付が終了日より後です")
    if (
        Attendance.objects.held_by(user)
        .filter(placement=placement, attended_on=attended_on)
        .exists()
    ):
        raise _fail("attended_on", "この日の記録は既にあります")
    row = Attendance(
        placement=placement,
        attended_on=attended_on,
        attended=attended,
        note=note.strip(),
        created_by=user,
    )
    row.full_clean()
    with transaction.atomic():
        row.save()
        access_log(
            user=user,
            action=Action.CREATE,
            obj=row,
            person=placement.person,
            via=Via.OWN,
            channel=channel,
        )
    return row


def follow_up_record(
    *,
    user: User,
    placement: Placement,
    done_on: dt.date,
    result: str,
    note: str = "",
    channel: Channel = WEB,
) -> FollowUp:
    """Record the follow-up of an ended placement."""
    if placement.organization_id != user_organization(user).pk:
        raise ValidationError("このマッチングは他の機関の担当です")
    follow_up = FollowUp.objects.held_by(user).filter(placement=placement).first()
    if follow_up is None:
        raise ValidationError("フォローアップは利用終了の後に記録できます")
    if follow_up.done_on is not None:
        raise ValidationError("このフォローアップは記録済みです")
    if result not in FollowUp.Result.values:
        raise _fail("result", "結果を選んでください")
    _not_future("done_on", done_on)
    start = placement.started_on or placement.proposed_on
    if done_on < start:
        raise _fail("done_on", f"フォローアップの日付が利用開始日（{start:%Y-%m-%d}）より前です")
    follow_up.done_on, follow_up.result, follow_up.note = done_on, result, note.strip()
    follow_up.done_by = user
    follow_up.full_clean()
    with transaction.atomic():
        follow_up.save()
        access_log(
            user=user,
            action=Action.UPDATE,
            obj=follow_up,
            person=placement.person,
            via=Via.OWN,
            channel=channel,
        )
    return follow_up


def follow_up_months_set(*, user: User, months: int) -> ParticipationSettings:
    """A manager sets the city's follow-up period."""
    if not user.has_role(Role.MANAGER, Role.ADMIN):
        raise ValidationError("設定を変えられるのは管理者です")
    if not 1 <= months <= 24:
        raise _fail("months", "月数は1〜24で入力してください")
    municipality_id = user_organization(user).municipality_id
    found, _ = ParticipationSettings.objects.update_or_create(
        municipality_id=municipality_id, defaults={"follow_up_months": months}
    )
    return found
