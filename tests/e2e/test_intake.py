"""In a real browser: a counselor searches for a resident, registers her (the postal code fills
the address), takes a consultation and refers it on; the receiving window answers it. Every page
on the way is checked with axe-core."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from tests.e2e.conftest import axe_violations, describe, follow, waiting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "tsunagu-demo-2026"


def login(browser: Any, live_server: Any, username: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    waiting(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".site-nav")))


def value_of(browser: Any, element_id: str) -> str | None:
    """An input's value, or None while htmx is swapping it."""
    try:
        value: str | None = browser.find_element(By.ID, element_id).get_attribute("value")
    except WebDriverException:
        return None
    return value


def no_violations(browser: Any) -> None:
    violations = axe_violations(browser)
    assert not violations, f"{browser.current_url}\n{describe(violations)}"


def test_intake_and_referral_in_the_browser(browser: Any, live_server: Any) -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    wait = waiting(browser)
    login(browser, live_server, "imizu-counselor")

    browser.get(f"{live_server.url}/people/?q=ささき+こうじ")
    wait.until(ec.presence_of_element_located((By.ID, "results")))
    assert "佐々木 浩二" in browser.find_element(By.ID, "results").text  # demo resident, kana query
    no_violations(browser)

    browser.get(f"{live_server.url}/people/new/")
    no_violations(browser)
    browser.find_element(By.ID, "id_family_name").send_keys("齋藤")
    browser.find_element(By.ID, "id_given_name").send_keys("花")
    browser.find_element(By.ID, "id_family_name_kana").send_keys("さいとう")
    browser.find_element(By.ID, "id_given_name_kana").send_keys("はな")
    browser.find_element(By.ID, "id_postal_code").send_keys("939-0351")
    browser.find_element(By.ID, "id_phone").click()  # leaving the field asks for the address
    wait.until(lambda d: value_of(d, "id_address") == "富山県射水市戸破")
    browser.find_element(By.ID, "id_address").send_keys("4200番地")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[name=next][value=consultation]"))

    wait.until(ec.presence_of_element_located((By.ID, "id_content")))
    no_violations(browser)
    browser.find_element(By.CSS_SELECTOR, "input[name=channel][value=window]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=requester][value=self]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=topics][value=income]").click()
    browser.find_element(By.CSS_SELECTOR, "select[name=main_topic] option[value=debt]").click()
    browser.find_element(By.ID, "id_content").send_keys("借金の返済が苦しく、生活費が足りない。")
    browser.find_element(By.CSS_SELECTOR, "input[name=response][value=referral]").click()
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit].button"))

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.sheet")))
    assert "借金の返済が苦しく" in browser.find_element(By.TAG_NAME, "main").text
    assert "（住所" not in browser.find_element(By.TAG_NAME, "main").text
    no_violations(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "ほかの機関へつなぐ"))
    wait.until(ec.presence_of_element_located((By.ID, "id_reason")))
    no_violations(browser)
    target = "select[name=to_organization] option:nth-child(2)"
    browser.find_element(By.CSS_SELECTOR, target).click()
    browser.find_element(By.ID, "id_reason").send_keys("家計の立て直しの相談")
    browser.find_element(By.CSS_SELECTOR, "input[name=basis][value=statute]").click()
    Select(browser.find_element(By.ID, "id_statute")).select_by_value("elder-abuse-7")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit].button"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "p.status")))
    assert "依頼中" in browser.find_element(By.CSS_SELECTOR, "p.status").text
    no_violations(browser)

    # the demo's other window has a referral waiting: badge, inbox, answer
    login(browser, live_server, "imizu-counselor2")
    badge = browser.find_element(By.CSS_SELECTOR, ".site-nav .badge")
    assert badge.text == "1"
    browser.get(f"{live_server.url}/referrals/?box=in")
    no_violations(browser)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "tbody a"))
    wait.until(ec.presence_of_element_located((By.ID, "shared-heading")))
    no_violations(browser)
    follow(browser, browser.find_element(By.XPATH, "//button[text()='受理する']"))
    wait.until(lambda d: "受理" in d.find_element(By.CSS_SELECTOR, "p.status").text)
