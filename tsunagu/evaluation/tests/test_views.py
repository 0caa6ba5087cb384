"""The fiscal-year view, an indicator's page (drill-down, manual entry) and who may see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from conftest import SAMPLE_PLAN, client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.cityplan.models import Indicator
from tsunagu.cityplan.planfile import read_plan_file
from tsunagu.cityplan.services import plan_load
from tsunagu.consultations.models import Consultation
from tsunagu.evaluation.actuals import NoPlanVersion, fiscal_year_rows, rate_of
from tsunagu.evaluation.models import ManualActual
from tsunagu.organizations.models import Municipality

TOKYO = ZoneInfo("Asia/Tokyo")
ANCHOR = "    organization: hokatsu-kita\n    targets: {2026: 2000, 2027: 2100}\n"
BINDING = (
    "    computed:\n      computation: consultations-new\n"
    "      filters: {organization: hokatsu-kita}\n"
)


@pytest.fixture
def bound_city(city: Municipality, tmp_path: Path) -> Municipality:
    """南市 with 相談件数（新規） bound to the records and 連携支援の割合 entered by hand."""
    text = SAMPLE_PLAN.read_text(encoding="utf-8").replace(ANCHOR, ANCHOR + BINDING, 1)
    text = text.replace('    unit: "%"\n', '    unit: "%"\n    manual: true\n', 1)
    path = tmp_path / "bound.yaml"
    path.write_text(text, encoding="utf-8")
    plan_load(plan=read_plan_file(path))
    return city


def consult(user: User, when: dt.datetime, *, new: bool = True) -> Consultation:
    assert user.organization is not None
    return Consultation.dangerously_unscoped.create(
        organization=user.organization,
        anonymous_label="匿名",
        received_at=when,
        received_by=user,
        channel="window",
        requester="self",
        main_topic="care",
        content="相談",
        response="information",
        is_new=new,
    )


def ind(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


@pytest.fixture
def boss(bound_city: Municipality) -> User:
    """A manager of 北地域包括支援センター: holds its consultations."""
    return make_user(bound_city, "hokatsu-kita", Role.MANAGER, "boss")


def test_the_year_shows_target_actual_rate_and_earlier_years(
    bound_city: Municipality, counselor: User, manager: User
) -> None:
    consult(counselor, dt.datetime(2026, 4, 1, 0, 5, tzinfo=TOKYO))  # FY2026 by Tokyo time
    consult(counselor, dt.datetime(2026, 7, 1, 10, tzinfo=TOKYO))
    consult(counselor, dt.datetime(2026, 7, 2, 10, tzinfo=TOKYO), new=False)
    consult(counselor, dt.datetime(2026, 3, 31, 23, 55, tzinfo=TOKYO))  # FY2025
    rows = {r.code: r for r in fiscal_year_rows(municipality=bound_city, fiscal_year=2026)}
    row = rows["hokatsu-kita-new"]
    assert (row.target, row.actual, row.source) == (Decimal(2000), Decimal(2), "computed")
    assert row.rate == Decimal("0.1")
    # the plan's earlier years (実績 recorded in the file) sit beside it
    assert row.previous_years == {2024: (None, Decimal(2250)), 2025: (None, Decimal(2300))}
    assert row.program == "地域包括支援センターの運営" and row.organization
    manual = rows["takikan-rate"]
    assert (manual.actual, manual.source, manual.rate) == (None, "manual", None)

    page = client_for(manager).get(reverse("evaluation:fiscal_year", args=[2026]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "令和8年度" in html and "令和6年度" in html and "令和7年度" in html
    assert "2,250" in html and "2,300" in html and "0.1%" in html and "記録から計算" in html


def test_rate_is_actual_over_target() -> None:
    assert rate_of(Decimal(2000), Decimal(1500)) == Decimal("75.0")
    assert rate_of(Decimal(3), Decimal(4)) == Decimal("133.3")
    assert rate_of(None, Decimal(4)) is None
    assert rate_of(Decimal(0), Decimal(4)) is None
    assert rate_of(Decimal(10), None) is None


def test_a_year_without_records_shows_zeros(bound_city: Municipality, manager: User) -> None:
    row = next(
        r
        for r in fiscal_year_rows(municipality=bound_city, fiscal_year=2026)
        if r.code == "hokatsu-kita-new"
    )
    assert (row.actual, row.rate) == (Decimal(0), Decimal(0))
    page = client_for(manager).get(reverse("evaluation:fiscal_year", args=[2026]))
    assert page.status_code == 200


def test_a_year_without_a_plan_version_says_so(bound_city: Municipality, manager: User) -> None:
    with pytest.raises(NoPlanVersion):
        fiscal_year_rows(municipality=bound_city, fiscal_year=2019)
    page = client_for(manager).get(reverse("evaluation:fiscal_year", args=[2019]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "年度の実施計画が南市にはありません" in html and "相談件数" not in html


def test_manual_actual_records_who_and_when(bound_city: Municipality, manager: User) -> None:
    url = reverse("evaluation:indicator", args=[2026, ind("takikan-rate").pk])
    client = client_for(manager)
    response = client.post(url, {"value": "７．５", "note": "集計表から"})
    assert response.status_code == 302
    entry = ManualActual.objects.get()
    assert (entry.value, entry.entered_by, entry.fiscal_year) == (Decimal("7.5"), manager, 2026)
    assert entry.entered_at is not None
    row = next(
        r
        for r in fiscal_year_rows(municipality=bound_city, fiscal_year=2026)
        if r.code == "takikan-rate"
    )
    assert (row.actual, row.source, row.entered_by) == (
        Decimal("7.5"),
        "manual",
        manager.get_full_name(),
    )
    # a second entry corrects the first (one row per year)
    client.post(url, {"value": "8"})
    assert ManualActual.objects.get().value == Decimal(8)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "実績は数値で入力してください"),
        ("", "実績を入力してください"),
        ("-3", "0以上の数値"),
        ("1.23456", "小数点以下は3桁まで"),
    ],
)
def test_a_manual_actual_that_is_not_a_number_is_refused(
    bound_city: Municipality, manager: User, value: str, message: str
) -> None:
    url = reverse("evaluation:indicator", args=[2026, ind("takikan-rate").pk])
    response = client_for(manager).post(url, {"value": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ManualActual.objects.exists()


def test_a_computed_indicator_takes_no_manual_actual(
    bound_city: Municipality, manager: User
) -> None:
    url = reverse("evaluation:indicator", args=[2026, ind("hokatsu-kita-new").pk])
    assert client_for(manager).post(url, {"value": "5"}).status_code == 405
    assert not ManualActual.objects.exists()


def test_drilldown_lists_only_what_the_user_may_see(
    bound_city: Municipality, counselor: User, manager: User, boss: User
) -> None:
    links = [
        reverse(
            "consultations:detail",
            args=[consult(counselor, dt.datetime(2026, 5, d, 10, tzinfo=TOKYO)).pk],
        )
        for d in (1, 2, 3)
    ]
    url = reverse("evaluation:indicator", args=[2026, ind("hokatsu-kita-new").pk])
    # the holder's manager sees the three, and the reads are logged
    before = AccessLog.objects.count()
    page = client_for(boss).get(url).content.decode()
    assert "3 件のうち、あなたの機関が見られる 3 件" in page
    assert all(link in page for link in links)
    assert AccessLog.objects.count() > before
    # the city's manager at 地域福祉課 holds none of them: counts only, nothing logged
    before = AccessLog.objects.count()
    page = client_for(manager).get(url).content.decode()
    assert "見られる 0 件" in page and "ほかの 3 件は、記録している機関だけが見られます" in page
    assert not any(link in page for link in links)
    assert AccessLog.objects.count() == before


def test_who_may_open_the_evaluation(
    bound_city: Municipality,
    counselor: User,
    manager: User,
    admin_user: User,
    other_city: Municipality,
) -> None:
    year = reverse("evaluation:fiscal_year", args=[2026])
    indicator = reverse("evaluation:indicator", args=[2026, ind("hokatsu-kita-new").pk])
    for url in (year, indicator, reverse("evaluation:index")):
        anonymous = client_for(None).get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
        assert client_for(counselor).get(url).status_code == 404
        assert client_for(manager).get(url).status_code in (200, 302)
        assert client_for(admin_user).get(url).status_code in (200, 302)
    # another city's manager: never 南市's figures
    outsider = make_user(other_city, "soudan", Role.MANAGER, "kita-boss")
    assert client_for(outsider).get(indicator).status_code == 404
    page = client_for(outsider).get(year)
    assert page.status_code == 200 and "北市にはありません" in page.content.decode()
    assert "相談件数" not in page.content.decode()
