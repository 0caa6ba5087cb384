"""In a real browser: the idle warning appears before the idle timeout, 作業を続ける keeps the
session, and without activity the page signs out by itself (so no personal data stays on an
unattended screen); all under the strict Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import PASSWORD
from tests.e2e.conftest import follow, waiting
from tsunagu.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_idle_warning_then_sign_out(
    browser: Any, live_server: Any, counselor: User, settings: Any
) -> None:
    settings.IDLE_TIMEOUT_SECONDS = 8
    settings.IDLE_WARNING_SECONDS = 5
    municipality = counselor.organization.municipality  # type: ignore[union-attr]
    municipality.two_factor_required = False
    municipality.save()
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/accounts/login/?next=/people/")
    browser.find_element(By.ID, "id_username").send_keys(counselor.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait = waiting(browser, 20)
    dialog = wait.until(ec.visibility_of_element_located((By.ID, "idle-warning")))
    assert "まもなく自動的にログアウトします" in dialog.text
    dialog.find_element(By.CSS_SELECTOR, "[data-idle-continue]").click()
    wait.until(ec.invisibility_of_element_located((By.ID, "idle-warning")))
    assert "/people/" in browser.current_url
    # no further activity: the page signs out on its own
    wait.until(lambda d: "/accounts/login/" in d.current_url)
    wait.until(ec.presence_of_element_located((By.ID, "id_username")))
    browser.get(f"{live_server.url}/people/")
    assert "/accounts/login/" in browser.current_url
