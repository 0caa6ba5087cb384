"""Writes of 多機関協働: case requests, cases, household members, the team and its grants, the
timeline, assessments, support plans, monitoring and the closure evaluation.

Sharing follows the one rule: a team organization sees a member's person record only under a
case-team `AccessGrant`, created while a live 本人同意 of that member covers the organization,
ended when the organization leaves the team (withdrawing the consent ends it too, in
`consent_withdraw`). Every change writes an append-only `CaseEvent` (支援経過記録).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog, Basis
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log, grants_end
from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    ActionResult,
    Assessment,
    Case,
    CaseClosure,
    CaseEvent,
    CaseMember,
    CaseOrigin,
    CaseRequest,
    CaseStatus,
    CaseSubject,
    CaseTeamMember,
    GoalsMet,
    Monitoring,
    MonitoringResult,
    PlanAction,
    PlanKind,
    PlanStatus,
    ResourceGap,
    ResourceGapCase,
    SupportPlan,
    TeamRole,
    Urgency,
)
from tsunagu.cases.sheets import (
    ASSESSMENT_ITEMS,
    PLAN_REFERRAL_CHECK_CODES,
    assessment_answers_clean,
)
from tsunagu.cityplan.models import Program, ProgramOrganization
from tsunagu.consent.models import Consent
from tsunagu.consultations.models import Channel as ConsultationChannel
from tsunagu.consultations.models import Consultation, Requester, Response, Topic
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.core.history import StaleEdit, changed_by, refuse_stale, stale_message
from tsunagu.organizations.models import Area, Municipality, Organization, SupportField
from tsunagu.people.access import person_accesses
from tsunagu.people.models import HouseholdMember, Person, Relationship
from tsunagu.referrals.models import Referral
from tsunagu.referrals.services import (
    ReferralData,
    referral_accept,
    referral_create,
    referral_decline,
)

Channel = AccessLog.Channel
WEB = Channel.WEB

COORDINATION_CLAUSE = "5"  # 第5号 多機関協働事業

# the way a case moves on; 終結 and つながり続ける支援 are reached by `case_close`
TRANSITIONS: dict[str, set[str]] = {
    CaseStatus.RECEIVED: {CaseStatus.ASSESSMENT},
    CaseStatus.ASSESSMENT: {CaseStatus.PLANNING},
    CaseStatus.PLANNING: {CaseStatus.SUPPORTING, CaseStatus.ASSESSMENT},
    CaseStatus.SUPPORTING: {CaseStatus.MONITORING, CaseStatus.PLANNING},
    CaseStatus.MONITORING: {CaseStatus.SUPPORTING, CaseStatus.PLANNING},
    CaseStatus.ONGOING_CONNECTION: {CaseStatus.ASSESSMENT, CaseStatus.SUPPORTING},
    CaseStatus.CLOSED: set(),
}


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def coordinating_organizations(*, municipality: Municipality) -> QuerySet[Organization]:
    """The organizations carrying 多機関協働事業 (第5号) in the city's plan, and the
    department(s) in charge of it (where the city runs it itself, 直営)."""
    carriers = ProgramOrganization.objects.filter(
        program__municipality=municipality, program__clause=COORDINATION_CLAUSE
    ).values("organization_id")
    in_charge = Program.departments.through.objects.filter(
        program__municipality=municipality, program__clause=COORDINATION_CLAUSE
    ).values("organization_id")
    return Organization.objects.filter(
        Q(pk__in=carriers) | Q(pk__in=in_charge), municipality=municipality, is_active=True
    ).order_by("name")


def _principal(case: Case) -> Person | None:
    # unscoped: the person a case's log rows are about, for a case the caller already holds
    member = (
        CaseMember.dangerously_unscoped.filter(case=case, removed_at__isnull=True)
        .select_related("person")
        .order_by("-is_principal", "pk")
        .first()
    )
    return member.person if member is not None else None


def _log(user: User, action: AccessLog.Action, obj: object, case: Case, channel: Channel) -> None:
    """A write on a case, logged under the person it is first about (own: the case is the
    coordinating organization's record; team members write on their team basis)."""
    organization = user_organization(user)
    via = AccessLog.Via.OWN if case.organization_id == organization.pk else AccessLog.Via.ROLE
    access_log(
        user=user,
        action=action,
        obj=obj,  # type: ignore[arg-type]
        person=_principal(case),
        via=via,
        channel=channel,
    )


def _event(
    case: Case,
    *,
    user: User,
    kind: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        summary=summary,
        occurred_at=occurred_at or timezone.now(),
        organization=user_organization(user),
        by=user,
    )


def _written(
    case: Case,
    obj: object,
    *,
    user: User,
    action: AccessLog.Action,
    kind: str,
    summary: str,
    advance: tuple[Collection[str], str],
    channel: Channel,
) -> None:
    """What every write of a case document does after saving it: the timeline entry, the case's
    status moved on to `advance[1]` while it is still one of `advance[0]`, and the access log."""
    _event(case, user=user, kind=kind, summary=summary)
    if case.status in advance[0]:
        case.status = advance[1]
        changed_by(case, user=user, channel=channel)
        case.save(update_fields=["status", "updated_at"])
    _log(user, action, obj, case, channel)


def _require_coordinator(user: User, case: Case) -> Organization:
    organization = user_organization(user)
    if case.organization_id != organization.pk:
        raise ValidationError("この操作は事例を担当する機関（多機関協働）だけができます")
    if case.status == CaseStatus.CLOSED:
        raise ValidationError("終結した事例は変更できません")
    return organization


def _require_team(user: User, case: Case) -> Organization:
    """The user's organization coordinates the case or is on its team now."""
    organization = user_organization(user)
    if case.organization_id == organization.pk:
        return organization
    # unscoped: is the user's own organization on this team (a yes/no about itself)
    if not CaseTeamMember.dangerously_unscoped.filter(
        case=case, organization=organization, left_on__isnull=True
    ).exists():
        raise ValidationError("支援チームの機関だけが記録できます")
    return organization


def _issues_clean(issues: list[str]) -> list[str]:
    unknown = [i for i in issues if i not in Topic.values]
    if unknown:
        raise _fail("issues", f"課題の種類にないもの（{'、'.join(unknown)}）があります")
    return [t for t in Topic.values if t in issues]


# --- case requests (a consultation marked 「多機関協働へ」) ------------------------------------


@dataclass
class CaseRequestData:
    coordinating_organization: Organization
    note: str
    basis: str
    consent: Consent | None = None
    meeting_body: object | None = None
    statute: str = ""


@transaction.atomic
def case_request_create(
    *, user: User, consultation: Consultation, data: CaseRequestData, channel: Channel = WEB
) -> CaseRequest:
    """Send a consultation marked 「多機関協働へ」 to the coordinating organization's inbox, as a
    つなぎ with its recorded basis."""
    sender = user_organization(user)
    if consultation.response != Response.MULTI_AGENCY:
        raise _fail("consultation", "対応が「多機関協働へ」の相談だけを依頼できます")
    coordinators = coordinating_organizations(municipality=sender.municipality)
    if not coordinators.filter(pk=data.coordinating_organization.pk).exists():
        raise _fail(
            "coordinating_organization",
            "依頼先は実施計画で多機関協働事業を担う機関から選んでください",
        )
    # unscoped: one live request per consultation (a second one would open two cases)
    if CaseRequest.dangerously_unscoped.filter(
        referral__consultation=consultation, status=CaseRequest.Status.REQUESTED
    ).exists():
        raise _fail("consultation", "この相談は既に多機関協働を依頼しています")
    if not data.note.strip():
        raise _fail("note", "依頼の内容（複合的な課題の様子）を入力してください")
    referral = referral_create(
        user=user,
        consultation=consultation,
        data=ReferralData(
            to_organization=data.coordinating_organization,
            reason=f"【多機関協働の依頼】{data.note.strip()}",
            basis=data.basis,
            consent=data.consent,
            meeting_body=data.meeting_body,  # type: ignore[arg-type]
            statute=data.statute,
            share_content=True,
            share_contact=True,
        ),
        channel=channel,
    )
    request = CaseRequest(referral=referral, note=data.note.strip())
    request.full_clean()
    request.save()
    return request


FORWARDABLE_REFERRAL = (Referral.Status.REQUESTED, Referral.Status.ACCEPTED)


@transaction.atomic
def case_request_from_referral(
    *, user: User, referral: Referral, data: CaseRequestData, channel: Channel = WEB
) -> CaseRequest:
    """A window that received a つなぎ and does not coordinate sends it on to 多機関協働 in one
    step: the referral is accepted, the window's own consultation (対応「多機関協働へ」) is
    recorded from it, and the case request is sent from that consultation with the window's
    own basis. Nothing is written unless all of it succeeds."""
    receiver = user_organization(user)
    # unscoped: the row is locked so that two submissions of the same form wait for each other
    locked = Referral.dangerously_unscoped.select_for_update().get(pk=referral.pk)
    if locked.to_organization_id != receiver.pk:
        raise _fail("referral", "自機関が受けたつなぎだけを多機関協働へ依頼できます")
    if locked.person is None:
        raise _fail(
            "referral",
            "本人が特定されていないつなぎは、相談を記録して本人を特定してから依頼してください",
        )
    # unscoped: one live request per received referral (a second one would open two cases)
    if CaseRequest.dangerously_unscoped.filter(
        source_referral=locked, status=CaseRequest.Status.REQUESTED
    ).exists():
        raise _fail("referral", "このつなぎは既に多機関協働を依頼しています")
    if locked.status not in FORWARDABLE_REFERRAL:
        raise _fail(
            "referral",
            f"つなぎが「{locked.get_status_display()}」のため多機関協働へ依頼できません",
        )
    if not data.note.strip():
        raise _fail("note", "依頼の内容（複合的な課題の様子）を入力してください")
    if locked.status == Referral.Status.REQUESTED:
        locked = referral_accept(user=user, referral=locked, channel=channel)
    main_topic, topics = Topic.OTHER.value, [Topic.OTHER.value]
    if locked.share_content:  # what the sender shared with the window, nothing more
        source = locked.consultation
        main_topic = source.main_topic
        topics = [t.topic for t in source.topics.all()] or [main_topic]
    consultation = consultation_create(
        user=user,
        person=locked.person,
        data=ConsultationData(
            received_at=timezone.now(),
            channel=ConsultationChannel.OTHER,
            requester=Requester.AGENCY,
            requester_detail=locked.from_organization.name[:100],
            main_topic=main_topic,
            topics=topics,
            content=(
                f"{locked.from_organization.name}からのつなぎ（#{locked.pk}）を受け、"
                f"多機関協働へ依頼。{data.note.strip()}"
            ),
            response=Response.MULTI_AGENCY,
        ),
        channel=channel,
    )
    request = case_request_create(user=user, consultation=consultation, data=data, channel=channel)
    request.source_referral = locked
    request.save(update_fields=["source_referral"])
    return request


@dataclass
class CaseData:
    title: str
    subject: str = CaseSubject.HOUSEHOLD
    origin: str = CaseOrigin.OTHER
    issues: list[str] = field(default_factory=list)
    opened_on: dt.date | None = None
    lead_coordinator: User | None = None


def _case_new(
    *,
    user: User,
    data: CaseData,
    consultation: Consultation | None,
    principal: Person | None,
    channel: Channel,
    referral: Referral | None = None,
) -> Case:
    organization = user_organization(user)
    if not coordinating_organizations(municipality=organization.municipality).filter(
        pk=organization.pk
    ):
        raise ValidationError("事例を開始できるのは多機関協働事業を担う機関だけです")
    if not data.title.strip():
        raise _fail("title", "事例の呼び名を入力してください（例: 山田さん世帯）")
    lead = data.lead_coordinator or user
    if lead.organization_id != organization.pk:
        raise _fail("lead_coordinator", "主担当は自機関の職員から選んでください")
    opened_on = data.opened_on or timezone.localdate()
    if opened_on > timezone.localdate():
        raise _fail("opened_on", "受付日に未来の日付は指定できません")
    case = Case(
        organization=organization,
        title=data.title.strip(),
        subject=data.subject,
        origin=data.origin,
        origin_consultation=consultation,
        origin_referral=referral,
        lead_coordinator=lead,
        issues=_issues_clean(data.issues),
        opened_on=opened_on,
        last_contact_on=opened_on,
        created_by=user,
    )
    case.full_clean()
    changed_by(case, user=user, channel=channel)
    case.save()
    CaseTeamMember.objects.create(
        case=case,
        organization=organization,
        staff=lead,
        role=TeamRole.COORDINATOR,
        joined_on=opened_on,
        added_by=user,
    )
    _event(case, user=user, kind=CaseEvent.Kind.DECISION, summary="多機関協働の事例として受付")
    if principal is not None:
        CaseMember.objects.create(
            case=case,
            person=principal,
            relationship=(
                principal.household_membership.relationship
                if hasattr(principal, "household_membership")
                else Relationship.HEAD
            ),
            is_principal=True,
            added_by=user,
        )
    _grants_sync(case, user=user)
    _log(user, AccessLog.Action.CREATE, case, case, channel)
    return case


@transaction.atomic
def case_request_accept(
    *, user: User, request: CaseRequest, data: CaseData, channel: Channel = WEB
) -> Case:
    """The coordinating organization accepts the request: the referral is accepted and the case
    opens with the consultation's person as its first member."""
    referral = request.referral
    if referral.to_organization_id != user_organization(user).pk:
        raise ValidationError("依頼先の機関だけが受理できます")
    if request.status != CaseRequest.Status.REQUESTED:
        raise ValidationError("この依頼には既に回答しています")
    if referral.status == Referral.Status.REQUESTED:
        referral_accept(user=user, referral=referral, channel=channel)
    elif referral.status != Referral.Status.ACCEPTED:
        raise ValidationError(f"つなぎが「{referral.get_status_display()}」のため受理できません")
    data.origin = CaseOrigin.CONSULTATION
    case = _case_new(
        user=user,
        data=data,
        consultation=referral.consultation,
        principal=referral.person,
        channel=channel,
    )
    request.status = CaseRequest.Status.ACCEPTED
    request.case = case
    request.answered_at = timezone.now()
    request.answered_by = user
    request.save(update_fields=["status", "case", "answered_at", "answered_by"])
    return case


@transaction.atomic
def case_request_decline(
    *, user: User, request: CaseRequest, answer: str, channel: Channel = WEB
) -> CaseRequest:
    """Answer without opening a case (e.g. a single agency can handle it): the answer goes back
    to the window, and the share the request opened ends."""
    referral = request.referral
    if referral.to_organization_id != user_organization(user).pk:
        raise ValidationError("依頼先の機関だけが回答できます")
    if request.status != CaseRequest.Status.REQUESTED:
        raise ValidationError("この依頼には既に回答しています")
    if not answer.strip():
        raise _fail("answer", "回答（事例にしない理由と今後の対応）を入力してください")
    if referral.status == Referral.Status.REQUESTED:
        referral_decline(user=user, referral=referral, reason=answer, channel=channel)
    request.status = CaseRequest.Status.DECLINED
    request.answer = answer.strip()
    request.answered_at = timezone.now()
    request.answered_by = user
    request.save(update_fields=["status", "answer", "answered_at", "answered_by"])
    return request


@transaction.atomic
def case_create(
    *,
    user: User,
    data: CaseData,
    principal: Person | None = None,
    channel: Channel = WEB,
) -> Case:
    """Open a case that did not come as a request (outreach, 支援会議, other)."""
    if data.origin == CaseOrigin.CONSULTATION:
        raise _fail("origin", "相談からの事例は依頼を受理して開始してください")
    if data.origin not in CaseOrigin.values:
        raise _fail("origin", "きっかけを選んでください")
    if principal is not None and not person_accesses(user=user, persons=[principal]):
        raise _fail("person", "本人が見つかりません")
    return _case_new(user=user, data=data, consultation=None, principal=principal, channel=channel)


@transaction.atomic
def case_from_referral(
    *, user: User, referral: Referral, data: CaseData, channel: Channel = WEB
) -> Case:
    """From a つなぎ in the coordinating organization's inbox, open the case directly: the
    referral is accepted, its person is the first member, and the members of their household
    whose records the organization may see come along."""
    if referral.to_organization_id != user_organization(user).pk:
        raise ValidationError("つなぎ先の機関だけが事例を開始できます")
    if referral.person is None:
        raise ValidationError("本人が特定されていないつなぎからは事例を開始できません")
    # unscoped: whether this referral is a case request, or opened a case already (yes/no)
    if CaseRequest.dangerously_unscoped.filter(referral=referral).exists():
        raise ValidationError("多機関協働の依頼は、依頼の画面から受理してください")
    if Case.dangerously_unscoped.filter(origin_referral=referral).exists():  # unscoped: as above
        raise ValidationError("このつなぎからは既に事例を開始しています")
    if referral.status == Referral.Status.REQUESTED:
        referral_accept(user=user, referral=referral, channel=channel)
    elif referral.status != Referral.Status.ACCEPTED:
        raise ValidationError(
            f"つなぎが「{referral.get_status_display()}」のため事例を開始できません"
        )
    data.origin = CaseOrigin.REFERRAL
    principal = referral.person
    case = _case_new(
        user=user,
        data=data,
        consultation=None,
        principal=principal,
        channel=channel,
        referral=referral,
    )
    _event(
        case,
        user=user,
        kind=CaseEvent.Kind.DECISION,
        summary=f"{referral.from_organization.name}からのつなぎ（#{referral.pk}）から開始",
    )
    for person, relationship in _household_seen(user, principal):
        CaseMember.objects.create(
            case=case, person=person, relationship=relationship, added_by=user
        )
        _event(
            case,
            user=user,
            kind=CaseEvent.Kind.CHANGE,
            summary=(
                f"世帯員を追加（{Relationship(relationship).label}・"
                f"{person.organization.name}の記録、つなぎの本人の世帯から）"
            ),
        )
    _grants_sync(case, user=user)
    return case


def _household_seen(user: User, person: Person) -> list[tuple[Person, str]]:
    """The other members of the person's household whose records the user may see."""
    # unscoped: the household's other members, of whom only those the user may see are kept
    membership = HouseholdMember.dangerously_unscoped.filter(person=person).first()
    if membership is None:
        return []
    others = list(
        HouseholdMember.dangerously_unscoped.filter(  # unscoped: as above
            household_id=membership.household_id
        )
        .exclude(person=person)
        .select_related("person__organization")
    )
    seen = person_accesses(user=user, persons=[m.person for m in others])
    return [(m.person, m.relationship) for m in others if m.person.pk in seen]


@transaction.atomic
def case_update(
    *,
    user: User,
    case: Case,
    title: str,
    issues: list[str],
    lead_coordinator: User,
    channel: Channel = WEB,
    expected_version: int | None = None,
) -> Case:
    """Change the case's name, issues and lead. With `expected_version` (the version the form
    or API client read), a save over someone else's newer save is refused, naming what they
    changed."""
    organization = _require_coordinator(user, case)
    if expected_version is not None:
        refuse_stale(case, expected_version)
    if lead_coordinator.organization_id != organization.pk:
        raise _fail("lead_coordinator", "主担当は自機関の職員から選んでください")
    if not title.strip():
        raise _fail("title", "事例の呼び名を入力してください")
    case.title = title.strip()
    case.issues = _issues_clean(issues)
    case.lead_coordinator = lead_coordinator
    case.version += 1
    case.full_clean()
    changed_by(case, user=user, channel=channel)
    case.save()
    _event(case, user=user, kind=CaseEvent.Kind.CHANGE, summary="事例の情報を変更")
    _log(user, AccessLog.Action.UPDATE, case, case, channel)
    return case


@transaction.atomic
def case_status_change(
    *, user: User, case: Case, status: str, note: str = "", channel: Channel = WEB
) -> Case:
    _require_coordinator(user, case)
    if status not in TRANSITIONS.get(case.status, set()):
        target = CaseStatus(status).label if status in CaseStatus.values else status
        raise _fail(
            "status",
            f"「{case.get_status_display()}」から「{target}」には進められません"
            + ("（終結は評価シートから）" if status in ("closed", "ongoing_connection") else ""),
        )
    previous = case.get_status_display()
    case.status = status
    changed_by(case, user=user, channel=channel)
    case.save(update_fields=["status", "updated_at"])
    summary = f"状態: {previous} → {case.get_status_display()}"
    _event(case, user=user, kind=CaseEvent.Kind.CHANGE, summary=f"{summary}\n{note}".strip())
    _log(user, AccessLog.Action.UPDATE, case, case, channel)
    return case


# --- members and team, and the grants between them ------------------------------------------


def _consent_covering(person: Person, organization: Organization, on: dt.date) -> Consent | None:
    """The newest live consent of this person record that covers `organization` on `on`."""
    # unscoped: the basis of a share is decided from the person's consents, whoever holds them
    return (
        Consent.dangerously_unscoped.filter(
            person=person,
            withdrawn_at__isnull=True,
            valid_from__lte=on,
            scope_organizations=organization,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-valid_from", "-pk")
        .first()
    )


def _grants_sync(case: Case, *, user: User) -> int:
    """Open a case-team grant for every (team member, household member of another
    organization) pair a live consent covers and no live grant serves yet. Returns how many."""
    today = timezone.localdate()
    # unscoped: the case's own members and team, for the coordinating organization's service
    members = list(
        CaseMember.dangerously_unscoped.filter(case=case, removed_at__isnull=True).select_related(
            "person__household_membership__household"
        )
    )
    # unscoped: as above
    team = list(CaseTeamMember.dangerously_unscoped.filter(case=case, left_on__isnull=True))
    live = set(
        AccessGrant.objects.filter(
            case_team_member__in=team, ended_at__isnull=True, consent__withdrawn_at__isnull=True
        ).values_list("case_team_member_id", "person_id")
    )
    created = 0
    for t in team:
        for m in members:
            if m.person.organization_id == t.organization_id or (t.pk, m.person_id) in live:
                continue
            consent = _consent_covering(m.person, t.organization, today)
            if consent is None:
                continue
            AccessGrant.objects.create(
                person=m.person,
                organization=t.organization,
                includes_content=False,
                includes_contact=True,
                includes_address=not m.person.address_protection_applies,
                basis=Basis.CONSENT,
                consent=consent,
                case_team_member=t,
                valid_from=timezone.now(),
                valid_until=consent.valid_until,
                created_by=user,
            )
            created += 1
    return created


@transaction.atomic
def case_member_add(
    *,
    user: User,
    case: Case,
    person: Person,
    relationship: str,
    is_principal: bool = False,
    channel: Channel = WEB,
) -> CaseMember:
    """Add a household member: a person record the user's organization may see (its own, or
    one shared with it). The team organizations its consent covers start to see it."""
    organization = _require_team(user, case)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError("終結した事例は変更できません")
    if person.organization.municipality_id != organization.municipality_id or not (
        person_accesses(user=user, persons=[person])
    ):
        raise _fail("person", "本人が見つかりません")
    if relationship not in Relationship.values:
        raise _fail("relationship", "続柄を選んでください")
    # unscoped: is this record already on the case (a yes/no for the form's message)
    if CaseMember.dangerously_unscoped.filter(
        case=case, person=person, removed_at__isnull=True
    ).exists():
        raise _fail("person", "この本人は既に世帯員として登録されています")
    member = CaseMember.objects.create(
        case=case,
        person=person,
        relationship=relationship,
        is_principal=is_principal,
        added_by=user,
    )
    _event(
        case,
        user=user,
        kind=CaseEvent.Kind.CHANGE,
        summary=f"世帯員を追加（{member.get_relationship_display()}・{person.organization.name}の記録）",
    )
    _grants_sync(case, user=user)
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=member,
        person=person,
        via=AccessLog.Via.OWN if person.organization_id == organization.pk else AccessLog.Via.GRANT,
        channel=channel,
    )
    return member


@transaction.atomic
def case_member_remove(*, user: User, member: CaseMember, channel: Channel = WEB) -> CaseMember:
    case = member.case
    _require_coordinator(user, case)
    if member.removed_at is not None:
        raise ValidationError("既に外されています")
    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    grants_end(
        grants=AccessGrant.objects.filter(case_team_member__case=case, person=member.person),
        reason="事例の世帯員から外れた",
    )
    _event(case, user=user, kind=CaseEvent.Kind.CHANGE, summary="世帯員を外した")
    _log(user, AccessLog.Action.UPDATE, member, case, channel)
    return member


@transaction.atomic
def case_team_join(
    *,
    user: User,
    case: Case,
    organization: Organization,
    role: str,
    staff: User | None = None,
    role_note: str = "",
    joined_on: dt.date | None = None,
    channel: Channel = WEB,
) -> CaseTeamMember:
    """An organization (and a named staff member) joins the team. It needs a basis: a member's
    record it holds, or a member's live consent that covers it."""
    coordinating = _require_coordinator(user, case)
    joined_on = joined_on or timezone.localdate()
    if organization.municipality_id != coordinating.municipality_id or not organization.is_active:
        raise _fail("organization", "機関が見つかりません")
    if role not in TeamRole.values:
        raise _fail("role", "役割を選んでください")
    if staff is not None and staff.organization_id != organization.pk:
        raise _fail("staff", "担当者はその機関の職員から選んでください")
    if joined_on < case.opened_on:
        raise _fail("joined_on", "参加日が事例の受付日より前です")
    if joined_on > timezone.localdate():
        raise _fail("joined_on", "参加日に未来の日付は指定できません")
    # unscoped: the case's own members, for its coordinating organization
    members = list(
        CaseMember.dangerously_unscoped.filter(case=case, removed_at__isnull=True).select_related(
            "person"
        )
    )
    if organization.pk != case.organization_id and not any(
        m.person.organization_id == organization.pk
        or _consent_covering(m.person, organization, timezone.localdate()) is not None
        for m in members
    ):
        raise _fail(
            "organization",
            f"{organization.name}と共有できる根拠がありません"
            "（世帯員の本人同意の提供先にこの機関が含まれていません）",
        )
    # unscoped: the same organization (and staff) on the team already
    if CaseTeamMember.dangerously_unscoped.filter(
        case=case, organization=organization, staff=staff, left_on__isnull=True
    ).exists():
        raise _fail("organization", "既に支援チームに参加しています")
    member = CaseTeamMember(
        case=case,
        organization=organization,
        staff=staff,
        role=role,
        role_note=role_note.strip(),
        joined_on=joined_on,
        added_by=user,
    )
    member.full_clean()
    changed_by(member, user=user, channel=channel)
    member.save()
    who = organization.name + (f"（{staff.get_full_name()}）" if staff else "")
    _event(
        case,
        user=user,
        kind=CaseEvent.Kind.TEAM,
        summary=f"支援チームに参加: {who}・{member.get_role_display()}",
    )
    _grants_sync(case, user=user)
    _log(user, AccessLog.Action.UPDATE, member, case, channel)
    return member


@transaction.atomic
def case_team_leave(
    *,
    user: User,
    member: CaseTeamMember,
    left_on: dt.date | None = None,
    reason: str = "",
    channel: Channel = WEB,
) -> CaseTeamMember:
    """An organization leaves the team: its grants on the case end now."""
    case = member.case
    _require_coordinator(user, case)
    if member.left_on is not None:
        raise ValidationError("既に支援チームを離れています")
    if member.role == TeamRole.COORDINATOR and member.organization_id == case.organization_id:
        raise ValidationError("主担当の機関は支援チームを離れられません")
    left_on = left_on or timezone.localdate()
    if left_on < member.joined_on:
        raise _fail("left_on", "離脱日が参加日より前です")
    member.left_on = left_on
    member.left_reason = reason.strip()
    member.full_clean()
    changed_by(member, user=user, channel=channel)
    member.save(update_fields=["left_on", "left_reason"])
    grants_end(
        grants=AccessGrant.objects.filter(case_team_member=member), reason="支援チームを離脱"
    )
    _event(
        case,
        user=user,
        kind=CaseEvent.Kind.TEAM,
        summary=f"支援チームを離脱: {member.organization.name}"
        + (f"（{member.left_reason}）" if member.left_reason else ""),
    )
    _log(user, AccessLog.Action.UPDATE, member, case, channel)
    return member


# --- the timeline -------------------------------------------------------------------------


@transaction.atomic
def case_event_add(
    *,
    user: User,
    case: Case,
    kind: str,
    summary: str,
    occurred_at: dt.datetime,
    channel: Channel = WEB,
) -> CaseEvent:
    """A contact, decision, document or meeting on the timeline, by the coordinator or a team
    organization. (The same form sent twice records it once: the page's one-time form token,
    `core.once`; the API's `Idempotency-Key`.)"""
    _require_team(user, case)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError("終結した事例には記録できません")
    if kind not in {
        CaseEvent.Kind.CONTACT,
        CaseEvent.Kind.DECISION,
        CaseEvent.Kind.DOCUMENT,
        CaseEvent.Kind.MEETING,
    }:
        raise _fail("kind", "記録の種類を選んでください")
    if not summary.strip():
        raise _fail("summary", "内容を入力してください")
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise _fail("occurred_at", "未来の日時は記録できません")
    if occurred_at.date() < case.opened_on - dt.timedelta(days=366):
        raise _fail("occurred_at", "日時が事例の受付より1年以上前です")
    event = _event(case, user=user, kind=kind, summary=summary.strip(), occurred_at=occurred_at)
    if kind == CaseEvent.Kind.CONTACT:
        day = timezone.localdate(occurred_at)
        if case.last_contact_on is None or day > case.last_contact_on:
            case.last_contact_on = day
            case.save(update_fields=["last_contact_on", "updated_at"])
    _log(user, AccessLog.Action.CREATE, event, case, channel)
    return event


# --- assessment ---------------------------------------------------------------------------


def _assessment_changes(base: Assessment | None, newest: Assessment | None) -> list[str]:
    """The labels of what the newest sheet says differently from the form's base version."""
    if newest is None:
        return []
    before: dict[str, object] = base.answers if base else {}
    changed = [
        item.label
        for item in ASSESSMENT_ITEMS
        if (before.get(item.code) or {}) != (newest.answers.get(item.code) or {})
    ]
    if base is None or base.urgency != newest.urgency:
        changed.append("緊急度")
    if base is None or base.assessed_on != newest.assessed_on:
        changed.append("アセスメント日")
    return changed


@transaction.atomic
def assessment_create(
    *,
    user: User,
    case: Case,
    answers: dict[str, object],
    urgency: str,
    assessed_on: dt.date,
    base_version: int,
    channel: Channel = WEB,
) -> Assessment:
    """A new version of the インテーク・アセスメントシート. `base_version` is the version the
    form started from (0 for the first): a save from an older one is refused."""
    organization = _require_coordinator(user, case)
    # two saves from the same version wait for each other here; the second is then refused
    # unscoped: the case the caller holds, locked for the new version
    Case.dangerously_unscoped.select_for_update().filter(pk=case.pk).exists()
    # unscoped: the latest version number of the case's own sheet
    latest = Assessment.dangerously_unscoped.filter(case=case).aggregate(v=Max("version"))["v"] or 0
    if base_version != latest:
        # a sheet is never edited, each save is a new version: the newer one's writer is named,
        # with the items that differ from the version the form started from
        # unscoped: the case's own sheets, the newest and the form's base
        sheets = Assessment.dangerously_unscoped.filter(
            case=case, version__in=[latest, base_version]
        )
        by_version = {a.version: a for a in sheets}
        newest, base = by_version.get(latest), by_version.get(base_version)
        raise StaleEdit(
            stale_message(
                who=newest.created_by if newest else None,
                fields=_assessment_changes(base, newest),
                current=latest,
            ),
            current=latest,
        )
    cleaned, errors = assessment_answers_clean(answers)
    if urgency not in Urgency.values:
        errors["urgency"] = "緊急度を選んでください（国への報告項目です）"
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = "アセスメント日に未来の日付は指定できません"
    elif assessed_on < case.opened_on:
        errors["assessed_on"] = "アセスメント日が事例の受付日より前です"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    assessment = Assessment(
        case=case,
        version=latest + 1,
        answers=cleaned,
        urgency=urgency,
        assessed_on=assessed_on,
        organization=organization,
        created_by=user,
    )
    assessment.full_clean()
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as exc:
        raise ValidationError("このアセスメントは他の職員が同時に更新しました") from exc
    _written(
        case,
        assessment,
        user=user,
        action=AccessLog.Action.CREATE,
        kind=CaseEvent.Kind.DOCUMENT,
        summary=f"インテーク・アセスメントシート 第{assessment.version}版",
        advance=((CaseStatus.RECEIVED,), CaseStatus.ASSESSMENT),
        channel=channel,
    )
    return assessment


# --- support plans ------------------------------------------------------------------------


@dataclass
class PlanData:
    wishes: str
    goals: str
    issues: str
    monitoring_on: dt.date
    review_on: dt.date
    referral_checks: list[str] = field(default_factory=list)


@dataclass
class ActionData:
    description: str
    organization: Organization
    due_on: dt.date


def _plan_fields_check(data: PlanData) -> dict[str, str]:
    errors = {}
    if not data.wishes.strip():
        errors["wishes"] = "本人の思い・希望を本人の言葉で入力してください"
    if not data.goals.strip():
        errors["goals"] = "目標を入力してください"
    if not data.issues.strip():
        errors["issues"] = "取り組む課題を入力してください"
    if data.review_on < data.monitoring_on:
        errors["review_on"] = "プランの見直し予定日がモニタリング予定日より前です"
    unknown = [c for c in data.referral_checks if c not in PLAN_REFERRAL_CHECK_CODES]
    if unknown:
        errors["referral_checks"] = f"確認項目にないもの（{'、'.join(unknown)}）があります"
    return errors


def _team_organization_ids(case: Case) -> set[int]:
    # unscoped: the case's own team, for its coordinating organization's service
    return set(
        CaseTeamMember.dangerously_unscoped.filter(case=case, left_on__isnull=True).values_list(
            "organization_id", flat=True
        )
    )


def _actions_check(case: Case, actions: list[ActionData]) -> dict[str, str]:
    team = _team_organization_ids(case)
    for i, a in enumerate(actions, start=1):
        if not a.description.strip():
            return {"actions": f"取り組み{i}: 内容を入力してください"}
        if a.organization.pk not in team:
            return {
                "actions": f"取り組み{i}: {a.organization.name}は支援チームに入っていません"
                "（先に支援チームに加えてください）"
            }
        if a.due_on < case.opened_on:
            return {"actions": f"取り組み{i}: 期限が事例の受付日より前です"}
    return {}


@transaction.atomic
def plan_create(
    *,
    user: User,
    case: Case,
    kind: str,
    data: PlanData,
    actions: list[ActionData],
    channel: Channel = WEB,
) -> SupportPlan:
    """A new version (下書き) of the case's plan of `kind`."""
    _require_coordinator(user, case)
    if kind not in PlanKind.values:
        raise _fail("kind", "プランの種類を選んでください")
    errors = _plan_fields_check(data)
    errors.update(_actions_check(case, actions))
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    # unscoped: the case's own plans, for the next version number
    previous = SupportPlan.dangerously_unscoped.filter(case=case, kind=kind)
    if previous.filter(status__in=[PlanStatus.DRAFT, PlanStatus.CONFERRED]).exists():
        raise _fail("kind", "この種類のプランには作成中の版があります（その版を編集してください）")
    version = (previous.aggregate(v=Max("version"))["v"] or 0) + 1
    plan = SupportPlan(
        case=case,
        kind=kind,
        version=version,
        wishes=data.wishes.strip(),
        goals=data.goals.strip(),
        issues=data.issues.strip(),
        referral_checks=sorted(set(data.referral_checks)),
        monitoring_on=data.monitoring_on,
        review_on=data.review_on,
        created_by=user,
    )
    plan.full_clean()
    changed_by(plan, user=user, channel=channel)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:
        raise ValidationError("このプランは他の職員が同時に作成しました") from exc
    _actions_write(plan, actions)
    _written(
        case,
        plan,
        user=user,
        action=AccessLog.Action.CREATE,
        kind=CaseEvent.Kind.DOCUMENT,
        summary=f"支援プラン（{plan.get_kind_display()}）第{plan.version}版を作成",
        advance=((CaseStatus.RECEIVED, CaseStatus.ASSESSMENT), CaseStatus.PLANNING),
        channel=channel,
    )
    return plan


def _actions_write(plan: SupportPlan, actions: list[ActionData], start: int = 0) -> None:
    PlanAction.objects.bulk_create(
        PlanAction(
            plan=plan,
            description=a.description.strip(),
            organization=a.organization,
            due_on=a.due_on,
            sort_order=i,
        )
        for i, a in enumerate(actions, start=start)
    )


@transaction.atomic
def plan_update(
    *,
    user: User,
    plan: SupportPlan,
    data: PlanData,
    actions: list[ActionData],
    revision: int,
    channel: Channel = WEB,
) -> SupportPlan:
    """Save a draft. `revision` is the one the form was opened at; when another save came in
    between, nothing is written and the message names what the other save changed."""
    case = plan.case
    _require_coordinator(user, case)
    # unscoped: the plan the caller already holds; refuse_stale locks its row, so two saves
    # from the same revision cannot both pass the comparison
    locked = SupportPlan.dangerously_unscoped.get(pk=plan.pk)
    refuse_stale(locked, revision)
    if locked.status != PlanStatus.DRAFT:
        raise ValidationError("下書きのプランだけを編集できます（協議済みのプランは新しい版で）")
    errors = _plan_fields_check(data)
    errors.update(_actions_check(case, actions))
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    locked.wishes = data.wishes.strip()
    locked.goals = data.goals.strip()
    locked.issues = data.issues.strip()
    locked.referral_checks = sorted(set(data.referral_checks))
    locked.monitoring_on = data.monitoring_on
    locked.review_on = data.review_on
    locked.revision = revision + 1
    locked.full_clean()
    changed_by(locked, user=user, channel=channel)
    locked.save()
    # unscoped: the draft's own actions, rewritten in place (a draft has no monitoring yet)
    existing = list(
        PlanAction.dangerously_unscoped.filter(plan=locked).order_by("sort_order", "pk")
    )
    for i, (row, a) in enumerate(zip(existing, actions, strict=False)):
        row.description, row.organization, row.due_on, row.sort_order = (
            a.description.strip(),
            a.organization,
            a.due_on,
            i,
        )
        row.save()
    for row in existing[len(actions) :]:
        row.delete()
    if len(actions) > len(existing):
        _actions_write(locked, actions[len(existing) :], start=len(existing))
    _log(user, AccessLog.Action.UPDATE, locked, case, channel)
    return locked


@transaction.atomic
def plan_confer(
    *,
    user: User,
    plan: SupportPlan,
    conferred_on: dt.date,
    channel: Channel = WEB,
    meeting: str = "",
) -> SupportPlan:
    """下書き → 重層的支援会議で協議済. `meeting`: the meeting's name for the timeline (a meeting
    record approving the plan, `meetingrecords.services.meeting_plan_approve`)."""
    _require_coordinator(user, plan.case)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError("下書きのプランだけを協議済にできます")
    if conferred_on > timezone.localdate():
        raise _fail("conferred_on", "協議日に未来の日付は指定できません")
    if conferred_on < plan.case.opened_on:
        raise _fail("conferred_on", "協議日が事例の受付日より前です")
    # unscoped: the draft's own actions
    if not PlanAction.dangerously_unscoped.filter(plan=plan).exists():
        raise ValidationError("取り組み（役割分担）が1つもないプランは協議に出せません")
    plan.status = PlanStatus.CONFERRED
    plan.conferred_on = conferred_on
    plan.revision += 1
    changed_by(plan, user=user, channel=channel)
    plan.save()
    _event(
        plan.case,
        user=user,
        kind=CaseEvent.Kind.MEETING,
        summary=f"{meeting or '重層的支援会議'}で支援プラン（{plan.get_kind_display()}）"
        f"第{plan.version}版を協議",
        occurred_at=timezone.now()
        if conferred_on == timezone.localdate()
        else timezone.make_aware(dt.datetime.combine(conferred_on, dt.time(12))),
    )
    _log(user, AccessLog.Action.UPDATE, plan, plan.case, channel)
    return plan


@transaction.atomic
def plan_start(
    *, user: User, plan: SupportPlan, started_on: dt.date | None = None, channel: Channel = WEB
) -> SupportPlan:
    """協議済 → 実施中; the version in force before it ends (改定により終了)."""
    case = plan.case
    _require_coordinator(user, case)
    if plan.status != PlanStatus.CONFERRED:
        raise ValidationError("重層的支援会議で協議済のプランだけを実施できます")
    started_on = started_on or timezone.localdate()
    if plan.conferred_on is not None and started_on < plan.conferred_on:
        raise _fail("started_on", "実施開始日が協議日より前です")
    # unscoped: the case's own plan in force, superseded by this version
    for old in SupportPlan.dangerously_unscoped.filter(
        case=case, kind=plan.kind, status=PlanStatus.IN_FORCE
    ):
        old.status = PlanStatus.SUPERSEDED
        old.revision += 1
        changed_by(old, user=user, channel=channel)
        old.save()
    plan.status = PlanStatus.IN_FORCE
    plan.started_on = started_on
    plan.revision += 1
    changed_by(plan, user=user, channel=channel)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:
        raise ValidationError("同じ種類のプランが既に実施中です") from exc
    _written(
        case,
        plan,
        user=user,
        action=AccessLog.Action.UPDATE,
        kind=CaseEvent.Kind.DECISION,
        summary=f"支援プラン（{plan.get_kind_display()}）第{plan.version}版の実施を開始",
        advance=(
            (CaseStatus.PLANNING, CaseStatus.ASSESSMENT, CaseStatus.RECEIVED),
            CaseStatus.SUPPORTING,
        ),
        channel=channel,
    )
    return plan


# --- monitoring ---------------------------------------------------------------------------


@dataclass
class ResultData:
    action: PlanAction
    result: str
    note: str = ""


@transaction.atomic
def monitoring_record(
    *,
    user: User,
    plan: SupportPlan,
    monitored_on: dt.date,
    results: list[ResultData],
    summary: str = "",
    next_monitoring_on: dt.date | None = None,
    channel: Channel = WEB,
) -> Monitoring:
    """How each action of a plan in force went (できた / 一部 / できなかった, what changed)."""
    case = plan.case
    organization = _require_team(user, case)
    if plan.status != PlanStatus.IN_FORCE:
        raise ValidationError("実施中のプランだけをモニタリングできます")
    errors: dict[str, str] = {}
    if monitored_on > timezone.localdate():
        errors["monitored_on"] = "実施日に未来の日付は指定できません"
    elif plan.started_on is not None and monitored_on < plan.started_on:
        errors["monitored_on"] = "実施日がプランの実施開始日より前です"
    if next_monitoring_on is not None and next_monitoring_on <= monitored_on:
        errors["next_monitoring_on"] = "次の予定日は実施日より後にしてください"
    # unscoped: the plan's own actions
    action_ids = set(PlanAction.dangerously_unscoped.filter(plan=plan).values_list("pk", flat=True))
    if not results:
        errors["results"] = "取り組みの結果を1つ以上記入してください"
    for r in results:
        if r.action.pk not in action_ids:
            errors["results"] = "このプランの取り組みではありません"
        elif r.result not in ActionResult.values:
            errors["results"] = f"「{r.action.description}」の結果を選んでください"
    if len({r.action.pk for r in results}) != len(results):
        errors["results"] = "同じ取り組みが2回あります"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    monitoring = Monitoring(
        plan=plan,
        monitored_on=monitored_on,
        summary=summary.strip(),
        next_monitoring_on=next_monitoring_on,
        organization=organization,
        created_by=user,
    )
    monitoring.full_clean()
    monitoring.save()
    MonitoringResult.objects.bulk_create(
        MonitoringResult(monitoring=monitoring, action=r.action, result=r.result, note=r.note)
        for r in results
    )
    if next_monitoring_on is not None and case.organization_id == organization.pk:
        plan.monitoring_on = max(next_monitoring_on, plan.monitoring_on)
        if plan.review_on < plan.monitoring_on:
            plan.review_on = plan.monitoring_on
        changed_by(plan, user=user, channel=channel)
        plan.save(update_fields=["monitoring_on", "review_on", "updated_at"])
    counts = {v: sum(1 for r in results if r.result == v) for v in ActionResult.values}
    _written(
        case,
        monitoring,
        user=user,
        action=AccessLog.Action.CREATE,
        kind=CaseEvent.Kind.DOCUMENT,
        summary=(
            f"モニタリング（{plan.get_kind_display()} 第{plan.version}版）: "
            f"できた{counts['done']}・一部{counts['partly']}・できなかった{counts['not_done']}"
        ),
        advance=((CaseStatus.SUPPORTING,), CaseStatus.MONITORING),
        channel=channel,
    )
    return monitoring


# --- closure and the resource-gap register ---------------------------------------------------


@dataclass
class GapData:
    """A missing resource named at closure: an entry of the register, or a new one."""

    gap: ResourceGap | None = None
    field: str = ""
    description: str = ""
    area: Area | None = None


@dataclass
class ClosureData:
    outcome: str
    goals_met: str
    person_changes: str
    existing_services_sufficient: bool
    why_not: str = ""
    support_flow_lessons: str = ""
    closed_on: dt.date | None = None
    review_on: dt.date | None = None  # つながり続ける支援: when to look again
    gaps: list[GapData] = field(default_factory=list)


@transaction.atomic
def case_close(
    *, user: User, case: Case, data: ClosureData, channel: Channel = WEB, meeting: str = ""
) -> CaseClosure:
    """評価シート: close the case (or move it to つながり続ける支援 with a review date), with the
    evaluation; every missing resource becomes (or joins) an entry of the register. `meeting`:
    the meeting's name for the timeline, when a meeting evaluated the case
    (`meetingrecords.services.meeting_closure_record`)."""
    organization = _require_coordinator(user, case)
    # unscoped: the case's own evaluation (one per case)
    if CaseClosure.dangerously_unscoped.filter(case=case).exists():
        raise ValidationError("この事例は既に評価済みです")
    closed_on = data.closed_on or timezone.localdate()
    errors: dict[str, str] = {}
    if data.outcome not in (CaseStatus.CLOSED, CaseStatus.ONGOING_CONNECTION):
        errors["outcome"] = "終結か、つながり続ける支援かを選んでください"
    if data.goals_met not in GoalsMet.values:
        errors["goals_met"] = "目標の達成を選んでください"
    if not data.person_changes.strip():
        errors["person_changes"] = "本人・世帯に起きた変化を入力してください"
    if closed_on > timezone.localdate():
        errors["closed_on"] = "評価日に未来の日付は指定できません"
    elif closed_on < case.opened_on:
        errors["closed_on"] = "評価日が事例の受付日より前です"
    if data.outcome == CaseStatus.ONGOING_CONNECTION:
        if data.review_on is None:
            errors["review_on"] = "つながり続ける支援では次の見直し日を入力してください"
        elif data.review_on <= closed_on:
            errors["review_on"] = "見直し日は評価日より後にしてください"
    if not data.existing_services_sufficient:
        if not data.why_not.strip():
            errors["why_not"] = "既存事業で対応できなかった理由を入力してください"
        if not data.gaps:
            errors["gaps"] = "望まれる社会資源を1つ以上挙げてください"
    for g in data.gaps:
        if (problem := _gap_problem(g, organization)) is not None:
            errors["gaps"] = problem
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    closure = CaseClosure(
        case=case,
        closed_on=closed_on,
        outcome=data.outcome,
        goals_met=data.goals_met,
        person_changes=data.person_changes.strip(),
        existing_services_sufficient=data.existing_services_sufficient,
        why_not=data.why_not.strip(),
        support_flow_lessons=data.support_flow_lessons.strip(),
        organization=organization,
        created_by=user,
    )
    closure.full_clean()
    closure.save()
    for g in data.gaps:
        _gap_link(
            g,
            cases=[case],
            found_at=ResourceGapCase.FoundAt.CLOSURE,
            found_on=closed_on,
            user=user,
            organization=organization,
            channel=channel,
        )
    # unscoped: the case's own plans in force end with the evaluation
    for plan in SupportPlan.dangerously_unscoped.filter(case=case, status=PlanStatus.IN_FORCE):
        plan.status = PlanStatus.EVALUATED
        plan.revision += 1
        changed_by(plan, user=user, channel=channel)
        plan.save()
    case.status = data.outcome
    if data.outcome == CaseStatus.CLOSED:
        case.closed_on = closed_on
        case.review_on = None
    else:
        case.review_on = data.review_on
    case.full_clean()
    changed_by(case, user=user, channel=channel)
    case.save()
    _event(
        case,
        user=user,
        kind=CaseEvent.Kind.MEETING if meeting else CaseEvent.Kind.DECISION,
        summary=(f"{meeting}で" if meeting else "")
        + f"評価: {closure.get_goals_met_display()}。{case.get_status_display()}へ"
        + ("" if data.existing_services_sufficient else f"（不足する社会資源 {len(data.gaps)}件）"),
    )
    _log(user, AccessLog.Action.CREATE, closure, case, channel)
    return closure


def _gap_problem(g: GapData, organization: Organization) -> str | None:
    """Why a gap named at closure or at a meeting cannot be recorded (Japanese), or None."""
    if g.gap is not None:
        if g.gap.municipality_id != organization.municipality_id:
            return "社会資源の不足の登録が見つかりません"
        return None
    if g.field not in SupportField.values:
        return "社会資源の分野を選んでください"
    if not g.description.strip():
        return "望まれる社会資源の内容を入力してください"
    if g.area is not None and g.area.municipality_id != organization.municipality_id:
        return "地域が見つかりません"
    return None


def _gap_link(
    g: GapData,
    *,
    cases: list[Case],
    found_at: str,
    found_on: dt.date,
    user: User,
    organization: Organization,
    channel: Channel,
) -> ResourceGap:
    """The register's entry for `g` (an existing one, or a new one), linked to each case once."""
    gap = g.gap
    if gap is None:
        gap = ResourceGap(
            municipality=organization.municipality,
            field=g.field,
            area=g.area,
            description=g.description.strip(),
            created_by=user,
        )
        gap.full_clean()
        changed_by(gap, user=user, channel=channel)
        gap.save()
    for case in cases:
        # unscoped: one link per (gap, case)
        if not ResourceGapCase.dangerously_unscoped.filter(gap=gap, case=case).exists():
            ResourceGapCase.objects.create(gap=gap, case=case, found_at=found_at, found_on=found_on)
    return gap


@transaction.atomic
def resource_gap_record(
    *,
    user: User,
    data: GapData,
    cases: Collection[Case],
    found_on: dt.date,
    channel: Channel = WEB,
) -> ResourceGap:
    """A missing resource found at a meeting (`meetingrecords.services.meeting_gap_record`):
    a new entry of the register, or an existing one, behind each of `cases` (which the user must
    see; none for a topic)."""
    organization = user_organization(user)
    if (problem := _gap_problem(data, organization)) is not None:
        raise _fail("gap", problem)
    if found_on > timezone.localdate():
        raise _fail("found_on", "把握日に未来の日付は指定できません")
    cases = list(cases)
    ids = {c.pk for c in cases}
    if Case.objects.visible_to(user).filter(pk__in=ids).count() != len(ids):
        raise _fail("cases", "事例が見つかりません")
    gap = _gap_link(
        data,
        cases=cases,
        found_at=ResourceGapCase.FoundAt.MEETING,
        found_on=found_on,
        user=user,
        organization=organization,
        channel=channel,
    )
    for case in cases:
        _log(user, AccessLog.Action.CREATE, gap, case, channel)
    if not cases:
        access_log(
            user=user,
            action=AccessLog.Action.CREATE,
            obj=gap,
            person=None,
            via=AccessLog.Via.OWN,
            channel=channel,
        )
    return gap


@transaction.atomic
def resource_gap_status_change(
    *, user: User, gap: ResourceGap, status: str, channel: Channel = WEB
) -> ResourceGap:
    organization = user_organization(user)
    if gap.municipality_id != organization.municipality_id:
        raise ValidationError("見つかりません")
    if not coordinating_organizations(municipality=organization.municipality).filter(
        pk=organization.pk
    ):
        raise ValidationError("社会資源の不足の状態は多機関協働事業を担う機関が更新します")
    if status not in ResourceGap.Status.values:
        raise _fail("status", "状態を選んでください")
    gap.status = status
    changed_by(gap, user=user, channel=channel)
    gap.save(update_fields=["status", "updated_at"])
    return gap
