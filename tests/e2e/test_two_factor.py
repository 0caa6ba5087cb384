"""In a real browser: the first sign-in of a city that requires a second factor shows the
enrolment page (QR code drawn by the server, the key for manual entry), a code made from that
key enrols the app, and the next page opens; axe-core checks the enrolment page."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import totp
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import PASSWORD
from tests.e2e.conftest import axe_violations, describe, follow, waiting
from tsunagu.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrol_an_authenticator_app(browser: Any, live_server: Any, counselor: User) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/accounts/login/?next=/people/")
    browser.find_element(By.ID, "id_username").send_keys(counselor.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait = waiting(browser)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".qr svg")))
    assert "/accounts/two-factor/setup/" in browser.current_url
    violations = axe_violations(browser)
    assert not violations, describe(violations)
    key = browser.find_element(By.CSS_SELECTOR, "code.secret").text.replace(" ", "")
    code = f"{totp(b32decode(key), 30, 0, 6, 0):06d}"  # what the phone's app would show
    browser.find_element(By.ID, "id_token").send_keys(code)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    wait.until(lambda d: d.current_url.endswith("/people/"))
    assert "認証アプリを登録しました" in browser.find_element(By.TAG_NAME, "main").text
