"""The figures the evaluation reports (伊勢市: アセスメントシート15件, プラン新規・延べ,
終結5件; 射水市: 相談受付, 支援プラン), per fiscal year and coordinating organization."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.cases.models import Assessment, Case, CaseClosure, Monitoring, SupportPlan
from tsunagu.cases.selectors import case_counts
from tsunagu.cases.services import CaseData, ClosureData, GapData, case_close, case_create
from tsunagu.cases.tests.test_services import (
    actions,
    full_answers,
    plan_data,
    run_plan,
)
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.organizations.models import Municipality


def test_counts_per_fiscal_year_and_organization(
    case: Case, coordinator: User, counselor: User, city: Municipality
) -> None:
    from tsunagu.cases.services import (
        ResultData,
        assessment_create,
        monitoring_record,
        plan_create,
    )

    today = timezone.localdate()
    fy = fiscal_year_of(today)
    assessment_create(
        user=coordinator,
        case=case,
        answers=full_answers(),
        urgency="low",
        assessed_on=today,
        base_version=0,
    )
    plan = run_plan(case, coordinator)
    plan_create(
        user=coordinator, case=case, kind="participation", data=plan_data(), actions=actions()
    )
    monitoring_record(
        user=counselor,
        plan=plan,
        monitored_on=today,
        results=[ResultData(a, "done") for a in plan.actions.all()],
    )
    other = case_create(user=coordinator, data=CaseData(title="別の世帯", origin="outreach"))
    case_close(
        user=coordinator,
        case=other,
        data=ClosureData(
            outcome="closed",
            goals_met="met",
            person_changes="安定",
            existing_services_sufficient=False,
            why_not="制度がない",
            gaps=[GapData(field="general", description="居場所")],
        ),
    )
    # a case of last year, closed last year: counted in that year only
    last_year = case_create(user=coordinator, data=CaseData(title="昨年度", origin="other"))
    Case.dangerously_unscoped.filter(pk=last_year.pk).update(
        opened_on=today - dt.timedelta(days=400),
        closed_on=today - dt.timedelta(days=380),
        status="closed",
    )

    [counts] = case_counts(municipality=city, fiscal_year=fy)
    assert counts.organization.code == "chiiki-fukushi-ka"
    assert (counts.opened, counts.closed, counts.ongoing) == (2, 1, 1)
    assert counts.assessments == 1
    # the participation plan is only a draft: not yet conferred, not counted
    assert counts.plans_new == {"multi_agency": 1, "outreach": 0, "participation": 0}
    assert counts.plans_total == {"multi_agency": 1, "outreach": 0, "participation": 0}
    assert (counts.monitoring, counts.closures, counts.closures_with_gap) == (1, 1, 1)
    [previous] = case_counts(
        municipality=city, fiscal_year=fiscal_year_of(today - dt.timedelta(days=380))
    )
    # 380 days back is always an earlier fiscal year
    assert (previous.opened, previous.closed, previous.monitoring) == (1, 1, 0)
    assert Assessment.dangerously_unscoped.count() == 1
    assert SupportPlan.dangerously_unscoped.count() == 2
    assert Monitoring.dangerously_unscoped.count() == 1
    assert CaseClosure.dangerously_unscoped.count() == 1


def test_a_new_version_counts_in_the_total_only(
    case: Case, coordinator: User, city: Municipality
) -> None:
    from tsunagu.cases.services import plan_confer, plan_create

    run_plan(case, coordinator)
    second = plan_create(
        user=coordinator, case=case, kind="multi_agency", data=plan_data(), actions=actions()
    )
    plan_confer(user=coordinator, plan=second, conferred_on=timezone.localdate())
    [counts] = case_counts(municipality=city, fiscal_year=fiscal_year_of(timezone.localdate()))
    assert counts.plans_new["multi_agency"] == 1 and counts.plans_total["multi_agency"] == 2
