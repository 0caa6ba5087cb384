"""In a real browser: a person who refuses help, from a 支援会議 (no consent) to a
重層的支援会議 that approves her plan once she consents.

地域福祉課 convenes the 支援会議 and records 北地域包括支援センター's attendance and pledge; the
centre, which alone knows 井上さん, puts her on the agenda; the secretariat then sees her (the
grant names the meeting). Later she consents, the coordinator opens a case and drafts a plan,
convenes the 重層的支援会議, which offers the case as ready to move, puts it on the agenda and
approves the plan. Every page on the way is checked with axe-core."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from conftest import make_user
from tests.e2e.conftest import follow, waiting
from tests.e2e.test_case_8050 import checked, login, main_text, select, set_value, submit
from tsunagu.accounts.models import Role
from tsunagu.cases.models import PlanStatus, ResourceGapCase, SupportPlan
from tsunagu.cases.services import ActionData, CaseData, PlanData, case_create, plan_create
from tsunagu.consent.services import consent_record
from tsunagu.meetingrecords.models import ActionItem, Meeting
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people.services import PersonData, person_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def opened(browser: Any, summary: str, field: str) -> None:
    """Open a recording form of the meeting page (fetched when its summary is clicked)."""
    browser.find_element(By.XPATH, f"//summary[normalize-space()='{summary}']").click()
    waiting(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, field))


def test_from_a_support_meeting_to_a_case_conference(
    browser: Any, live_server: Any, city: Municipality
) -> None:
    city.two_factor_required = False  # the walk is about meetings; sign-in has its own tests
    city.save(update_fields=["two_factor_required"])
    counselor = make_user(city, "hokatsu-kita", Role.COUNSELOR, "counselor")
    coordinator = make_user(city, "chiiki-fukushi-ka", Role.COORDINATOR, "coordinator")
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name="井上",
            given_name="節子",
            family_name_kana="いのうえ",
            given_name_kana="せつこ",
            birth_date=dt.date(1948, 3, 3),
        ),
    )
    today = timezone.localdate().isoformat()
    url = live_server.url
    window = Organization.objects.get(municipality=city, code="hokatsu-kita")
    hub = Organization.objects.get(municipality=city, code="chiiki-fukushi-ka")

    # the secretariat convenes the 支援会議 and records the centre's attendance and pledge
    login(browser, live_server, "coordinator")
    browser.get(f"{url}/meetings/")
    checked(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "会議を登録する"))
    checked(browser)
    support_body = MeetingBody.objects.get(municipality=city, code="shien-kaigi")
    select(browser, "#id_body", str(support_body.pk))
    select(browser, "#id_kind", "confidential_support_meeting")
    set_value(browser, "#id_held_on", today)
    submit(browser, "main form")
    meeting = Meeting.dangerously_unscoped.get()
    assert browser.current_url.endswith(f"/meetings/{meeting.pk}/")
    assert "非公開" in main_text(browser)
    opened(browser, "出席者を加える", "#attendee_organization")
    select(browser, "#attendee_organization", str(window.pk))
    submit(browser, "form[action$='/attendees/']")
    browser.find_element(
        By.CSS_SELECTOR, "form[action$='/pledges/'] input[name=signer_name]"
    ).send_keys("相談員A")
    submit(browser, "form[action$='/pledges/']")
    assert "相談員A" in main_text(browser)
    checked(browser)

    # the centre puts the person only it knows on the agenda; no consent is asked
    login(browser, live_server, "counselor")
    browser.get(f"{url}/meetings/{meeting.pk}/")
    checked(browser)
    select(browser, "#agenda_kind", "person")
    assert not browser.find_elements(By.CSS_SELECTOR, f"#agenda_person option[value='{person.pk}']")
    # found by typing
    browser.find_element(By.CSS_SELECTOR, "#agenda_person_q").send_keys("いのうえ")
    waiting(browser).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, f"#agenda_person option[value='{person.pk}']")
    )
    select(browser, "#agenda_person", str(person.pk))
    checked(browser)
    submit(browser, "form[action$='/agenda/']")
    assert "井上 節子" in main_text(browser)

    # the secretariat now sees her, under the meeting's grant
    login(browser, live_server, "coordinator")
    browser.get(f"{url}/meetings/{meeting.pk}/")
    assert "井上 節子" in main_text(browser)

    # she consents; the coordinator opens a case and drafts a plan
    consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="重層的支援会議での協議",
        scope_organizations=[hub],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    case = case_create(
        user=coordinator,
        data=CaseData(title="井上さん", origin="support_meeting"),
        principal=person,
    )
    later = timezone.localdate() + dt.timedelta(days=30)
    plan = plan_create(
        user=coordinator,
        case=case,
        kind="multi_agency",
        data=PlanData(
            wishes="家で暮らしたい",
            goals="見守りを受け入れる",
            issues="孤立",
            monitoring_on=later,
            review_on=later,
        ),
        actions=[ActionData("月1回の訪問", hub, later)],
    )

    # the 重層的支援会議 offers the case, puts it on the agenda and approves the plan
    browser.get(f"{url}/meetings/new/")
    conference_body = MeetingBody.objects.get(municipality=city, code="jusoteki-shien-kaigi")
    select(browser, "#id_body", str(conference_body.pk))
    select(browser, "#id_kind", "case_conference")
    set_value(browser, "#id_held_on", today)
    submit(browser, "main form")
    opened(browser, "出席者を加える", "#attendee_organization")
    select(browser, "#attendee_organization", str(window.pk))
    submit(browser, "form[action$='/attendees/']")
    opened(browser, "重層的支援会議に移れる事例を見る", ".ready-cases button")
    checked(browser)
    follow(browser, browser.find_element(By.XPATH, "//li[contains(., '井上さん')]//button"))
    assert "事例: 井上さん" in main_text(browser)
    submit(browser, "form[action$='/approve/']")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFERRED
    assert "支援プラン（多機関協働事業）第1版を承認" in main_text(browser)
    checked(browser)
    browser.get(f"{url}/cases/{case.pk}/")
    assert "重層的支援会議" in main_text(browser)
    assert SupportPlan.dangerously_unscoped.get().conferred_on == timezone.localdate()

    # the minutes of the case, opened on demand; a missing resource found at the meeting goes
    # to the register, behind the case on its agenda
    conference = Meeting.dangerously_unscoped.get(kind="case_conference")
    browser.get(f"{url}/meetings/{conference.pk}/")
    opened(browser, "議事録を記録する", "textarea[name=minutes]")
    checked(browser)
    browser.find_element(By.CSS_SELECTOR, "textarea[name=minutes]").send_keys("住まいを探す")
    submit(browser, "form[action$='/minutes/']")
    assert "住まいを探す" in main_text(browser)
    opened(browser, "社会資源の不足を登録簿へ", "#gap_field")
    select(browser, "#gap_field", "housing")
    browser.find_element(By.CSS_SELECTOR, "#gap_description").send_keys("保証人のいらない住まい")
    browser.find_element(By.CSS_SELECTOR, "form[action$='/gaps/'] input[name=items]").click()
    submit(browser, "form[action$='/gaps/']")
    assert "社会資源の不足を登録簿へ（住まい）: 保証人のいらない住まい" in main_text(browser)
    assert ResourceGapCase.dangerously_unscoped.get().case_id == case.pk

    # an action item for the centre joins its work list, where it is marked done
    opened(browser, "宿題を記録する", "#action_organization")
    checked(browser)
    select(browser, "#action_organization", str(window.pk))
    browser.find_element(By.CSS_SELECTOR, "#action_description").send_keys("月1回訪問する")
    set_value(browser, "#action_due_on", today)
    submit(browser, "form[action$='/actions/']")
    login(browser, live_server, "counselor")
    browser.get(f"{url}/cases/")
    assert "月1回訪問する" in main_text(browser)
    checked(browser)
    submit(browser, "form[action$='/done/']")
    assert "宿題を完了にしました" in main_text(browser)
    assert ActionItem.dangerously_unscoped.get().done_on == timezone.localdate()
