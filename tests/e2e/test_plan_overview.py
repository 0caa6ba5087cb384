"""In a real browser: a counselor signs in, opens the plan overview of 伊勢市, and the pages
have no WCAG 2.1 A/AA violations that axe-core can find."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e.conftest import axe_violations, describe, follow, waiting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_plan_overview(browser: Any, live_server: Any) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    call_command("load_demo", "ise", stdout=StringIO())
    wait = waiting(browser)

    browser.get(f"{live_server.url}/plan/")
    wait.until(ec.presence_of_element_located((By.ID, "id_username")))
    assert "ログイン" in browser.title
    violations = axe_violations(browser)
    assert not violations, describe(violations)

    browser.find_element(By.ID, "id_username").send_keys("ise-counselor")
    browser.find_element(By.ID, "id_password").send_keys("tsunagu-demo-2026")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    wait.until(ec.presence_of_element_located((By.ID, "programs")))
    assert browser.current_url.endswith("/plan/")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert "伊勢市重層的支援体制整備事業実施計画" in heading
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "第5号 多機関協働事業" in body
    assert "令和8年度" in body
    violations = axe_violations(browser)
    assert not violations, describe(violations)


def test_directory_filters_without_reload(browser: Any, live_server: Any) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    call_command("load_demo", "ise", stdout=StringIO())
    wait = waiting(browser)
    browser.get(f"{live_server.url}/accounts/login/?next=/organizations/")
    browser.find_element(By.ID, "id_username").send_keys("ise-coordinator")
    browser.find_element(By.ID, "id_password").send_keys("tsunagu-demo-2026")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.ID, "results")))
    marker = browser.execute_script("window.__notReloaded = true; return 1")
    assert marker == 1
    browser.find_element(By.ID, "q").send_keys("地域包括")
    wait.until(
        lambda d: (
            "地域包括支援センター" in d.find_element(By.ID, "results").text
            and "健康課" not in d.find_element(By.ID, "results").text
        )
    )
    assert browser.execute_script("return window.__notReloaded === true")  # htmx swapped in place
    assert "q=" in browser.current_url  # and the URL can be shared
    violations = axe_violations(browser)
    assert not violations, describe(violations)
