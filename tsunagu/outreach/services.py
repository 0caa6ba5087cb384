"""Writes of アウトリーチ: targets, contacts, stages, 見守り, links to a person and a case, and the
outreach activities (a consultation taken at a 出張相談会 is a consultation of the window that ran
it). Each service checks its input, writes in one transaction and logs what it wrote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case
from tsunagu.consultations.models import Channel as ConsultationChannel
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.core.history import changed_by
from tsunagu.outreach.models import (
    ENGAGED_OUTCOMES,
    STAGE_ORDER,
    ActivityKind,
    ContactAttempt,
    ContactMethod,
    ContactOutcome,
    NoticeSource,
    OutreachActivity,
    OutreachTarget,
    SessionConsultation,
    Stage,
)
from tsunagu.people.models import Person

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via
WEB = Channel.WEB


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _not_future(name: str, day: dt.date) -> None:
    if day > timezone.localdate():
        raise _fail(name, "未来の日付は記録できません")


def _log(user: User, action: Action, target: OutreachTarget, obj: object, channel: Channel) -> None:
    access_log(
        user=user,
        action=action,
        obj=obj,  # type: ignore[arg-type]
        person=target.person,
        via=Via.OWN,
        channel=channel,
    )


def _require_holder(user: User, target: OutreachTarget) -> None:
    if target.organization_id != user_organization(user).pk:
        raise ValidationError("この対象者は他の機関の担当です")


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetData:
    label: str
    noticed_on: dt.date
    source: str
    whereabouts: str = ""
    concern: str = ""
    source_detail: str = ""
    activity: OutreachActivity | None = None
    check_in_every_days: int | None = None


def target_create(
    *, user: User, data: TargetData, person: Person | None = None, channel: Channel = WEB
) -> OutreachTarget:
    """A person (maybe not yet identified) who came to notice; held by the user's organization."""
    organization = user_organization(user)
    if data.source not in NoticeSource.values:
        raise _fail("source", "把握のきっかけを選んでください")
    if not data.label.strip():
        raise _fail("label", "呼び名を入力してください（例: 本町の一人暮らしの高齢男性）")
    _not_future("noticed_on", data.noticed_on)
    if data.activity is not None:
        if data.activity.municipality_id != organization.municipality_id:
            raise _fail("activity", "活動が見つかりません")
        if data.activity.held_on > data.noticed_on:
            raise _fail("noticed_on", "把握日が活動の実施日より前です")
    if person is not None and not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise _fail("person", "本人の記録が見つかりません")
    target = OutreachTarget(
        organization=organization,
        label=data.label.strip(),
        whereabouts=data.whereabouts.strip(),
        concern=data.concern.strip(),
        noticed_on=data.noticed_on,
        source=data.source,
        source_detail=data.source_detail.strip(),
        activity=data.activity,
        person=person,
        check_in_every_days=data.check_in_every_days,
        next_check_in_on=(
            data.noticed_on + dt.timedelta(days=data.check_in_every_days)
            if data.check_in_every_days
            else None
        ),
        created_by=user,
    )
    target.full_clean()
    with transaction.atomic():
        changed_by(target, user=user, channel=channel)
        target.save()
        _log(user, Action.CREATE, target, target, channel)
    return target


@dataclass(frozen=True)
class ContactData:
    contacted_on: dt.date
    method: str
    outcome: str
    place: str = ""
    companions: str = ""
    note: str = ""


def contact_record(
    *,
    user: User,
    target: OutreachTarget,
    data: ContactData,
    staff: User | None = None,
    channel: Channel = WEB,
) -> ContactAttempt:
    """One contact attempt. A first 会えた/話せた sets the date of first engagement and moves a
    target from 把握/接触 to 関係構築; any attempt moves 把握 to 接触. The next 見守り is counted
    from the attempt."""
    _require_holder(user, target)
    if target.stage == Stage.ENDED:
        raise ValidationError("終了した対象者には記録できません")
    if data.method not in ContactMethod.values:
        raise _fail("method", "方法を選んでください")
    if data.outcome not in ContactOutcome.values:
        raise _fail("outcome", "結果を選んでください")
    _not_future("contacted_on", data.contacted_on)
    if data.contacted_on < target.noticed_on:
        raise _fail(
            "contacted_on",
            f"接触日が把握日（{target.noticed_on:%Y-%m-%d}）より前です",
        )
    staff = staff or user
    if staff.organization_id != target.organization_id:
        raise _fail("staff", "訪問者は担当機関の職員から選んでください")
    contact = ContactAttempt(
        target=target,
        contacted_on=data.contacted_on,
        method=data.method,
        outcome=data.outcome,
        place=data.place.strip(),
        companions=data.companions.strip(),
        note=data.note.strip(),
        staff=staff,
    )
    contact.full_clean()
    with transaction.atomic():
        # unscoped: the holder's own row (checked above), locked against a concurrent contact
        locked = OutreachTarget.dangerously_unscoped.select_for_update().get(pk=target.pk)
        contact.save()
        engaged = data.outcome in ENGAGED_OUTCOMES
        if engaged and (locked.engaged_on is None or data.contacted_on < locked.engaged_on):
            locked.engaged_on = data.contacted_on
        if locked.stage == Stage.NOTICED:
            locked.stage = Stage.BUILDING if engaged else Stage.CONTACTED
        elif locked.stage == Stage.CONTACTED and engaged:
            locked.stage = Stage.BUILDING
        if locked.last_contact_on is None or data.contacted_on >= locked.last_contact_on:
            locked.last_contact_on = data.contacted_on
            if locked.check_in_every_days:
                locked.next_check_in_on = data.contacted_on + dt.timedelta(
                    days=locked.check_in_every_days
                )
        changed_by(locked, user=user, channel=channel)
        locked.save()
        _log(user, Action.CREATE, locked, contact, channel)
    target.refresh_from_db()
    return contact


def target_stage_change(
    *,
    user: User,
    target: OutreachTarget,
    stage: str,
    on: dt.date | None = None,
    reason: str = "",
    channel: Channel = WEB,
) -> OutreachTarget:
    """Move a target to another stage. 支援につながった and beyond need a first engagement;
    終了 needs a reason and a date."""
    _require_holder(user, target)
    if stage not in STAGE_ORDER:
        raise _fail("stage", "段階を選んでください")
    on = on or timezone.localdate()
    if stage in (Stage.CONNECTED, Stage.ONGOING) and target.engaged_on is None:
        raise _fail("stage", "本人と会えた・話せた記録がないため、この段階にはできません")
    target.stage = stage
    if stage == Stage.ENDED:
        if not reason.strip():
            raise _fail("reason", "終了の理由を入力してください")
        if on < target.noticed_on:
            raise _fail("on", "終了日が把握日より前です")
        target.ended_on, target.end_reason = on, reason.strip()
        target.next_check_in_on = None
    else:
        target.ended_on, target.end_reason = None, ""
    target.full_clean()
    with transaction.atomic():
        changed_by(target, user=user, channel=channel)
        target.save()
        _log(user, Action.UPDATE, target, target, channel)
    return target


def target_check_in_schedule(
    *,
    user: User,
    target: OutreachTarget,
    every_days: int | None,
    next_on: dt.date | None = None,
    channel: Channel = WEB,
) -> OutreachTarget:
    """Set the 見守り schedule: every N days from the last contact (or a given date); None
    stops it."""
    _require_holder(user, target)
    if every_days is not None and not 1 <= every_days <= 365:
        raise _fail("every_days", "見守りの間隔は1〜365日で入力してください")
    if target.stage == Stage.ENDED and every_days:
        raise _fail("every_days", "終了した対象者の見守りは設定できません")
    base = target.last_contact_on or target.noticed_on
    if next_on is not None and next_on < base:
        raise _fail("next_on", "次の見守りが最後の接触より前です")
    target.check_in_every_days = every_days
    target.next_check_in_on = (
        None if not every_days else next_on or base + dt.timedelta(days=every_days)
    )
    target.full_clean()
    with transaction.atomic():
        changed_by(target, user=user, channel=channel)
        target.save()
        _log(user, Action.UPDATE, target, target, channel)
    return target


def target_identify(
    *,
    user: User,
    target: OutreachTarget,
    person: Person,
    case: Case | None = None,
    channel: Channel = WEB,
) -> OutreachTarget:
    """Link the target to the person record (now identified) and, optionally, a case the
    organization can see that has the person as a member."""
    _require_holder(user, target)
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise _fail("person", "本人の記録が見つかりません")
    if target.person_id is not None and target.person_id != person.pk:
        raise _fail("person", "この対象者は既に別の本人の記録につながっています")
    if case is not None:
        visible = Case.objects.visible_to(user).filter(
            pk=case.pk, members__person=person, members__removed_at__isnull=True
        )
        if not visible.exists():
            raise _fail("case", "この本人が世帯員になっている事例を選んでください")
    target.person = person
    if case is not None:
        target.case = case
    target.full_clean()
    with transaction.atomic():
        changed_by(target, user=user, channel=channel)
        target.save()
        access_log(
            user=user, action=Action.LINK, obj=target, person=person, via=Via.OWN, channel=channel
        )
    return target


# --- activities -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityData:
    kind: str
    title: str
    held_on: dt.date
    place: str = ""
    asked_count: int | None = None
    answered_count: int | None = None
    resources_found: int | None = None
    people_of_concern: int | None = None
    note: str = ""


def activity_create(*, user: User, data: ActivityData) -> OutreachActivity:
    """A 出張相談会, マッピング調査 or 実情アンケート run by the user's organization."""
    organization = user_organization(user)
    if data.kind not in ActivityKind.values:
        raise _fail("kind", "種別を選んでください")
    if not data.title.strip():
        raise _fail("title", "名称を入力してください")
    if (
        data.asked_count is not None
        and data.answered_count is not None
        and data.answered_count > data.asked_count
    ):
        raise _fail("answered_count", "回答数が依頼した数を超えています")
    activity = OutreachActivity(
        municipality_id=organization.municipality_id,
        organization=organization,
        kind=data.kind,
        title=data.title.strip(),
        held_on=data.held_on,
        place=data.place.strip(),
        asked_count=data.asked_count,
        answered_count=data.answered_count,
        resources_found=data.resources_found,
        people_of_concern=data.people_of_concern,
        note=data.note.strip(),
        created_by=user,
    )
    activity.full_clean()
    activity.save()
    return activity


def session_consultation_add(
    *,
    user: User,
    activity: OutreachActivity,
    person: Person | None,
    data: ConsultationData,
    channel: Channel = WEB,
) -> Consultation:
    """A consultation taken at a 出張相談会: recorded as a consultation of the window that ran it
    (the user's organization), through the consultations' own service."""
    organization = user_organization(user)
    if activity.kind != ActivityKind.SESSION:
        raise ValidationError("相談を記録できるのは出張相談会だけです")
    if activity.organization_id != organization.pk:
        raise ValidationError("この出張相談会は他の機関が実施しました")
    if timezone.localtime(data.received_at).date() != activity.held_on:
        raise _fail("received_at", "受付日が出張相談会の実施日と違います")
    data = replace(data, channel=ConsultationChannel.OUTREACH_SESSION)
    with transaction.atomic():
        consultation = consultation_create(user=user, person=person, data=data, channel=channel)
        SessionConsultation.objects.create(activity=activity, consultation=consultation)
    return consultation
