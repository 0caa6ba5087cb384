"""Writes of meeting records. The secretariat (the organization that convened the meeting)
records everything; each service checks the legal rules of the meeting's kind:

- a statutory confidential body (支援会議 and the like): no consent is asked; an attendee sees
  the record only once its 守秘義務の誓約 is recorded; the people on the agenda are shared with
  the pledged attendees' organizations by grants naming the agenda item, until `share_until`;
- a body that needs consent (重層的支援会議): a case or person goes on the agenda only with a
  consent effective on the meeting date covering every attending organization, and an attendee
  the consent does not cover is refused; approving a plan there confers it;
- a body that discusses no individual (推進会議, 協議体, platforms): topics only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog, Basis
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case, CaseClosure, PlanStatus, ResourceGap, SupportPlan
from tsunagu.cases.services import (
    ClosureData,
    GapData,
    case_close,
    plan_confer,
    resource_gap_record,
)
from tsunagu.consent.models import Consent
from tsunagu.core.history import changed_by, refuse_stale
from tsunagu.meetingrecords.coverage import (
    attendee_organizations,
    consent_gaps,
    consent_on,
    persons_of,
)
from tsunagu.meetingrecords.models import (
    ActionItem,
    AgendaItem,
    AgendaKind,
    ConfidentialityPledge,
    Meeting,
    MeetingAttendee,
    MeetingDecision,
)
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind, MeetingBodyMember
from tsunagu.organizations.models import Organization
from tsunagu.people.access import person_accesses
from tsunagu.people.models import Person

Channel = AccessLog.Channel
WEB = Channel.WEB


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _log(
    user: User, action: AccessLog.Action, obj: object, person: Person | None, channel: Channel
) -> None:
    """A write of the secretariat, on its own record."""
    access_log(
        user=user,
        action=action,
        obj=obj,  # type: ignore[arg-type]
        person=person,
        via=AccessLog.Via.OWN,
        channel=channel,
    )


def _require_secretariat(user: User, meeting: Meeting) -> Organization:
    organization = user_organization(user)
    if meeting.secretariat_id != organization.pk:
        raise ValidationError("会議の記録は事務局の機関だけができます")
    return organization


def _require_held(meeting: Meeting, what: str) -> None:
    if not meeting.held:
        raise ValidationError(
            f"開催日（{meeting.held_on:%Y-%m-%d}）前の会議には{what}を記録できません"
        )


# --- meetings -------------------------------------------------------------------------------


@dataclass
class MeetingData:
    body: MeetingBody
    kind: str
    held_on: dt.date
    starts_at: dt.time | None = None
    place: str = ""
    online: bool = False
    next_meeting_on: dt.date | None = None
    share_until: dt.date | None = None


def convenable_bodies(*, user: User) -> list[MeetingBody]:
    """The active bodies of the user's city its organization may convene: those it is the
    secretariat of, those it is a member of, and those with no secretariat named."""
    organization = user_organization(user)
    member_of = MeetingBodyMember.objects.filter(organization=organization).values(
        "meeting_body_id"
    )
    return list(
        MeetingBody.objects.filter(municipality=organization.municipality, is_active=True)
        .filter(Q(secretariat=organization) | Q(secretariat__isnull=True) | Q(pk__in=member_of))
        .select_related("parent")
        .order_by("sort_order", "code")
    )


def meeting_kinds(body: MeetingBody) -> list[str]:
    """The roles a body may meet in: its kind, and its second role."""
    return [k for k in (body.kind, body.second_kind) if k]


@transaction.atomic
def meeting_create(*, user: User, data: MeetingData, channel: Channel = WEB) -> Meeting:
    """Convene a meeting of a body; the user's organization is its secretariat."""
    organization = user_organization(user)
    errors: dict[str, str] = {}
    body = data.body
    if body.municipality_id != organization.municipality_id:
        errors["body"] = "他の市の会議体です"
    elif not body.is_active:
        errors["body"] = "この会議体は終了しています"
    elif body.pk not in {b.pk for b in convenable_bodies(user=user)}:
        errors["body"] = "この会議体の事務局・構成機関ではありません"
    elif data.kind not in meeting_kinds(body):
        errors["kind"] = "この会議体の種別を選んでください"
    if data.next_meeting_on is not None and data.next_meeting_on <= data.held_on:
        errors["next_meeting_on"] = "次回の開催日は今回の開催日より後にしてください"
    if data.share_until is not None and data.share_until < data.held_on:
        errors["share_until"] = "共有の期限が開催日より前です"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    meeting = Meeting(
        municipality=organization.municipality,
        body=body,
        kind=data.kind,
        held_on=data.held_on,
        starts_at=data.starts_at,
        place=data.place.strip(),
        online=data.online,
        secretariat=organization,
        share_until=data.share_until
        or data.held_on + dt.timedelta(days=settings.SUPPORT_MEETING_GRANT_DAYS),
        next_meeting_on=data.next_meeting_on,
        created_by=user,
    )
    meeting.full_clean()
    meeting.save()
    _log(user, AccessLog.Action.CREATE, meeting, None, channel)
    return meeting


# --- attendees and pledges ------------------------------------------------------------------


def _pledge_covering(
    meeting: Meeting, organization: Organization | None, name: str
) -> ConfidentialityPledge | None:
    """A pledge already signed for this body that covers the meeting date (a yearly pledge)."""
    # unscoped: pledges of the same body, to attach one already signed
    pledges = ConfidentialityPledge.dangerously_unscoped.filter(
        meeting_body=meeting.body, organization=organization, signed_on__lte=meeting.held_on
    )
    if name or organization is None:
        pledges = pledges.filter(signer_name=name)
    return (
        pledges.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=meeting.held_on))
        .order_by("-signed_on", "-pk")
        .first()
    )


@transaction.atomic
def attendee_add(
    *,
    user: User,
    meeting: Meeting,
    organization: Organization | None = None,
    name: str = "",
    affiliation: str = "",
    channel: Channel = WEB,
) -> MeetingAttendee:
    """Invite an organization's staff or a participant outside the system."""
    _require_secretariat(user, meeting)
    name = name.strip()
    affiliation = affiliation.strip()
    if organization is None and not name:
        raise _fail("name", "機関を選ぶか、出席者の氏名を入力してください")
    if organization is not None and organization.municipality_id != meeting.municipality_id:
        raise _fail("organization", "他の市の機関は出席者にできません")
    if organization is None and not affiliation:
        raise _fail(
            "affiliation", "システム外の出席者は所属・肩書（例: 民生委員）を入力してください"
        )
    # unscoped: the secretariat's own meeting
    if MeetingAttendee.dangerously_unscoped.filter(
        meeting=meeting, organization=organization, name=name
    ).exists():
        raise _fail("name", "この出席者は既に登録されています")
    if meeting.requires_consent:
        # unscoped: the secretariat's own agenda
        items = AgendaItem.dangerously_unscoped.filter(
            meeting=meeting, kind__in=[AgendaKind.CASE, AgendaKind.PERSON]
        ).select_related("case", "person")
        persons = [p for i in items for p in persons_of(i.case, i.person)]
        reasons, _ = consent_gaps(persons, [organization], meeting.held_on)
        if reasons:
            raise _fail(
                "organization", "本人同意の範囲外のため出席者にできません: " + "、".join(reasons)
            )
    attendee = MeetingAttendee(
        meeting=meeting,
        organization=organization,
        name=name,
        affiliation=affiliation,
        pledge=_pledge_covering(meeting, organization, name) if meeting.confidential else None,
    )
    attendee.full_clean()
    attendee.save()
    _log(user, AccessLog.Action.CREATE, attendee, None, channel)
    meeting_grants_sync(meeting=meeting, user=user)
    return attendee


@transaction.atomic
def pledge_record(
    *,
    user: User,
    attendee: MeetingAttendee,
    signer_name: str,
    signed_on: dt.date,
    valid_until: dt.date | None = None,
    channel: Channel = WEB,
) -> ConfidentialityPledge:
    """守秘義務の誓約: recorded by the secretariat for one attendee, for the body and a period
    (None: this meeting only, i.e. until its date)."""
    meeting = attendee.meeting
    organization = _require_secretariat(user, meeting)
    errors: dict[str, str] = {}
    if not meeting.confidential:
        errors["signer_name"] = (
            "守秘義務の誓約は法定の守秘義務がある会議体（支援会議など）で記録します"
        )
    if attendee.pledge_id is not None:
        errors["signer_name"] = "この出席者の誓約は既に記録されています"
    if not signer_name.strip():
        errors["signer_name"] = "署名者の氏名を入力してください"
    if signed_on > timezone.localdate():
        errors["signed_on"] = "誓約日に未来の日付は指定できません"
    elif signed_on > meeting.held_on:
        errors["signed_on"] = "誓約は会議の前（開催日まで）に記録してください"
    if valid_until is not None and valid_until < meeting.held_on:
        errors["valid_until"] = "有効期限が会議の開催日より前です"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    pledge = ConfidentialityPledge(
        meeting_body=meeting.body,
        organization=attendee.organization,
        signer_name=signer_name.strip(),
        affiliation=attendee.affiliation,
        signed_on=signed_on,
        valid_until=valid_until or meeting.held_on,
        recorded_by_organization=organization,
        recorded_by=user,
    )
    pledge.full_clean()
    pledge.save()
    attendee.pledge = pledge
    attendee.save(update_fields=["pledge"])
    _log(user, AccessLog.Action.CREATE, pledge, None, channel)
    meeting_grants_sync(meeting=meeting, user=user)
    return pledge


# --- the agenda and the grants it opens ------------------------------------------------------


@transaction.atomic
def agenda_item_add(
    *,
    user: User,
    meeting: Meeting,
    kind: str,
    case: Case | None = None,
    person: Person | None = None,
    topic: str = "",
    channel: Channel = WEB,
) -> AgendaItem:
    """Put a case, a person or a topic on the agenda. The secretariat puts anything it may see;
    an attending organization (with its pledge, for a confidential body) may put a person whose
    record it holds itself, so that a 支援会議 can discuss someone only another agency knows."""
    organization = user_organization(user)
    if meeting.secretariat_id != organization.pk:
        # unscoped: is the user's own organization an attendee (with its pledge)
        attending = MeetingAttendee.dangerously_unscoped.filter(
            meeting=meeting, organization=organization
        )
        if meeting.confidential:
            attending = attending.filter(pledge__isnull=False)
        if not attending.exists():
            raise ValidationError("議題は事務局と出席機関（誓約を記録済み）だけが加えられます")
        if kind != AgendaKind.PERSON or person is None or person.organization_id != organization.pk:
            raise _fail("person", "出席機関が加えられるのは自機関で記録している本人だけです")
    topic = topic.strip()
    consent: Consent | None = None
    if kind not in AgendaKind.values:
        raise _fail("kind", "議題の種類を選んでください")
    if kind == AgendaKind.TOPIC:
        if not topic:
            raise _fail("topic", "議題を入力してください")
        case, person = None, None
    else:
        if not meeting.discusses_individuals:
            raise _fail(
                "kind",
                f"{meeting.body.name}（{meeting.get_kind_display()}）は個人の事例を扱わない会議です。"
                "議題（テーマ）だけを登録できます",
            )
        if kind == AgendaKind.CASE:
            if case is None:
                raise _fail("case", "事例を選んでください")
            if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
                raise _fail("case", "事例が見つかりません")
            person = None
        else:
            if person is None:
                raise _fail("person", "本人を選んでください")
            if person.pk not in person_accesses(user=user, persons=[person]):
                raise _fail("person", "本人の記録が見つかりません")
            case = None
        if meeting.requires_consent:
            reasons, consent = consent_gaps(
                persons_of(case, person),
                [meeting.secretariat, *attendee_organizations(meeting)],
                meeting.held_on,
            )
            if reasons:
                raise _fail(
                    "case" if kind == AgendaKind.CASE else "person",
                    "本人同意がないため重層的支援会議の議題にできません: " + "、".join(reasons),
                )
            if consent is None:
                principal = persons_of(case, person)[:1]
                if principal:
                    consent = consent_on(principal[0], organization, meeting.held_on)
    # unscoped: the secretariat's own agenda
    last = AgendaItem.dangerously_unscoped.filter(meeting=meeting).aggregate(m=Max("position"))
    item = AgendaItem(
        meeting=meeting,
        position=(last["m"] or 0) + 1,
        kind=kind,
        case=case,
        person=person,
        topic=topic,
        consent=consent,
        created_by=user,
    )
    item.full_clean()
    changed_by(item, user=user, channel=channel)
    item.save()
    persons = persons_of(case, person)
    _log(user, AccessLog.Action.CREATE, item, persons[0] if persons else None, channel)
    meeting_grants_sync(meeting=meeting, user=user)
    return item


def meeting_grants_sync(*, meeting: Meeting, user: User) -> int:
    """A confidential meeting shares the people on its agenda with the organizations of its
    pledged attendees (and the secretariat when it does not hold the record): one grant per
    (agenda item, organization, person) not yet open, until `share_until`. Returns how many."""
    if not meeting.confidential:
        return 0
    # unscoped: the secretariat's own meeting
    attendees = MeetingAttendee.dangerously_unscoped.filter(
        meeting=meeting, organization__isnull=False, pledge__isnull=False
    )
    organization_ids = {a.organization_id for a in attendees} | {meeting.secretariat_id}
    # unscoped: as above
    items = list(
        AgendaItem.dangerously_unscoped.filter(
            meeting=meeting, kind__in=[AgendaKind.CASE, AgendaKind.PERSON]
        ).select_related("case", "person__household_membership__household")
    )
    existing = set(
        AccessGrant.objects.filter(meeting_agenda_item__in=items).values_list(
            "meeting_agenda_item_id", "organization_id", "person_id"
        )
    )
    support_meeting = meeting.kind == MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING
    created = 0
    now = timezone.now()
    for item in items:
        for person in persons_of(item.case, item.person):
            for organization_id in organization_ids:
                if organization_id is None or person.organization_id == organization_id:
                    continue
                if (item.pk, organization_id, person.pk) in existing:
                    continue
                AccessGrant.objects.create(
                    person=person,
                    organization_id=organization_id,
                    includes_content=True,
                    includes_contact=True,
                    includes_address=not person.address_protection_applies,
                    basis=Basis.SUPPORT_MEETING if support_meeting else Basis.STATUTE,
                    statute="" if support_meeting else meeting.legal_basis,
                    meeting_body=meeting.body,
                    meeting_agenda_item=item,
                    valid_from=now,
                    valid_until=meeting.share_until,
                    created_by=user,
                )
                created += 1
    return created


# --- minutes, decisions, actions -------------------------------------------------------------


@transaction.atomic
def minutes_record(
    *,
    user: User,
    item: AgendaItem,
    minutes: str,
    channel: Channel = WEB,
    expected_version: int | None = None,
) -> AgendaItem:
    """議事録 of one agenda item (replaces the earlier text, kept in the change history; the
    meeting must have happened). With `expected_version` (the version the form was made from),
    a save over someone else's newer minutes is refused, naming who changed them."""
    _require_secretariat(user, item.meeting)
    _require_held(item.meeting, "議事録")
    if not minutes.strip():
        raise _fail("minutes", "議事録を入力してください")
    if expected_version is not None:
        refuse_stale(item, expected_version)
    item.minutes = minutes.strip()
    item.minutes_at = timezone.now()
    item.version += 1
    changed_by(item, user=user, channel=channel)
    item.save(update_fields=["minutes", "minutes_at", "version"])
    persons = persons_of(item.case, item.person)
    _log(user, AccessLog.Action.UPDATE, item, persons[0] if persons else None, channel)
    return item


@transaction.atomic
def decision_add(
    *,
    user: User,
    meeting: Meeting,
    text: str,
    item: AgendaItem | None = None,
    channel: Channel = WEB,
) -> MeetingDecision:
    _require_secretariat(user, meeting)
    _require_held(meeting, "決定事項")
    if not text.strip():
        raise _fail("text", "決定事項を入力してください")
    if item is not None and item.meeting_id != meeting.pk:
        raise _fail("item", "この会議の議題ではありません")
    decision = MeetingDecision.objects.create(
        meeting=meeting, agenda_item=item, text=text.strip(), decided_by=user
    )
    _log(user, AccessLog.Action.CREATE, decision, None, channel)
    return decision


@transaction.atomic
def action_item_add(
    *,
    user: User,
    meeting: Meeting,
    organization: Organization,
    description: str,
    due_on: dt.date,
    item: AgendaItem | None = None,
    channel: Channel = WEB,
) -> ActionItem:
    """An action an attending organization (or the secretariat) takes on, with its due date."""
    _require_secretariat(user, meeting)
    _require_held(meeting, "宿題")
    errors: dict[str, str] = {}
    if not description.strip():
        errors["description"] = "内容を入力してください"
    if due_on < meeting.held_on:
        errors["due_on"] = "期限が会議の開催日より前です"
    attending = {o.pk for o in attendee_organizations(meeting) if o is not None}
    if organization.pk not in attending | {meeting.secretariat_id}:
        errors["organization"] = "担当機関は出席した機関から選んでください"
    elif meeting.confidential and organization.pk not in pledged_organizations(meeting) | {
        meeting.secretariat_id
    }:
        # it would not see the meeting its action comes from
        errors["organization"] = "守秘義務の誓約を記録していない機関には宿題を割り当てられません"
    if item is not None and item.meeting_id != meeting.pk:
        errors["item"] = "この会議の議題ではありません"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    action = ActionItem.objects.create(
        meeting=meeting,
        agenda_item=item,
        organization=organization,
        description=description.strip(),
        due_on=due_on,
        created_by=user,
    )
    _log(user, AccessLog.Action.CREATE, action, None, channel)
    return action


@transaction.atomic
def meeting_plan_approve(
    *, user: User, item: AgendaItem, plan: SupportPlan, channel: Channel = WEB
) -> MeetingDecision:
    """A 重層的支援会議 approves a case's draft plan: the plan becomes 重層的支援会議で協議済 on the
    meeting date, the case timeline records the meeting, and the decision names the plan."""
    meeting = item.meeting
    _require_secretariat(user, meeting)
    if not meeting.requires_consent:
        raise ValidationError("支援プランは重層的支援会議（本人同意のある会議）で協議します")
    _require_held(meeting, "プランの承認")
    if item.kind != AgendaKind.CASE or item.case_id != plan.case_id:
        raise _fail("plan", "この議題の事例の支援プランではありません")
    if plan.status != PlanStatus.DRAFT:
        raise _fail("plan", "下書きのプランだけを承認できます")
    plan_confer(
        user=user,
        plan=plan,
        conferred_on=meeting.held_on,
        channel=channel,
        meeting=f"{meeting.body.name}（{meeting.held_on:%Y-%m-%d}）",
    )
    decision = MeetingDecision.objects.create(
        meeting=meeting,
        agenda_item=item,
        text=f"支援プラン（{plan.get_kind_display()}）第{plan.version}版を承認",
        plan=plan,
        decided_by=user,
    )
    persons = persons_of(item.case, None)
    _log(user, AccessLog.Action.CREATE, decision, persons[0] if persons else None, channel)
    return decision


def pledged_organizations(meeting: Meeting) -> set[int]:
    """The organizations whose attendee's pledge is recorded for this meeting."""
    # unscoped: the ids of the meeting's own attendees
    return set(
        MeetingAttendee.dangerously_unscoped.filter(
            meeting=meeting, organization__isnull=False, pledge__isnull=False
        ).values_list("organization_id", flat=True)
    )


@transaction.atomic
def action_item_done(
    *, user: User, action: ActionItem, done_on: dt.date, channel: Channel = WEB
) -> ActionItem:
    """The organization an action was assigned to (or the secretariat) marks it done."""
    organization = user_organization(user)
    meeting = action.meeting
    if organization.pk not in (action.organization_id, meeting.secretariat_id):
        raise ValidationError("完了を記録できるのは担当機関と事務局だけです")
    # the assigned organization must still see the meeting (a confidential one: pledged)
    if not Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists():
        raise ValidationError("この会議の宿題は見つかりません")
    if action.done_on is not None:
        raise _fail("done_on", f"この宿題は既に完了しています（{action.done_on:%Y-%m-%d}）")
    if done_on > timezone.localdate():
        raise _fail("done_on", "完了日に未来の日付は指定できません")
    if done_on < meeting.held_on:
        raise _fail("done_on", "完了日が会議の開催日より前です")
    action.done_on = done_on
    action.done_by = user
    action.full_clean()
    action.save(update_fields=["done_on", "done_by"])
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=action,
        person=None,
        via=AccessLog.Via.OWN if organization.pk == meeting.secretariat_id else AccessLog.Via.ROLE,
        channel=channel,
    )
    return action


# --- to the register: resource gaps and closure evaluations found at a meeting ---------------


def _agenda_cases(meeting: Meeting, items: list[AgendaItem]) -> list[Case]:
    cases: list[Case] = []
    for item in items:
        if item.meeting_id != meeting.pk:
            raise _fail("items", "この会議の議題ではありません")
        if item.kind != AgendaKind.CASE or item.case is None:
            raise _fail("items", "社会資源の不足に結び付けられるのは事例の議題だけです")
        cases.append(item.case)
    return cases


@transaction.atomic
def meeting_gap_record(
    *,
    user: User,
    meeting: Meeting,
    gap: GapData,
    items: list[AgendaItem] | None = None,
    channel: Channel = WEB,
) -> MeetingDecision:
    """A decision of the meeting: a missing social resource (社会資源の不足) goes to the city's
    register (`cases.services.resource_gap_record`), behind the cases of the agenda `items`
    (none: found on a topic); the decision names the register's entry."""
    _require_secretariat(user, meeting)
    _require_held(meeting, "社会資源の不足")
    items = items or []
    cases = _agenda_cases(meeting, items)
    entry: ResourceGap = resource_gap_record(
        user=user, data=gap, cases=cases, found_on=meeting.held_on, channel=channel
    )
    area = f"・{entry.area.name}" if entry.area is not None else ""
    decision = MeetingDecision(
        meeting=meeting,
        agenda_item=items[0] if len(items) == 1 else None,
        text=f"社会資源の不足を登録簿へ（{entry.get_field_display()}{area}）: {entry.description}",
        resource_gap=entry,
        decided_by=user,
    )
    decision.full_clean()
    decision.save()
    persons = persons_of(cases[0], None) if cases else []
    _log(user, AccessLog.Action.CREATE, decision, persons[0] if persons else None, channel)
    return decision


@transaction.atomic
def meeting_closure_record(
    *, user: User, item: AgendaItem, data: ClosureData, channel: Channel = WEB
) -> MeetingDecision:
    """A 重層的支援会議 evaluates a case on its agenda at closure (評価シート, `cases.services.
    case_close`, dated the meeting day; its missing resources go to the register); the decision
    names the evaluation and the case timeline names the meeting."""
    meeting = item.meeting
    _require_secretariat(user, meeting)
    if not meeting.requires_consent:
        raise ValidationError("終結の評価は重層的支援会議（本人同意のある会議）で協議します")
    _require_held(meeting, "終結の評価")
    if item.kind != AgendaKind.CASE or item.case is None:
        raise _fail("item", "終結の評価は事例の議題で記録します")
    data.closed_on = meeting.held_on
    closure: CaseClosure = case_close(
        user=user,
        case=item.case,
        data=data,
        channel=channel,
        meeting=f"{meeting.body.name}（{meeting.held_on:%Y-%m-%d}）",
    )
    decision = MeetingDecision(
        meeting=meeting,
        agenda_item=item,
        text=f"終結の評価: 目標{closure.get_goals_met_display()}、"
        f"{item.case.get_status_display()}へ",
        closure=closure,
        decided_by=user,
    )
    decision.full_clean()
    decision.save()
    persons = persons_of(item.case, None)
    _log(user, AccessLog.Action.CREATE, decision, persons[0] if persons else None, channel)
    return decision
