"""In a real browser: a manager of 南市 signs in with the second factor, opens the evaluation
dashboard for a fiscal year with records, and sees every chart drawn (an image with its text
alternative, decoded under the page's Content-Security-Policy) followed by its table; axe-core
finds no WCAG 2.1 A/AA violation. A counselor, whose role does not see the city's figures,
gets the not-found page, as for any page only some staff may open."""

from __future__ import annotations

import os
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.management.commands import db_worker
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import PASSWORD
from conftest import totp_code as code_for
from tests.e2e.conftest import axe_violations, describe, follow, waiting
from tsunagu.accounts.models import User
from tsunagu.evaluation.tests.activity import YEAR, build
from tsunagu.organizations.models import Municipality

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Any, live_server: Any, user: User, path: str) -> None:
    """Password, then the code of the user's authenticator app (南市 requires it)."""
    device = TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=True)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/accounts/login/?next={path}")
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    waiting(browser).until(ec.presence_of_element_located((By.ID, "id_token")))
    browser.find_element(By.ID, "id_token").send_keys(code_for(device))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))


# each chart: (its section's heading id, words its text alternative must have)
CHARTS = {
    "consultations": "機関別・月別の相談件数",
    "compound": "同じ世帯で重なった相談内容",
    "referrals": "つなぎの流れ",
    "cases": "年度末（2026年3月31日）の状態",
    "gaps": "社会資源の不足",
}


def test_a_manager_reads_the_dashboard_and_a_counselor_is_refused(
    browser: Any,
    live_server: Any,
    city: Municipality,
    counselor: User,
    coordinator: User,
    receiver: User,
    manager: User,
) -> None:
    build(municipality=city, counselor=counselor, coordinator=coordinator, receiver=receiver)
    wait = waiting(browser, 60)
    path = f"/evaluation/dashboard/?fy={YEAR}"
    _sign_in(browser, live_server, manager, path)
    wait.until(ec.presence_of_element_located((By.ID, "cases")))
    assert browser.current_url.endswith(path)
    assert "評価ダッシュボード（令和7年度）" in browser.find_element(By.TAG_NAME, "h1").text

    figures = browser.find_elements(By.CSS_SELECTOR, "figure.chart img")
    assert len(figures) >= len(CHARTS)
    # every image fetched from the app (the chart by its hash), decoded and described
    wait.until(
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('figure.chart img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
    )
    chart_src = re.compile(r"/evaluation/dashboard/charts/\d+/[0-9a-f]+\.svg$")
    for img in figures:
        assert chart_src.search(img.get_attribute("src"))
        assert len(img.get_attribute("alt")) > 20
        assert img.size["width"] > 300 and img.size["height"] > 100
    for heading, words in CHARTS.items():
        section = browser.find_element(By.CSS_SELECTOR, f"section[aria-labelledby={heading}]")
        img = section.find_element(By.CSS_SELECTOR, "figure.chart img")
        assert words in img.get_attribute("alt"), heading
        # the chart's numbers: a table with a caption and rows, right after the figure
        table = section.find_element(By.CSS_SELECTOR, "figure.chart ~ div table")
        assert table.find_element(By.TAG_NAME, "caption").text.strip(), heading
        assert table.find_elements(By.CSS_SELECTOR, "tbody tr"), heading
    total = browser.find_element(By.ID, "consultations").text
    assert "延べ" in total and "延べ 0件" not in total  # the year has records
    violations = axe_violations(browser)
    assert not violations, describe(violations)
    if shots := os.environ.get("TSUNAGU_E2E_SCREENSHOTS"):  # to look at the page as an image
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(1280, min(height, 8000))
        browser.save_screenshot(str(Path(shots) / "evaluation-dashboard.png"))
        browser.set_window_size(1280, 1024)

    # a counselor (no role that sees the city's figures): the page does not exist for them
    _sign_in(browser, live_server, counselor, path)
    wait.until(lambda d: "Not Found" in d.find_element(By.TAG_NAME, "body").text)
    assert "評価ダッシュボード" not in browser.find_element(By.TAG_NAME, "body").text


def test_the_page_waits_for_the_task_worker_and_shows_what_it_counted(
    browser: Any,
    live_server: Any,
    city: Municipality,
    counselor: User,
    coordinator: User,
    receiver: User,
    manager: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As in production: the page hands the counting to the worker and polls; when the worker
    has run, the figures and charts replace the waiting message without a reload."""
    build(municipality=city, counselor=counselor, coordinator=coordinator, receiver=receiver)
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    wait = waiting(browser, 60)
    path = f"/evaluation/dashboard/?fy={YEAR}"
    _sign_in(browser, live_server, manager, path)
    wait.until(lambda d: "集計して図を描いています" in d.find_element(By.TAG_NAME, "main").text)
    assert not browser.find_elements(By.CSS_SELECTOR, "figure.chart img")
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    wait.until(ec.presence_of_element_located((By.ID, "cases")))
    assert browser.current_url.endswith(path)  # the same page, swapped in place
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure.chart img")) >= len(CHARTS)
    assert "集計して図を描いています" not in browser.find_element(By.TAG_NAME, "main").text
    assert not axe_violations(browser)
