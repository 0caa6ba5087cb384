"""Every page: anonymous users go to the login page, another city's staff get 404 (or nothing
of this city), the city's staff get the page. Key pages keep a query-count baseline."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import PASSWORD, client_for
from tsunagu.accounts.models import User
from tsunagu.organizations.models import Municipality

CITY_PAGES = ["/", "/organizations/", "/organizations/hokatsu-kita/", "/plan/", "/accounts/roster/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*CITY_PAGES, "/admin/"])
def test_anonymous_is_sent_to_login(url: str) -> None:
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("url", CITY_PAGES)
def test_staff_of_the_city_see_the_page(url: str, counselor: User) -> None:
    response = client_for(counselor).get(url)
    assert response.status_code == 200
    assert (
        "南市" in response.content.decode() or "北地域包括支援センター" in response.content.decode()
    )


@pytest.mark.parametrize("url", ["/organizations/hokatsu-kita/"])
def test_another_citys_organization_is_not_found(
    url: str, outsider: User, city: Municipality
) -> None:
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/", "/organizations/", "/plan/", "/accounts/roster/"])
def test_another_city_sees_only_its_own(url: str, outsider: User, city: Municipality) -> None:
    body = client_for(outsider).get(url).content.decode()
    assert "北地域包括支援センター" not in body
    assert "南市" not in body


def test_admin_site_is_for_the_admin_role_only(counselor: User, admin_user: User) -> None:
    assert client_for(counselor).get("/admin/").status_code == 302
    assert client_for(admin_user).get("/admin/").status_code == 200


def test_login_and_logout(counselor: User) -> None:
    client = client_for(None)
    bad = client.post("/accounts/login/", {"username": "counselor", "password": "wrong"})
    assert bad.status_code == 200
    assert "正しくありません" in bad.content.decode()
    city = counselor.organization.municipality  # type: ignore[union-attr]
    city.two_factor_required = False  # the second factor has its own tests (accounts)
    city.save()
    ok = client.post("/accounts/login/", {"username": "counselor", "password": PASSWORD})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_home_differs_by_role(counselor: User, manager: User, admin_user: User) -> None:
    counselor_home = client_for(counselor).get("/").content.decode()
    manager_home = client_for(manager).get("/").content.decode()
    admin_home = client_for(admin_user).get("/").content.decode()
    assert "の目標" not in counselor_home
    assert "の目標" in manager_home and "2,000" in manager_home
    assert "管理画面へ" in admin_home and "管理画面へ" not in counselor_home


def test_directory_search_and_filters(counselor: User) -> None:
    client = client_for(counselor)

    def found(query: str) -> bool:
        response = client.get(f"/organizations/?{query}", headers={"HX-Request": "true"})
        assert response.status_code == 200
        return "北地域包括支援センター" in response.content.decode()

    assert found("q=包括")
    assert not found("q=存在しない")
    assert found("q=（福）南")  # full-width and half-width are the same
    assert not found("kind=department")
    assert found("field=elderly&area=kita")
    assert not found("field=children")
    # unknown filter values are ignored, not errors
    assert found("kind=%3Cscript%3E&page=zzz")


def test_directory_htmx_returns_only_the_results(counselor: User) -> None:
    response = client_for(counselor).get("/organizations/?q=包括", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body


def test_plan_overview_shows_programs_meetings_and_wareki_targets(counselor: User) -> None:
    body = client_for(counselor).get("/plan/").content.decode()
    assert "第1号 包括的相談支援事業" in body
    assert "地域包括支援センターの運営" in body
    assert "南市支援会議" in body and "構成員に法定の守秘義務" in body
    assert "令和8年度" in body and "令和9年度" in body
    assert "7.5" in body and "見込" in body


def test_roster_lists_staff_by_fiscal_year(counselor: User, coordinator: User) -> None:
    client = client_for(counselor)
    body = client.get("/accounts/roster/").content.decode()
    assert "試験 counselor" in body and "試験 coordinator" in body
    assert "印刷する" in body
    past = client.get("/accounts/roster/?fy=2001").content.decode()
    assert "この年度の担当者は登録されていません" in past
    assert "令和8年度" in client.get("/accounts/roster/?fy=R8").content.decode()
    assert client.get("/accounts/roster/?fy=来年").status_code == 404


@pytest.mark.parametrize("url", ["/organizations/", "/plan/"])
def test_query_count_does_not_grow_with_data(url: str, counselor: User) -> None:
    client = client_for(counselor)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # /plan/: versions, programs (+ departments, operations, carriers), organizations (+ fields,
    # sites), meeting bodies (+ members), indicators (+ values), milestones; and the session,
    # the user and its authenticator device (django-otp)
    assert len(queries) <= 21, [q["sql"] for q in queries]


def test_manager_home_shows_the_nearest_plan_year(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    # during the plan (2026–2027): this year's targets
    body = client_for(manager).get("/").content.decode()
    assert "令和8年度の目標" in body and "2,000" in body
    # after it has ended: it says so instead of showing stale targets
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: dt.date(2031, 1, 10))
    body = client_for(manager).get("/").content.decode()
    assert "期間（令和8〜9年度）は終了しています" in body
    assert "2,100" not in body
