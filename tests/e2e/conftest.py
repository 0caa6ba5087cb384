"""A real headless Chromium (Debian's `chromium` and `chromium-driver`) for end-to-end tests.

Without Chromium the tests are skipped with the install command; under CI (CI=true) a missing
browser is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

AXE = Path(__file__).parent / "assets" / "axe.min.js"
INSTALL = "sudo apt-get install chromium chromium-driver"


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser(live_server: Any) -> Iterator[Any]:
    # Set up after the live server, so torn down before it: the browser's keep-alive
    # connections close while the server (and its shared SQLite connection) still runs.
    chromium = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if not (chromium and driver_path):
        message = f"Chromium と chromedriver がありません。インストール: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="tsunagu-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=ja",
        "--window-size=1280,1024",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP reports, below
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def waiting(driver: Any, timeout: float = 15) -> WebDriverWait[Any]:
    """A wait that treats every WebDriver error as "not yet": while a page is replaced (a
    navigation, an htmx swap) Chromium answers element queries with stale-element or even
    "unhandled inspector error" responses, which are transient, not failures."""
    return WebDriverWait(driver, timeout, ignored_exceptions=[WebDriverException])


def follow(driver: Any, element: Any, timeout: float = 15) -> None:
    """Click a link or submit button that loads a new page, and return once the new page has
    replaced the old one and finished loading, so that nothing reads the page mid-navigation."""
    old_document = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait = waiting(driver, timeout)
    wait.until(ec.staleness_of(old_document))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the current page; return its violations."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
        const rules = {runOnly: {type: "tag", values: tags}};
        axe.run(document, rules).then(
          (r) => done(JSON.stringify(r.violations)),
          (e) => done(JSON.stringify([{id: "axe-error", description: String(e)}])),
        );
        """
    )
    violations: list[dict[str, Any]] = json.loads(result)
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']}: {v.get('description', '')} — "
        + "; ".join(n.get("html", "")[:120] for n in v.get("nodes", [])[:3])
        for v in violations
    )


@pytest.fixture(scope="session", autouse=True)
def _close_server_sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """At the end, end the PostgreSQL sessions the live server's request threads may still hold
    (a request the browser sent as a test ended), so that the test database can be dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _leave_the_page(browser: Any) -> Iterator[None]:
    """After each test, park the browser on a blank page, so that a page that polls (the import
    progress) sends no request to the server once the test's database is gone. Then fail the
    test if the Content-Security-Policy blocked anything on the way (an inline script or style
    the pages should not have)."""
    browser.get_log("browser")  # drop what an earlier test left
    yield
    browser.get("about:blank")
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry.get("message", "")
    ]
    assert not blocked, "\n".join(blocked)
