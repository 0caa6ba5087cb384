"""Demo 多機関協働 data: one fictional 8050 household across two windows, from a consultation
marked 「多機関協働へ」 to a plan in force, and a second request waiting in the coordinator's
inbox. Written through the real services (grants and access logs are real). Never real people."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tsunagu.access.models import Basis
from tsunagu.accounts.models import User
from tsunagu.cases.models import TeamRole
from tsunagu.cases.services import (
    ActionData,
    CaseData,
    CaseRequestData,
    PlanData,
    ResultData,
    assessment_create,
    case_event_add,
    case_member_add,
    case_request_accept,
    case_request_create,
    case_team_join,
    coordinating_organizations,
    monitoring_record,
    plan_confer,
    plan_create,
    plan_start,
)
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create


def _org(user: User) -> Organization:
    if user.organization is None:
        raise ValueError(f"{user} belongs to no organization")
    return user.organization


def _household(
    counselor: User, colleague: User, coordinator: User, family: tuple[str, str]
) -> tuple[Person, Person, Consultation, Consent]:
    window, other, hub = _org(counselor), _org(colleague), _org(coordinator)
    name, kana = family
    mother = person_create(
        user=counselor,
        data=PersonData(
            family_name=name,
            given_name="ハナ",
            family_name_kana=kana,
            given_name_kana="はな",
            birth_date=dt.date(1944, 6, 1),
            sex="female",
        ),
    )
    son = person_create(
        user=colleague,
        data=PersonData(
            family_name=name,
            given_name="誠",
            family_name_kana=kana,
            given_name_kana="まこと",
            birth_date=dt.date(1974, 2, 2),
            sex="male",
        ),
    )
    today = timezone.localdate()
    consent = consent_record(
        user=counselor,
        person=mother,
        method="written",
        purpose="多機関協働による支援のための情報共有",
        scope_organizations=[hub, other],
        valid_from=today,
        valid_until=today + dt.timedelta(days=365),
    )
    consent_record(
        user=colleague,
        person=son,
        method="verbal",
        purpose="多機関協働による支援のための情報共有",
        scope_organizations=[hub, window],
        valid_from=today,
        valid_until=today + dt.timedelta(days=365),
    )
    consultation = consultation_create(
        user=counselor,
        person=mother,
        data=ConsultationData(
            received_at=timezone.now() - dt.timedelta(days=1),
            channel="visit",
            requester="minsei_iin",
            main_topic="care",
            content=(
                "民生委員から。母の介護が必要だが、同居の50代の息子が長く外に出ておらず、"
                "家計も苦しい。"
            ),
            response="multi_agency",
            topics=["care", "hikikomori", "income", "8050"],
        ),
    )
    return mother, son, consultation, consent


def demo_cases(*, counselor: User, colleague: User, coordinator: User) -> int:
    """Returns the number of cases opened (0 when the coordinator's organization does not carry
    多機関協働事業 in the city's plan)."""
    hub = coordinator.organization
    if hub is None or not coordinating_organizations(municipality=hub.municipality).filter(
        pk=hub.pk
    ):
        return 0
    today = timezone.localdate()
    _, son, consultation, consent = _household(
        counselor, colleague, coordinator, ("大島", "おおしま")
    )
    request = case_request_create(
        user=counselor,
        consultation=consultation,
        data=CaseRequestData(
            coordinating_organization=hub,
            note="8050。母の介護と、息子の長期のひきこもり、家計の問題が重なっている",
            basis=Basis.CONSENT,
            consent=consent,
        ),
    )
    case = case_request_accept(
        user=coordinator,
        request=request,
        data=CaseData(title="大島さん世帯", issues=["8050", "care", "hikikomori", "income"]),
    )
    window, other = _org(counselor), _org(colleague)
    for organization in (window, other):
        case_team_join(
            user=coordinator, case=case, organization=organization, role=TeamRole.SUPPORT
        )
    case_member_add(user=colleague, case=case, person=son, relationship="child")
    case_event_add(
        user=coordinator,
        case=case,
        kind="contact",
        summary="包括の相談員と自宅を訪問。母と面談、息子は自室から出てこなかった。",
        occurred_at=timezone.now() - dt.timedelta(hours=3),
    )
    assessment_create(
        user=coordinator,
        case=case,
        answers={
            "household": {
                "checks": ["elderly_only", "care_needed"],
                "note": "母と息子の二人暮らし",
            },
            "health": {"checks": ["care_certified"], "note": ""},
            "income": {"checks": ["pension", "arrears"], "note": "母の年金のみ。公共料金の滞納"},
            "participation": {"checks": ["withdrawn", "no_contact"], "note": ""},
            "risk": {"checks": ["money_urgent"], "note": ""},
            "wishes": {"checks": [], "note": "「息子のことが心配。このまま家で暮らしたい」"},
        },
        urgency="medium",
        assessed_on=today,
        base_version=0,
    )
    plan = plan_create(
        user=coordinator,
        case=case,
        kind="multi_agency",
        data=PlanData(
            wishes="「息子のことが心配。このまま家で暮らしたい」",
            goals="母が介護サービスを使い始め、家計が落ち着く。息子と支援者が会えるようになる",
            issues="介護負担、息子の孤立、公共料金の滞納",
            monitoring_on=today + dt.timedelta(days=30),
            review_on=today + dt.timedelta(days=90),
            referral_checks=["outreach_unreached"],
        ),
        actions=[
            ActionData("介護保険サービスの利用調整", window, today + dt.timedelta(days=14)),
            ActionData("家計の見直しと滞納の相談", other, today + dt.timedelta(days=21)),
        ],
    )
    plan_confer(user=coordinator, plan=plan, conferred_on=today)
    plan_start(user=coordinator, plan=plan)
    first = plan.actions.order_by("sort_order").first()
    if first is not None:
        monitoring_record(
            user=counselor,
            plan=plan,
            monitored_on=today,
            results=[ResultData(first, "partly", "要介護認定の申請を済ませた")],
        )
    # a second household whose request waits for the coordinator's answer
    _, _, consultation2, consent2 = _household(counselor, colleague, coordinator, ("森", "もり"))
    case_request_create(
        user=counselor,
        consultation=consultation2,
        data=CaseRequestData(
            coordinating_organization=hub,
            note="8050。息子が仕事を辞めてから家に閉じこもっている",
            basis=Basis.CONSENT,
            consent=consent2,
        ),
    )
    return 1
