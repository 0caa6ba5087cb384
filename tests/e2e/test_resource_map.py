"""In a real browser, without signing in: a resident opens 射水市's resource map, sees the
places on the map (tiles from the configured URL) and in the list, searches by keyboard, and
the pages have no WCAG 2.1 A/AA violations axe-core can find — with tiles, without a tile URL,
and with a tile server that does not answer. Screenshots go to $TSUNAGU_SCREENSHOTS (if set)."""

from __future__ import annotations

import os
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e.conftest import axe_violations, describe, waiting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(browser: Any, name: str) -> None:
    folder = os.environ.get("TSUNAGU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def _city() -> None:
    from tsunagu.accounts.models import Role
    from tsunagu.accounts.services import user_create
    from tsunagu.organizations.models import Organization
    from tsunagu.resources import services as rs
    from tsunagu.resources.models import Category

    call_command("load_plan", "imizu", stdout=StringIO())
    rs.category_vocabulary_ensure()
    org = Organization.objects.filter(municipality__slug="imizu", kind="department").first()
    assert org is not None
    lsc = user_create(
        username="lsc", organization=org, roles=[Role.LIFE_SUPPORT_COORDINATOR], password=None
    )
    provider = rs.provider_create(user=lsc, data=rs.ProviderData(name="試験の会"))
    places = [
        rs.location_create(
            user=lsc,
            data=rs.LocationData(
                name=name, latitude=Decimal(lat), longitude=Decimal(lon), address="試験町1"
            ),
        )
        for name, lat, lon in (
            ("東集会所", "36.730000", "137.090000"),
            ("西集会所", "36.740000", "137.060000"),
        )
    ]
    for name, code, place, day in (
        ("ひだまりサロン", "salon", places[0], "MO"),
        ("みんなの食堂", "kodomo-shokudo", places[1], "FR"),
    ):
        resource = rs.resource_create(
            user=lsc,
            data=rs.ResourceData(
                provider=provider,
                name=name,
                description=f"{name}の説明",
                categories=[Category.objects.get(code=code)],
                locations=[place],
                is_public=True,
            ),
        )
        rs.schedule_add(
            user=lsc,
            resource=resource,
            data=rs.ScheduleData(kind="weekly", weekdays=[day], location=place),
        )
    rs.resource_create(
        user=lsc,
        data=rs.ResourceData(
            provider=provider,
            name="非公開の居場所",
            description="x",
            categories=[Category.objects.get(code="ibasho")],
        ),
    )


def _check_axe(browser: Any) -> None:
    violations = axe_violations(browser)
    assert not violations, describe(violations)


def test_public_map_search_with_tiles(browser: Any, live_server: Any, settings: Any) -> None:
    _city()
    # a tile the server itself serves (any image will do for the test): no network needed
    settings.MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png?{{z}}"
    wait = waiting(browser)
    browser.get(f"{live_server.url}/map/imizu/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#resource-map[data-ready]")))
    assert "ログイン" not in browser.title
    markers = browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")
    assert len(markers) == 2
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-tile-loaded"))
    results = browser.find_element(By.ID, "results-heading").find_element(By.XPATH, "..").text
    assert "ひだまりサロン" in results and "みんなの食堂" in results
    assert "非公開の居場所" not in browser.page_source
    _shot(browser, "map-with-tiles")
    _check_axe(browser)

    # search by keyboard: type a reading in hiragana, press Enter
    box = browser.find_element(By.ID, "id_q")
    box.send_keys("さろん")
    box.send_keys(Keys.ENTER)
    wait.until(lambda d: "さがした結果" in d.find_element(By.ID, "results-heading").text)
    listed = browser.find_element(By.CSS_SELECTOR, ".resource-list").text
    assert "ひだまりサロン" in listed and "みんなの食堂" not in listed
    assert len(browser.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")) == 1
    _check_axe(browser)

    # a marker is reachable by keyboard and opens a link to the resource's page
    marker = browser.find_element(By.CSS_SELECTOR, ".leaflet-marker-icon")
    assert marker.get_attribute("tabindex") == "0"
    marker.send_keys(Keys.ENTER)
    # the popup fades in: wait until its link is shown, not only present
    link = wait.until(
        lambda d: next(
            (a for a in d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content a") if a.text),
            None,
        )
    )
    assert link.text == "ひだまりサロン"
    browser.get(link.get_attribute("href"))
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "ひだまりサロン")
    assert "毎週 月曜日" in browser.find_element(By.TAG_NAME, "main").text
    _shot(browser, "resource-page")
    _check_axe(browser)


def test_public_map_without_tiles_is_a_list(browser: Any, live_server: Any, settings: Any) -> None:
    _city()
    wait = waiting(browser)
    # a closed network without a tile server: no map at all, the list is the page
    settings.MAP_TILE_URL = ""
    browser.get(f"{live_server.url}/map/imizu/?category=kodomo-shokudo")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".resource-list")))
    assert not browser.find_elements(By.ID, "resource-map")
    assert "みんなの食堂" in browser.find_element(By.CSS_SELECTOR, ".resource-list").text
    _shot(browser, "map-without-tiles")
    _check_axe(browser)

    # a tile server that does not answer: the map says so, the list still works
    cache.clear()
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    # (another address than the first test's: the browser keeps public pages for a minute)
    browser.get(f"{live_server.url}/map/imizu/?day=")
    wait.until(
        lambda d: "地図の画像を読み込めませんでした" in d.find_element(By.ID, "map-status").text
    )
    assert "ひだまりサロン" in browser.find_element(By.CSS_SELECTOR, ".resource-list").text
    _shot(browser, "map-tiles-down")
    _check_axe(browser)
