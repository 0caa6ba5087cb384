"""The pages, walked as the people who use them: the window that marks a consultation
「多機関協働へ」, the coordinator, a team member with consent, the same after withdrawal, an
organization outside the team and another city."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    Case,
    CaseEvent,
    CaseRequest,
    CaseTeamMember,
    Monitoring,
    PlanStatus,
    ResourceGap,
    SupportPlan,
)
from tsunagu.cases.tests.conftest import Household, org
from tsunagu.consent.services import consent_withdraw
from tsunagu.core.once import form_token_new
from tsunagu.organizations.models import Organization

TODAY = timezone.localdate


def test_the_flow_through_the_pages(
    household: Household, counselor: User, coordinator: User, receiver: User
) -> None:
    window = client_for(counselor)
    page = window.get(reverse("consultations:detail", args=[household.consultation.pk]))
    assert "多機関協働を依頼する" in page.content.decode()
    url = reverse("cases:request_create") + f"?consultation={household.consultation.pk}"
    response = window.post(
        url,
        {
            "consultation": household.consultation.pk,
            "coordinating_organization": org("chiiki-fukushi-ka").pk,
            "note": "8050の世帯",
            "basis": "consent",
            "consent": household.mother_consent.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()
    request = CaseRequest.dangerously_unscoped.get()

    hub = client_for(coordinator)
    work = hub.get(reverse("cases:work")).content.decode()
    assert "8050の世帯" in work
    response = hub.post(
        reverse("cases:request_act", args=[request.pk, "accept"]),
        {
            "title": "山田さん世帯",
            "subject": "household",
            "issues": ["8050", "hikikomori"],
            "lead_coordinator": coordinator.pk,
        },
    )
    case = Case.dangerously_unscoped.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    for code in ("jiritsu-soudan", "hokatsu-kita"):
        joined = hub.post(
            reverse("cases:team_join", args=[case.pk]),
            {"organization": org(code).pk, "role": "support", "joined_on": TODAY().isoformat()},
        )
        assert joined.status_code == 302, joined.content.decode()
        assert joined["Location"] == reverse("cases:detail", args=[case.pk])
    # the window that knows the son adds him from his page
    window = client_for(receiver)
    son_page = window.get(reverse("people:detail", args=[household.son.pk])).content.decode()
    assert (
        'id="case_member_case_q"' in son_page and "山田さん世帯" not in son_page
    )  # found by typing
    typed = {"without": str(household.son.pk), "q": "やまだ"}
    found = window.get(reverse("cases:choices"), typed)
    assert f'<option value="{case.pk}" selected>山田さん世帯</option>' in found.content.decode()
    added = window.post(
        reverse("cases:member_add_chosen"),
        {"case": case.pk, "person": household.son.pk, "relationship": "child"},
    )
    assert added["Location"] == reverse("cases:detail", args=[case.pk])
    # now in it, the son's case is not offered again
    again = window.get(reverse("cases:choices"), typed)
    assert "山田さん世帯" not in again.content.decode()
    detail = hub.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "山田 一郎" in detail and "共有中（本人同意）" in detail

    form = {
        "base_version": 0,
        "assessed_on": TODAY().isoformat(),
        "urgency": "medium",
        "household__checks": ["elderly_only"],
        "health__checks": ["care_certified"],
        "income__checks": ["pension"],
        "risk__note": "急迫した危険はない",
        "wishes__note": "家で暮らしたい",
    }
    assert hub.post(reverse("cases:assessment", args=[case.pk]), form).status_code == 302
    again = hub.post(reverse("cases:assessment", args=[case.pk]), form)  # the same form twice
    refused = again.content.decode()  # the first sheet, written meanwhile, and what it says
    assert "変更しました（変更された項目: " in refused and "緊急度" in refused
    assert "（現在 第1版）" in refused

    plan_form = {
        "kind": "multi_agency",
        "wishes": "「家で暮らしたい」",
        "goals": "介護サービスの利用",
        "issues": "介護と孤立",
        "monitoring_on": (TODAY() + dt.timedelta(days=30)).isoformat(),
        "review_on": (TODAY() + dt.timedelta(days=90)).isoformat(),
        "action0-description": "介護保険の申請",
        "action0-organization": org("hokatsu-kita").pk,
        "action0-due_on": (TODAY() + dt.timedelta(days=7)).isoformat(),
    }
    response = hub.post(reverse("cases:plan_new", args=[case.pk]), plan_form)
    plan = SupportPlan.dangerously_unscoped.get()
    assert response.status_code == 302
    hub.post(
        reverse("cases:plan_act", args=[plan.pk, "confer"]), {"conferred_on": TODAY().isoformat()}
    )
    hub.post(reverse("cases:plan_act", args=[plan.pk, "start"]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.IN_FORCE
    action = plan.actions.get()
    token = form_token_new()
    for _ in range(2):  # sent twice
        client_for(counselor).post(
            reverse("cases:monitoring", args=[plan.pk]),
            {
                "form_token": token,
                "monitored_on": TODAY().isoformat(),
                f"result_{action.pk}": "done",
                f"note_{action.pk}": "デイサービス開始",
            },
        )
    assert Monitoring.dangerously_unscoped.count() == 1
    response = hub.post(
        reverse("cases:close", args=[case.pk]),
        {
            "outcome": "closed",
            "closed_on": TODAY().isoformat(),
            "goals_met": "partly",
            "person_changes": "母は通所、息子は外出が増えた",
            "existing_services_sufficient": "no",
            "why_not": "中高年の居場所がない",
            "new_gap_field": "employment",
            "new_gap_description": "40代以上の居場所",
        },
    )
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.status == "closed"
    gaps = hub.get(reverse("cases:gaps")).content.decode()
    assert "40代以上の居場所" in gaps
    assert ResourceGap.dangerously_unscoped.get().cases.count() == 1


def test_who_sees_the_case_page(
    case: Case, household: Household, receiver: User, third: User, outsider: User, counselor: User
) -> None:
    url = reverse("cases:detail", args=[case.pk])
    missing = reverse("cases:detail", args=[987654])
    assert client_for(None).get(url).status_code == 302
    for user in (third, outsider):
        client = client_for(user)
        assert client.get(url).status_code == 404
        assert client.get(url).content == client.get(missing).content
    page = client_for(receiver).get(url).content.decode()
    assert "山田 トメ" in page  # the mother's consent covers くらしサポート
    logged = AccessLog.objects.filter(user=receiver, object_type="cases.case", action="view")
    assert {row.person_id for row in logged} == {household.mother.pk, household.son.pk}
    # after withdrawal: the mother's name is gone for くらしサポート, the household picture stays
    consent_withdraw(user=counselor, consent=household.mother_consent)
    page = client_for(receiver).get(url).content.decode()
    assert "山田 トメ" not in page and "共有の根拠がないため" in page
    assert "北地域包括支援センター" in page  # which window knows her


def test_team_members_cannot_change_the_case(case: Case, receiver: User) -> None:
    client = client_for(receiver)
    before = Case.dangerously_unscoped.get().status
    assert (
        client.post(reverse("cases:status", args=[case.pk]), {"status": "assessment"}).status_code
        == 404
    )
    assert client.get(reverse("cases:assessment", args=[case.pk])).status_code == 404
    assert client.get(reverse("cases:close", args=[case.pk])).status_code == 404
    assert Case.dangerously_unscoped.get().status == before
    # but they write on the timeline
    client.post(
        reverse("cases:event_add", args=[case.pk]),
        {
            "kind": "contact",
            "summary": "息子さんに会えた",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert CaseEvent.dangerously_unscoped.filter(
        kind="contact", organization__code="jiritsu-soudan"
    ).exists()


def test_a_timeline_entry_sent_twice_is_recorded_once(case: Case, receiver: User) -> None:
    """The timeline form carries the project's one-time form token (core/once.py): a double
    click or a resend writes one entry and says so; a form without a token writes nothing."""
    client = client_for(receiver)
    url = reverse("cases:event_add", args=[case.pk])
    form = {
        "kind": "contact",
        "summary": "電話で様子を聞いた",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    token = form_token_new()
    assert client.post(url, {**form, "form_token": token}).status_code == 302
    again = client.post(url, {**form, "form_token": token}, follow=True)
    assert "既に送信されています" in again.content.decode()
    assert CaseEvent.dangerously_unscoped.filter(summary="電話で様子を聞いた").count() == 1
    client.post(url, {**form, "form_token": None})
    assert CaseEvent.dangerously_unscoped.filter(summary="電話で様子を聞いた").count() == 1


def test_the_case_list_pages_with_a_fixed_number_of_queries(case: Case, coordinator: User) -> None:
    client = client_for(coordinator)
    client.get(reverse("cases:list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("cases:list"))
    from tsunagu.cases.services import CaseData, case_create

    for i in range(3):
        case_create(user=coordinator, data=CaseData(title=f"世帯{i}", origin="outreach"))
    with CaptureQueriesContext(connection) as four:
        assert "世帯2" in client.get(reverse("cases:list")).content.decode()
    assert len(four) == len(one)


def test_the_case_page_has_a_fixed_number_of_queries(
    case: Case, coordinator: User, receiver: User
) -> None:
    """Issue 15: the page's queries do not grow with its timeline (and its parts are read by
    the case the page opened, not by asking for the case's visibility once per part)."""
    from tsunagu.cases.services import case_event_add

    url = reverse("cases:detail", args=[case.pk])
    for client in (client_for(coordinator), client_for(receiver)):
        client.get(url)
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        for i in range(4):
            case_event_add(
                user=coordinator,
                case=case,
                kind="contact",
                summary=f"電話{i}",
                occurred_at=timezone.now() - dt.timedelta(hours=i + 1),
            )
        with CaptureQueriesContext(connection) as after:
            body = client.get(url).content.decode()
        assert "電話3" in body
        assert len(after) == len(before), [q["sql"] for q in after]


def test_adding_to_the_team_has_a_page_of_its_own(
    case: Case, coordinator: User, receiver: User
) -> None:
    """The case page links to the team form instead of drawing it (its list of every staff
    member of the city cost a big city's case page most of its time); the form's page shows
    the city's staff, re-shows a bad entry with its error, and is the coordinator's only."""
    hub = client_for(coordinator)
    page = hub.get(reverse("cases:detail", args=[case.pk])).content.decode()
    url = reverse("cases:team_join", args=[case.pk])
    assert f'href="{url}"' in page
    assert 'name="staff"' not in page
    form = hub.get(url)
    assert form.status_code == 200
    text = form.content.decode()
    assert 'name="organization"' in text and 'name="staff"' in text
    assert str(coordinator) in text
    newcomer = (
        Organization.objects.filter(municipality=case.organization.municipality)
        .exclude(pk__in=CaseTeamMember.dangerously_unscoped.values("organization"))
        .exclude(pk=case.organization_id)
        .order_by("pk")
        .first()
    )
    assert newcomer is not None
    bad = hub.post(url, {"organization": newcomer.pk, "role": "support", "joined_on": "昨日"})
    assert bad.status_code == 400
    assert "errorlist" in bad.content.decode() or "正しい日付" in bad.content.decode()
    assert not CaseTeamMember.dangerously_unscoped.filter(organization=newcomer).exists()
    # an organization with no basis to share: the service's reason on the form, nothing written
    refused = hub.post(
        url, {"organization": newcomer.pk, "role": "support", "joined_on": TODAY().isoformat()}
    )
    assert refused.status_code == 400
    assert "共有できる根拠がありません" in refused.content.decode()
    assert not CaseTeamMember.dangerously_unscoped.filter(organization=newcomer).exists()
    # a team member who does not coordinate sees neither the link nor the form
    member = client_for(receiver)
    assert (
        f'href="{url}"' not in member.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    assert member.get(url).status_code == 404
