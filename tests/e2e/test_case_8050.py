"""In a real browser: an 8050 household from a consultation marked 「多機関協働へ」 to closure.

The 地域包括支援センター's counselor (who knows the 80-year-old mother) sends the
request; the coordinator at 地域福祉課 accepts it and builds the team; the
くらしサポートセンター (which knows the 50-year-old son) adds his record; the coordinator
writes the assessment and the plan, takes it to the 重層的支援会議 and starts it; the
counselor records the monitoring; the coordinator closes the case, finding that a resource was
missing, which then stands in the register. Every page on the way is checked with axe-core."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_violations, describe, follow, waiting
from tsunagu.accounts.models import Role
from tsunagu.cases.models import Case, CaseRequest, ResourceGap
from tsunagu.cases.tests.conftest import make_household
from tsunagu.organizations.models import Municipality, Organization

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(browser: Any, live_server: Any, username: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    waiting(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".site-nav")))


def checked(browser: Any) -> None:
    violations = axe_violations(browser)
    assert not violations, f"{browser.current_url}\n{describe(violations)}"


def set_value(browser: Any, css: str, value: str) -> None:
    """Date inputs take their value as YYYY-MM-DD whatever the browser's locale."""
    browser.execute_script(
        "arguments[0].value = arguments[1]", browser.find_element(By.CSS_SELECTOR, css), value
    )


def select(browser: Any, css: str, value: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"{css} option[value='{value}']").click()


def submit(browser: Any, form_css: str = "main form[method=post]") -> None:
    form = browser.find_element(By.CSS_SELECTOR, form_css)
    follow(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def main_text(browser: Any) -> str:
    text: str = browser.find_element(By.TAG_NAME, "main").text
    return text


def test_an_8050_household_from_request_to_closure(
    browser: Any, live_server: Any, city: Municipality
) -> None:
    city.two_factor_required = False  # the walk is about cases; sign-in has its own tests
    city.save(update_fields=["two_factor_required"])
    counselor = make_user(city, "hokatsu-kita", Role.COUNSELOR, "counselor")
    receiver = make_user(city, "jiritsu-soudan", Role.COUNSELOR, "receiver")
    make_user(city, "chiiki-fukushi-ka", Role.COORDINATOR, "coordinator")
    home = make_household(counselor, receiver)
    today = timezone.localdate()
    later = (today + dt.timedelta(days=30)).isoformat()
    url = live_server.url

    # the window sends the consultation marked 「多機関協働へ」
    login(browser, live_server, "counselor")
    browser.get(f"{url}/consultations/{home.consultation.pk}/")
    follow(browser, browser.find_element(By.LINK_TEXT, "多機関協働を依頼する"))
    checked(browser)
    browser.find_element(By.ID, "id_note").send_keys(
        "80代の母の介護と、50代の息子の長期のひきこもり"
    )
    browser.find_element(By.CSS_SELECTOR, "input[name=basis][value=consent]").click()
    select(browser, "#id_consent", str(home.mother_consent.pk))
    submit(browser)
    assert "依頼中" in main_text(browser)

    # the coordinator finds it on the work list and opens the case
    login(browser, live_server, "coordinator")
    browser.get(f"{url}/cases/")
    checked(browser)
    assert "50代の息子" in main_text(browser)
    request = CaseRequest.dangerously_unscoped.get()
    follow(
        browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/cases/requests/{request.pk}/']")
    )
    checked(browser)
    assert browser.find_element(By.ID, "id_title").get_attribute("value") == "山田さん世帯"
    submit(browser, f"form[action='/cases/requests/{request.pk}/accept/']")
    case = Case.dangerously_unscoped.get()
    assert browser.current_url.endswith(f"/cases/{case.pk}/")
    checked(browser)
    for code in ("hokatsu-kita", "jiritsu-soudan"):
        follow(browser, browser.find_element(By.LINK_TEXT, "支援チームに機関を加える"))
        checked(browser)
        organization = Organization.objects.get(code=code)
        select(browser, "#id_organization", str(organization.pk))
        submit(browser)
        assert f"{organization.name}が支援チームに加わりました" in main_text(browser)

    # the window that knows the son adds his record to the household
    login(browser, live_server, "receiver")
    browser.get(f"{url}/people/{home.son.pk}/")
    checked(browser)
    browser.find_element(By.XPATH, "//summary[contains(., '事例の世帯員に加える')]").click()
    browser.find_element(By.CSS_SELECTOR, "#case_member_case_q").send_keys("山田")
    waiting(browser).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, f"#case_member_case option[value='{case.pk}']")
    )
    select(browser, "#case_member_case", str(case.pk))
    select(browser, "#case_member_relationship", "child")
    checked(browser)
    submit(browser, "form[action='/cases/members/']")
    assert "山田 一郎" in main_text(browser)

    # the coordinator: assessment, plan, 重層的支援会議, start
    login(browser, live_server, "coordinator")
    browser.get(f"{url}/cases/{case.pk}/")
    assert "共有中（本人同意）" in main_text(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "アセスメントを記入する（新しい版）"))
    checked(browser)
    for name, value in (
        ("household__checks", "elderly_only"),
        ("health__checks", "care_certified"),
        ("income__checks", "pension"),
        ("risk__checks", "money_urgent"),
        ("family__checks", "care_burden"),
        ("participation__checks", "withdrawn"),
    ):
        browser.find_element(By.CSS_SELECTOR, f"input[name={name}][value={value}]").click()
    browser.find_element(By.ID, "id_wishes__note").send_keys("「息子のことが心配。家で暮らしたい」")
    select(browser, "#id_urgency", "medium")
    submit(browser)
    assert "アセスメントを保存しました" in main_text(browser)

    follow(browser, browser.find_element(By.LINK_TEXT, "多機関協働事業のプランを作成"))
    checked(browser)
    browser.find_element(By.ID, "id_wishes").send_keys(
        "「家で暮らし続けたい。息子にも外に出てほしい」"
    )
    browser.find_element(By.ID, "id_goals").send_keys(
        "母の介護サービス利用と、息子の社会参加の一歩"
    )
    browser.find_element(By.ID, "id_issues").send_keys("介護負担、息子の孤立、家計")
    browser.find_element(
        By.CSS_SELECTOR, "input[name=referral_checks][value=participation_wish]"
    ).click()
    set_value(browser, "#id_monitoring_on", later)
    set_value(browser, "#id_review_on", (today + dt.timedelta(days=90)).isoformat())
    rows = [
        ("介護保険サービスの利用調整", "hokatsu-kita"),
        ("息子さんへの訪問と家計相談", "jiritsu-soudan"),
    ]
    for i, (text, code) in enumerate(rows):
        browser.find_element(By.ID, f"id_action{i}-description").send_keys(text)
        select(browser, f"#id_action{i}-organization", str(Organization.objects.get(code=code).pk))
        set_value(browser, f"#id_action{i}-due_on", later)
    submit(browser)
    assert "第1版（下書き）を作成しました" in main_text(browser)
    checked(browser)
    submit(browser, "form[action$='/confer/']")
    submit(browser, "form[action$='/start/']")
    assert "実施中" in main_text(browser)
    plan_url = browser.current_url

    # the window records how its action went
    login(browser, live_server, "counselor")
    browser.get(plan_url)
    follow(browser, browser.find_element(By.LINK_TEXT, "モニタリングを記録する"))
    checked(browser)
    selects = browser.find_elements(By.CSS_SELECTOR, "select[name^=result_]")
    for element, value in zip(selects, ("done", "partly"), strict=True):
        element.find_element(By.CSS_SELECTOR, f"option[value={value}]").click()
    browser.find_element(By.ID, "id_summary").send_keys("母はデイサービスに通い始めた")
    submit(browser)
    assert "モニタリングを記録しました" in main_text(browser)

    # closure with a missing resource
    login(browser, live_server, "coordinator")
    browser.get(f"{url}/cases/{case.pk}/close/")
    checked(browser)
    browser.find_element(By.CSS_SELECTOR, "input[name=outcome][value=closed]").click()
    select(browser, "#id_goals_met", "partly")
    browser.find_element(By.ID, "id_person_changes").send_keys("母は通所、息子は週に一度外出")
    browser.find_element(
        By.CSS_SELECTOR, "input[name=existing_services_sufficient][value=no]"
    ).click()
    browser.find_element(By.ID, "id_why_not").send_keys(
        "40代以上のひきこもりの方の居場所が市内にない"
    )
    select(browser, "#id_new_gap_field", "employment")
    browser.find_element(By.ID, "id_new_gap_description").send_keys(
        "中高年のひきこもりの方の居場所・就労体験"
    )
    submit(browser)
    assert "評価を記録しました" in main_text(browser)
    assert "終結" in browser.find_element(By.CSS_SELECTOR, "p.status").text
    checked(browser)
    browser.get(f"{url}/cases/resource-gaps/")
    checked(browser)
    assert "中高年のひきこもりの方の居場所" in main_text(browser)
    gap = ResourceGap.dangerously_unscoped.get()
    assert gap.cases.get().case == case and gap.status == "considering"
