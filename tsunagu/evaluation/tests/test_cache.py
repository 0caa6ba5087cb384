"""The pages keep a city's computed actuals and dashboard figures for a few minutes, say when
they were counted, and never mix cities; the report counts afresh."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.evaluation import charts
from tsunagu.evaluation.actuals import _cache_key, fiscal_year_rows
from tsunagu.evaluation.tests.test_views import TOKYO, bound_city, consult
from tsunagu.organizations.models import Municipality


def _actual(city: Municipality, *, cached: bool) -> Decimal | None:
    rows = {r.code: r for r in fiscal_year_rows(municipality=city, fiscal_year=2026, cached=cached)}
    return rows["hokatsu-kita-new"].actual


def test_the_view_keeps_counted_actuals_and_says_when(
    bound_city: Municipality, counselor: User, manager: User, other_city: Municipality
) -> None:
    consult(counselor, dt.datetime(2026, 7, 1, 10, tzinfo=TOKYO))
    page = client_for(manager).get(reverse("evaluation:fiscal_year", args=[2026]))
    assert page.status_code == 200 and "集計時点" in page.content.decode()
    consult(counselor, dt.datetime(2026, 7, 2, 10, tzinfo=TOKYO))
    # the page's count is kept (5 minutes); the report's is counted now
    assert _actual(bound_city, cached=True) == Decimal(1)
    assert _actual(bound_city, cached=False) == Decimal(2)
    row = next(
        r
        for r in fiscal_year_rows(municipality=bound_city, fiscal_year=2026, cached=True)
        if r.code == "hokatsu-kita-new"
    )
    assert row.computed_at is not None
    cache.clear()
    assert _actual(bound_city, cached=True) == Decimal(2)
    # each city's figures under its own key
    assert _cache_key(bound_city, 2026) != _cache_key(other_city, 2026)


def test_the_dashboard_says_when_it_counted(bound_city: Municipality, manager: User) -> None:
    page = client_for(manager).get(reverse("evaluation:dashboard") + "?fy=2026")
    assert page.status_code == 200 and "集計時点" in page.content.decode()


def test_a_chart_is_kept_by_its_input(monkeypatch: pytest.MonkeyPatch) -> None:
    first = charts.bar_chart(title="t", categories=["4月", "5月"], series={"a": [1, 2]})

    def no_drawing(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("drawn again")

    monkeypatch.setattr(charts, "_render", no_drawing)
    assert charts.bar_chart(title="t", categories=["4月", "5月"], series={"a": [1, 2]}) == first
    with pytest.raises(AssertionError):
        charts.bar_chart(title="t", categories=["4月", "5月"], series={"a": [1, 3]})


__all__ = ["bound_city"]  # the fixture, shared with test_views
