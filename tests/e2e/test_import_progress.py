"""In a real browser: upload a Shift_JIS file, watch htmx drive the progress to the end, and
check the pages with axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import PASSWORD
from conftest import totp_code as code_for
from tests.e2e.conftest import axe_violations, describe, follow, waiting
from tsunagu.accounts.models import User
from tsunagu.imports.tests.conftest import PERSON_HEADER, PERSONS, write
from tsunagu.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_and_progress_in_a_browser(
    browser: Any, live_server: Any, counselor: User, tmp_path: Path
) -> None:
    # 1,100 different people: each given name has its own reading (with no reading, names
    # that differ only in their kanji would be flagged as the same person in the file)
    kana = "あいうえおかきくけこさし"
    readings = [kana[i // 144] + kana[i // 12 % 12] + kana[i % 12] for i in range(1100)]
    rows = [f"B{i:04},山田,{i}郎,やまだ,{readings[i]},1970/1/1,男性,,," for i in range(1100)]
    path = write(tmp_path / "本人.csv", [PERSON_HEADER, *PERSONS[1:], *rows], encoding="cp932")
    wait = waiting(browser, 60)
    device = TOTPDevice.objects.create(user=counselor, name="認証アプリ", confirmed=True)
    browser.get(f"{live_server.url}/accounts/login/?next=/imports/")
    browser.find_element(By.ID, "id_username").send_keys(counselor.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    # 南市 requires the second factor: the code from the counselor's authenticator app
    wait.until(ec.presence_of_element_located((By.ID, "id_token")))
    no_violations = axe_violations(browser)
    assert not no_violations, describe(no_violations)
    browser.find_element(By.ID, "id_token").send_keys(code_for(device))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.ID, "id_file")))
    violations = axe_violations(browser)
    assert not violations, describe(violations)

    browser.find_element(By.ID, "id_kind_0").click()
    browser.find_element(By.ID, "id_file").send_keys(str(path))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    wait.until(lambda d: "取り込みが完了しました" in d.find_element(By.ID, "import-live").text)
    assert (
        "1,103 行を北地域包括支援センターの記録として取り込みました"
        in browser.find_element(By.ID, "import-job").text
    )
    assert Person.dangerously_unscoped.count() == 1103
    violations = axe_violations(browser)
    assert not violations, describe(violations)
