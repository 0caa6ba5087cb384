"""In a real browser (issue 7): a list of more than 100 rows is paged through to its end with
its own 「次へ」 links, and a double-clicked submit button registers one person."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e.conftest import follow, waiting
from tests.e2e.test_intake import login
from tsunagu.accounts.models import User
from tsunagu.consultations.services import (
    ConsultationData,
    NewConsultation,
    consultation_create_many,
)
from tsunagu.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = 130


def test_a_long_list_pages_to_its_end(browser: Any, live_server: Any) -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    user = User.objects.get(username="imizu-counselor")
    now = timezone.now()
    consultation_create_many(
        user=user,
        items=[
            NewConsultation(
                person=None,
                data=ConsultationData(
                    received_at=now - dt.timedelta(minutes=i + 1),
                    channel="phone",
                    requester="resident",
                    main_topic="isolation",
                    content="ページ送りの確認",
                    response="information",
                    anonymous_label=f"ページ送り{i:03d}",
                ),
            )
            for i in range(ROWS)
        ],
    )
    login(browser, live_server, "imizu-counselor")
    browser.get(f"{live_server.url}/consultations/?channel=phone")
    seen: set[str] = set()
    pages = 0
    while True:
        pages += 1
        for cell in browser.find_elements(By.CSS_SELECTOR, "tbody td:nth-child(2)"):
            if "ページ送り" in cell.text:
                seen.add(cell.text)
        links = browser.find_elements(By.LINK_TEXT, "次へ")
        if not links:
            break
        assert "??" not in (links[0].get_attribute("href") or "")
        assert "channel=phone" in (links[0].get_attribute("href") or "")  # the filter stays
        follow(browser, links[0])
        assert pages < 10, "paging does not end"
    assert len(seen) == ROWS  # every row reached, each once
    assert pages >= 3


def test_a_double_clicked_submit_button_registers_one_person(
    browser: Any, live_server: Any
) -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    login(browser, live_server, "imizu-counselor")
    browser.get(f"{live_server.url}/people/new/")
    browser.find_element(By.ID, "id_family_name").send_keys("二度押")
    browser.find_element(By.ID, "id_given_name").send_keys("太郎")
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit].button")
    old_document = browser.find_element(By.TAG_NAME, "html")
    ActionChains(browser).double_click(button).perform()
    wait = waiting(browser)
    wait.until(ec.staleness_of(old_document))
    wait.until(lambda d: "二度押 太郎" in d.find_element(By.TAG_NAME, "h1").text)
    assert Person.dangerously_unscoped.filter(family_name="二度押").count() == 1
    # and the browser's back-and-resend is refused by the server, taking her to the record
    browser.back()
    wait.until(lambda d: d.find_elements(By.ID, "id_family_name"))
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit].button"))
    assert Person.dangerously_unscoped.filter(family_name="二度押").count() == 1
    assert "既に送信されています" in browser.find_element(By.TAG_NAME, "main").text


def test_postal_code_completion_keeps_what_was_typed_in_order(
    browser: Any, live_server: Any
) -> None:
    """The address arrives while the counselor is already typing the house number: it goes in
    front of what she typed, nothing is lost or reordered, and her cursor stays in her text."""
    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    login(browser, live_server, "imizu-counselor")
    browser.get(f"{live_server.url}/people/new/")
    # a slow network: the lookup's answer takes 800 ms
    browser.execute_script(
        """
        const realFetch = window.fetch;
        window.fetch = (...args) =>
          new Promise((resolve) => setTimeout(() => resolve(realFetch(...args)), 800));
        """
    )
    browser.find_element(By.ID, "id_postal_code").send_keys("939-0351")
    address = browser.find_element(By.ID, "id_address")
    address.click()  # leaving the postal code asks for the address
    address.send_keys("4200番地")  # typed before the answer came
    wait = waiting(browser)
    wait.until(lambda d: d.find_element(By.ID, "id_address").get_attribute("value") != "4200番地")
    assert address.get_attribute("value") == "富山県射水市戸破4200番地"
    address.send_keys("の1")  # the cursor is still at the end of her text
    assert address.get_attribute("value") == "富山県射水市戸破4200番地の1"
    assert "富山県射水市戸破" in browser.find_element(By.ID, "address-status").text

    # a second lookup with the same code adds nothing twice
    postal = browser.find_element(By.ID, "id_postal_code")
    postal.clear()
    postal.send_keys("9390351")
    address.click()
    browser.execute_script("return new Promise((r) => setTimeout(r, 1200))")
    assert address.get_attribute("value") == "富山県射水市戸破4200番地の1"
