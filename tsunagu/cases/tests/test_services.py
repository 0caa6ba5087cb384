from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    CaseRequest,
    CaseStatus,
    CaseTeamMember,
    PlanStatus,
    ResourceGap,
    SupportPlan,
    TeamRole,
)
from tsunagu.cases.services import (
    ActionData,
    CaseData,
    ClosureData,
    GapData,
    PlanData,
    ResultData,
    assessment_create,
    case_close,
    case_event_add,
    case_request_accept,
    case_request_decline,
    case_status_change,
    case_team_join,
    case_team_leave,
    monitoring_record,
    plan_confer,
    plan_create,
    plan_start,
    plan_update,
)
from tsunagu.cases.tests.conftest import Household, org, send_request
from tsunagu.consent.services import consent_withdraw
from tsunagu.people.models import Person
from tsunagu.referrals.models import Referral

TODAY = timezone.localdate


def full_answers() -> dict[str, object]:
    return {
        "household": {"checks": ["elderly_only"], "note": "母と息子の二人暮らし"},
        "health": {"checks": ["care_certified"], "note": ""},
        "income": {"checks": ["pension"], "note": "母の年金のみ"},
        "risk": {"checks": [], "note": "急迫した危険はない"},
        "wishes": {"checks": [], "note": "「このまま家で暮らしたい」"},
    }


def plan_data(**kw: object) -> PlanData:
    values: dict[str, object] = {
        "wishes": "「息子のことが心配。家で暮らし続けたい」",
        "goals": "母の介護サービス利用と息子の社会参加の一歩",
        "issues": "介護負担、息子の孤立、家計",
        "monitoring_on": TODAY() + dt.timedelta(days=30),
        "review_on": TODAY() + dt.timedelta(days=90),
        "referral_checks": ["participation_wish"],
    }
    values.update(kw)
    return PlanData(**values)  # type: ignore[arg-type]


def actions() -> list[ActionData]:
    return [
        ActionData(
            "介護保険サービスの利用調整", org("hokatsu-kita"), TODAY() + dt.timedelta(days=14)
        ),
        ActionData(
            "息子への訪問と家計相談", org("jiritsu-soudan"), TODAY() + dt.timedelta(days=21)
        ),
    ]


def visible(user: User) -> set[int]:
    return set(Case.objects.visible_to(user).values_list("pk", flat=True))


def test_request_reaches_the_coordinator_and_accepting_opens_the_case(
    household: Household, counselor: User, coordinator: User
) -> None:
    request = send_request(counselor, household)
    assert request.referral.to_organization == org("chiiki-fukushi-ka")
    assert CaseRequest.objects.visible_to(coordinator).get() == request
    case = case_request_accept(
        user=coordinator,
        request=request,
        data=CaseData(title="山田さん世帯", issues=["8050", "hikikomori"]),
    )
    request.refresh_from_db()
    assert request.status == CaseRequest.Status.ACCEPTED and request.case == case
    assert request.referral.status == Referral.Status.ACCEPTED
    assert case.status == CaseStatus.RECEIVED and case.issues == ["hikikomori", "8050"]
    assert case.origin_consultation == household.consultation
    assert [m.person for m in case.members.all()] == [household.mother]
    team = CaseTeamMember.objects.visible_to(coordinator).get()
    assert team.role == TeamRole.COORDINATOR and team.staff == coordinator
    with pytest.raises(ValidationError, match="既に回答"):
        case_request_accept(user=coordinator, request=request, data=CaseData(title="x"))


def test_only_a_consultation_marked_multi_agency_can_be_requested(
    household: Household, counselor: User
) -> None:
    household.consultation.response = "referral"
    household.consultation.save()
    with pytest.raises(ValidationError, match="多機関協働へ"):
        send_request(counselor, household)
    assert not CaseRequest.dangerously_unscoped.exists()
    assert not Referral.dangerously_unscoped.exists()


def test_declining_answers_the_window_and_ends_the_share(
    household: Household, counselor: User, coordinator: User
) -> None:
    request = send_request(counselor, household)
    with pytest.raises(ValidationError):
        case_request_decline(user=coordinator, request=request, answer=" ")
    case_request_decline(user=coordinator, request=request, answer="包括で対応可能です")
    request.refresh_from_db()
    assert request.status == CaseRequest.Status.DECLINED
    assert not Person.objects.visible_to(coordinator).filter(pk=household.mother.pk).exists()
    assert not Case.dangerously_unscoped.exists()


def test_team_sees_the_case_and_members_within_consent(
    case: Case,
    household: Household,
    counselor: User,
    receiver: User,
    coordinator: User,
    third: User,
) -> None:
    assert (
        case.pk in visible(coordinator)
        and case.pk in visible(counselor)
        and case.pk in visible(receiver)
    )
    assert case.pk not in visible(third)
    # the son's consent covers 北包括, the mother's covers くらしサポート: each sees the other
    assert Person.objects.visible_to(counselor).filter(pk=household.son.pk).exists()
    assert Person.objects.visible_to(receiver).filter(pk=household.mother.pk).exists()
    assert Person.objects.visible_to(coordinator).filter(pk=household.son.pk).exists()
    # the case grant shares the person record, not the consultations
    grant = AccessGrant.objects.get(case_team_member__organization__code="jiritsu-soudan")
    assert grant.person == household.mother and grant.consent == household.mother_consent
    assert not grant.includes_content


def test_a_team_member_without_a_basis_is_refused(case: Case, coordinator: User) -> None:
    with pytest.raises(ValidationError, match="共有できる根拠がありません"):
        case_team_join(
            user=coordinator, case=case, organization=org("shogai-soudan"), role="support"
        )
    assert not CaseTeamMember.dangerously_unscoped.filter(
        organization__code="shogai-soudan"
    ).exists()


def test_withdrawal_stops_sharing_at_once_and_shows_on_the_work_list(
    case: Case, household: Household, counselor: User, receiver: User, coordinator: User
) -> None:
    from tsunagu.cases.access import case_get_for
    from tsunagu.cases.selectors import case_detail, work_list

    consent_withdraw(user=counselor, consent=household.mother_consent)
    assert not Person.objects.visible_to(receiver).filter(pk=household.mother.pk).exists()
    # くらしサポート still holds the son's record: it stays on the case
    assert case.pk in visible(receiver)
    detail = case_detail(
        user=coordinator,
        access=case_get_for(user=coordinator, case_id=case.pk, channel=AccessLog.Channel.WEB),
    )
    assert any("撤回" in a for a in detail.consent_alerts)
    items = work_list(user=coordinator).items
    assert any("本人同意の撤回" in i.what for i in items)


def test_leaving_the_team_ends_its_grants(
    case: Case, household: Household, receiver: User, coordinator: User
) -> None:
    member = CaseTeamMember.dangerously_unscoped.get(organization__code="jiritsu-soudan")
    case_team_leave(user=coordinator, member=member, reason="支援終了")
    assert not Person.objects.visible_to(receiver).filter(pk=household.mother.pk).exists()
    assert case.pk not in visible(receiver)
    with pytest.raises(ValidationError, match="参加日より前"):
        other = CaseTeamMember.dangerously_unscoped.get(organization__code="hokatsu-kita")
        case_team_leave(
            user=coordinator, member=other, left_on=case.opened_on - dt.timedelta(days=1)
        )


def test_status_flow_is_enforced(case: Case, coordinator: User, receiver: User) -> None:
    with pytest.raises(ValidationError, match="進められません"):
        case_status_change(user=coordinator, case=case, status="supporting")
    with pytest.raises(ValidationError, match="評価シート"):
        case_status_change(user=coordinator, case=case, status="closed")
    with pytest.raises(ValidationError, match="担当する機関"):
        case_status_change(user=receiver, case=case, status="assessment")
    case_status_change(user=coordinator, case=case, status="assessment")
    assert Case.dangerously_unscoped.get().status == "assessment"


def test_timeline_is_append_only(case: Case, receiver: User, third: User) -> None:
    """(A form sent twice records once: `test_pages`, the page's one-time form token.)"""
    at = timezone.now() - dt.timedelta(hours=1)
    case_event_add(user=receiver, case=case, kind="contact", summary="訪問した", occurred_at=at)
    assert CaseEvent.dangerously_unscoped.filter(kind="contact").count() == 1
    with pytest.raises(ValidationError, match="支援チーム"):
        case_event_add(user=third, case=case, kind="contact", summary="x", occurred_at=at)
    with pytest.raises(ValidationError, match="未来"):
        case_event_add(
            user=receiver,
            case=case,
            kind="contact",
            summary="x",
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )


def test_assessment_versions_and_required_items(case: Case, coordinator: User) -> None:
    bad = full_answers()
    del bad["wishes"]
    with pytest.raises(ValidationError) as exc:
        assessment_create(
            user=coordinator,
            case=case,
            answers=bad,
            urgency="low",
            assessed_on=TODAY(),
            base_version=0,
        )
    assert "国への報告項目" in str(exc.value)
    with pytest.raises(ValidationError, match="選択肢にない"):
        answers = full_answers()
        answers["health"] = {"checks": ["nonsense"]}
        assessment_create(
            user=coordinator,
            case=case,
            answers=answers,
            urgency="low",
            assessed_on=TODAY(),
            base_version=0,
        )
    first = assessment_create(
        user=coordinator,
        case=case,
        answers=full_answers(),
        urgency="medium",
        assessed_on=TODAY(),
        base_version=0,
    )
    changed = full_answers()
    changed["income"] = {"checks": ["pension", "no_income"], "note": "年金が止まった"}
    second = assessment_create(
        user=coordinator,
        case=case,
        answers=changed,
        urgency="high",
        assessed_on=TODAY(),
        base_version=1,
    )
    assert (first.version, second.version) == (1, 2)
    # a save from version 1 names the writer of version 2 and what it says differently
    with pytest.raises(
        ValidationError,
        match=r"さんが変更しました（変更された項目: 収入・生活費、緊急度）（現在 第2版）",
    ):
        assessment_create(
            user=coordinator,
            case=case,
            answers=full_answers(),
            urgency="low",
            assessed_on=TODAY(),
            base_version=1,
        )
    assert Assessment.dangerously_unscoped.count() == 2
    assert Case.dangerously_unscoped.get().status == "assessment"


def test_plan_actions_need_team_organizations_and_dates_in_order(
    case: Case, coordinator: User
) -> None:
    outside = [ActionData("障がい福祉サービス", org("shogai-soudan"), TODAY())]
    with pytest.raises(ValidationError, match="支援チームに入っていません"):
        plan_create(
            user=coordinator, case=case, kind="multi_agency", data=plan_data(), actions=outside
        )
    with pytest.raises(ValidationError, match="見直し予定日"):
        plan_create(
            user=coordinator,
            case=case,
            kind="multi_agency",
            data=plan_data(review_on=TODAY()),
            actions=actions(),
        )
    assert not SupportPlan.dangerously_unscoped.exists()


def test_a_stale_plan_save_is_refused_and_names_what_changed(
    case: Case, coordinator: User, manager: User
) -> None:
    plan = plan_create(
        user=coordinator, case=case, kind="multi_agency", data=plan_data(), actions=actions()
    )
    plan_update(
        user=manager, plan=plan, data=plan_data(goals="新しい目標"), actions=actions(), revision=1
    )
    with pytest.raises(ValidationError) as exc:
        plan_update(
            user=coordinator,
            plan=plan,
            data=plan_data(wishes="上書き"),
            actions=actions(),
            revision=1,
        )
    assert "目標" in str(exc.value) and "上書きはしていません" in str(exc.value)
    saved = SupportPlan.dangerously_unscoped.get()
    assert saved.goals == "新しい目標" and saved.wishes.startswith("「息子") and saved.revision == 2


def run_plan(case: Case, coordinator: User) -> SupportPlan:
    plan = plan_create(
        user=coordinator, case=case, kind="multi_agency", data=plan_data(), actions=actions()
    )
    plan_confer(user=coordinator, plan=plan, conferred_on=TODAY())
    return plan_start(user=coordinator, plan=plan)


def test_one_version_in_force(case: Case, coordinator: User) -> None:
    first = run_plan(case, coordinator)
    assert first.status == PlanStatus.IN_FORCE
    second = plan_create(
        user=coordinator, case=case, kind="multi_agency", data=plan_data(), actions=actions()
    )
    assert second.version == 2
    plan_confer(user=coordinator, plan=second, conferred_on=TODAY())
    plan_start(user=coordinator, plan=second)
    first.refresh_from_db()
    assert first.status == PlanStatus.SUPERSEDED
    first.status = PlanStatus.IN_FORCE
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()


def test_monitoring_and_closure_with_a_missing_resource(
    case: Case, coordinator: User, counselor: User
) -> None:
    plan = run_plan(case, coordinator)
    a1, a2 = list(plan.actions.all())
    monitoring_record(
        user=counselor,
        plan=plan,
        monitored_on=TODAY(),
        results=[ResultData(a1, "done", "デイサービス開始"), ResultData(a2, "partly")],
    )
    assert Case.dangerously_unscoped.get().status == CaseStatus.MONITORING
    with pytest.raises(ValidationError, match="望まれる社会資源"):
        case_close(
            user=coordinator,
            case=case,
            data=ClosureData(
                outcome="closed",
                goals_met="partly",
                person_changes="母は通所を開始",
                existing_services_sufficient=False,
                why_not="息子の居場所がない",
            ),
        )
    closure = case_close(
        user=coordinator,
        case=case,
        data=ClosureData(
            outcome="closed",
            goals_met="partly",
            person_changes="母は通所を開始、息子は週1回外出",
            existing_services_sufficient=False,
            why_not="中高年のひきこもりの居場所が市内にない",
            gaps=[
                GapData(
                    field="employment", description="40代以上のひきこもりの方の居場所・就労体験"
                )
            ],
        ),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_on == TODAY()
    assert closure.existing_services_sufficient is False
    gap = ResourceGap.dangerously_unscoped.get()
    assert gap.status == ResourceGap.Status.CONSIDERING and gap.cases.count() == 1
    plan.refresh_from_db()
    assert plan.status == PlanStatus.EVALUATED
    with pytest.raises(ValidationError, match="終結"):
        case_status_change(user=coordinator, case=case, status="assessment")


def test_ongoing_connection_needs_a_review_date(case: Case, coordinator: User) -> None:
    data = ClosureData(
        outcome="ongoing_connection",
        goals_met="not_met",
        person_changes="関係は続いている",
        existing_services_sufficient=True,
    )
    with pytest.raises(ValidationError, match="見直し日"):
        case_close(user=coordinator, case=case, data=data)
    data.review_on = TODAY() + dt.timedelta(days=60)
    case_close(user=coordinator, case=case, data=data)
    case.refresh_from_db()
    assert case.status == CaseStatus.ONGOING_CONNECTION and case.review_on == data.review_on


def test_the_coordinating_organizations_come_from_the_plan(city: object) -> None:
    """The carriers of 第5号 and the department in charge of it; no other organization."""
    from io import StringIO

    from django.core.management import call_command

    from tsunagu.cases.services import coordinating_organizations
    from tsunagu.cityplan.models import Program

    assert [o.code for o in coordinating_organizations(municipality=city)] == [  # type: ignore[arg-type]
        "chiiki-fukushi-ka"
    ]
    call_command("load_plan", "imizu", stdout=StringIO())
    program = Program.objects.get(municipality__slug="imizu", clause="5")
    expected = {o.pk for o in program.organizations.all()} | {
        o.pk for o in program.departments.all()
    }
    found = coordinating_organizations(municipality=program.municipality)
    assert {o.pk for o in found} == expected and len(expected) >= 2


def test_the_demo_opens_a_case_and_leaves_a_request_waiting(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    case = Case.dangerously_unscoped.get(title="大島さん世帯")  # (the outreach demo opens another)
    assert case.status == CaseStatus.MONITORING  # the plan in force was monitored once
    assert case.members.count() == 2 and case.team.count() == 3
    assert CaseRequest.dangerously_unscoped.filter(status="requested").count() == 1
