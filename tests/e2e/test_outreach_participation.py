"""In a real browser: アウトリーチ from first notice through a talk with the person to her record,
a case and an アウトリーチ等支援 plan, and 参加支援 from
the needs profile through a suggestion, 体験 and 利用開始 to the end and its follow-up. Every page
on the way is checked with axe-core."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from conftest import make_user
from tests.e2e.conftest import follow
from tests.e2e.test_case_8050 import checked, login, main_text, select, set_value, submit
from tsunagu.accounts.models import Role
from tsunagu.cases.models import Case, PlanKind, SupportPlan
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.outreach.models import OutreachTarget, Stage
from tsunagu.participation.models import FollowUp, Placement, PlacementStage
from tsunagu.participation.tests.conftest import make_host
from tsunagu.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def send(browser: Any, action: str) -> None:
    """Submit the form posting to `action` (a path)."""
    form = browser.find_element(By.CSS_SELECTOR, f"main form[action='{action}']")
    follow(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_an_outreach_target_from_notice_to_a_case_and_a_plan(
    browser: Any, live_server: Any, city: Municipality
) -> None:
    city.two_factor_required = False
    city.save(update_fields=["two_factor_required"])
    # the city's outreach worker sits in 地域福祉課, the organization that coordinates cases
    make_user(city, "chiiki-fukushi-ka", Role.OUTREACH_WORKER, "outreach")
    today = timezone.localdate()
    url = live_server.url
    login(browser, live_server, "outreach")
    browser.get(f"{url}/outreach/targets/new/")
    checked(browser)
    browser.find_element(By.ID, "id_label").send_keys("本町三丁目の一人暮らしの高齢男性")
    browser.find_element(By.ID, "id_whereabouts").send_keys("公民館の裏")
    set_value(browser, "#id_noticed_on", (today - dt.timedelta(days=10)).isoformat())
    select(browser, "#id_source", "minsei")
    browser.find_element(By.ID, "id_check_in_every_days").send_keys("7")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    target = OutreachTarget.dangerously_unscoped.get()
    assert "対象者を登録しました" in main_text(browser)
    checked(browser)
    set_value(browser, "#id_contacted_on", today.isoformat())
    select(browser, "#id_method", "visit")
    select(browser, "#id_outcome", "talked")
    send(browser, f"/outreach/targets/{target.pk}/contacts/")
    assert "接触を記録しました" in main_text(browser)
    target.refresh_from_db()
    assert target.stage == Stage.BUILDING

    # he gives his name: his record, linked to the target
    browser.get(f"{url}/people/new/")
    browser.find_element(By.ID, "id_family_name").send_keys("佐藤")
    browser.find_element(By.ID, "id_given_name").send_keys("一")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit].button"))
    person = Person.dangerously_unscoped.get()
    browser.get(f"{url}/outreach/targets/{target.pk}/")
    browser.find_element(By.ID, "id_person").send_keys(str(person.pk))
    send(browser, f"/outreach/targets/{target.pk}/identify/")
    assert "本人の記録につなぎました" in main_text(browser)
    checked(browser)

    # the case, opened from the target's page, then linked to it
    follow(browser, browser.find_element(By.LINK_TEXT, "この本人の事例を開始する"))
    checked(browser)
    browser.find_element(By.ID, "id_title").send_keys("佐藤さん")
    submit(browser)
    assert "事例を開始しました" in main_text(browser)
    case = Case.dangerously_unscoped.get()
    assert case.members.filter(person=person).exists()
    browser.get(f"{url}/outreach/targets/{target.pk}/")
    browser.find_element(By.ID, "id_person").send_keys(str(person.pk))
    browser.find_element(By.ID, "id_case").send_keys(str(case.pk))
    send(browser, f"/outreach/targets/{target.pk}/identify/")
    assert "佐藤さん" in main_text(browser)

    # the アウトリーチ等支援 plan, from the target's page
    follow(browser, browser.find_element(By.LINK_TEXT, "アウトリーチ等支援のプランを作成する"))
    checked(browser)
    browser.find_element(By.ID, "id_wishes").send_keys("「いまは家にいたい。たまに話すのはいい」")
    browser.find_element(By.ID, "id_goals").send_keys("週に一度の訪問を続け、外出の機会をつくる")
    browser.find_element(By.ID, "id_issues").send_keys("社会的孤立、生活の乱れ")
    set_value(browser, "#id_monitoring_on", (today + dt.timedelta(days=30)).isoformat())
    set_value(browser, "#id_review_on", (today + dt.timedelta(days=90)).isoformat())
    browser.find_element(By.ID, "id_action0-description").send_keys("週一回の訪問")
    organization = Organization.objects.get(municipality=city, code="chiiki-fukushi-ka")
    select(browser, "#id_action0-organization", str(organization.pk))
    set_value(browser, "#id_action0-due_on", (today + dt.timedelta(days=30)).isoformat())
    submit(browser)
    assert "第1版（下書き）を作成しました" in main_text(browser)
    plan = SupportPlan.dangerously_unscoped.get()
    assert (plan.case, plan.kind) == (case, PlanKind.OUTREACH)
    checked(browser)

    # and the target's stage: 支援につながった
    browser.get(f"{url}/outreach/targets/{target.pk}/")
    select(browser, "#id_stage", "connected")
    send(browser, f"/outreach/targets/{target.pk}/stage/")
    assert "段階を変えました" in main_text(browser)
    target.refresh_from_db()
    assert (target.person, target.case, target.stage) == (person, case, Stage.CONNECTED)
    browser.get(f"{url}/outreach/")
    checked(browser)
    browser.get(f"{url}/outreach/activities/")
    checked(browser)
    browser.get(f"{url}/outreach/counts/")
    checked(browser)


def test_a_placement_from_profile_to_follow_up(
    browser: Any, live_server: Any, city: Municipality
) -> None:
    city.two_factor_required = False
    city.save(update_fields=["two_factor_required"])
    counselor = make_user(city, "hokatsu-kita", Role.PARTICIPATION_COORDINATOR, "sanka")
    manager = make_user(city, "chiiki-fukushi-ka", Role.MANAGER, "boss")
    host = make_host(manager, counselor)
    today = timezone.localdate()
    url = live_server.url
    login(browser, live_server, "sanka")
    browser.get(f"{url}/participation/persons/{host.person.pk}/")
    checked(browser)
    browser.find_element(By.ID, "id_interests").send_keys("土いじり")
    browser.find_element(By.CSS_SELECTOR, "input[name=kinds][value=agri_welfare]").click()
    send(browser, f"/participation/persons/{host.person.pk}/")
    assert "希望する種類（農福連携）です" in main_text(browser)
    checked(browser)
    set_value(browser, "#id_proposed_on", (today - dt.timedelta(days=5)).isoformat())
    send(browser, f"/participation/persons/{host.person.pk}/propose/")
    placement = Placement.dangerously_unscoped.get()
    checked(browser)
    for step in ("trial", "start"):
        set_value(browser, f"#on-{step}", (today - dt.timedelta(days=3)).isoformat())
        send(browser, f"/participation/placements/{placement.pk}/{step}/")
    set_value(browser, "#id_attended_on", today.isoformat())
    send(browser, f"/participation/placements/{placement.pk}/attendance/")
    assert "参加を記録しました" in main_text(browser)
    set_value(browser, "#on-end", today.isoformat())
    send(browser, f"/participation/placements/{placement.pk}/end/")
    placement.refresh_from_db()
    assert placement.stage == PlacementStage.ENDED
    assert FollowUp.dangerously_unscoped.get().due_on > today
    checked(browser)
    browser.get(f"{url}/participation/")
    checked(browser)
    browser.get(f"{url}/participation/hosts/{host.resource.pk}/")
    checked(browser)
