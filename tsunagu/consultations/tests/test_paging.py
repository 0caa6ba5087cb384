"""Issue 15: the consultation list pages by key (`core.paging`), never counting the list: every
row reached once forward and backward, rows received at the same moment kept apart by id, a
cursor that is not one of ours gives the first page, and the query count does not grow."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consultations.services import (
    ConsultationData,
    NewConsultation,
    consultation_create_many,
)

pytestmark = pytest.mark.django_db
ROWS = 112  # three pages of 50; pairs received at the same minute


def _anonymous(received_at: dt.datetime, content: str, label: str) -> NewConsultation:
    return NewConsultation(
        person=None,
        data=ConsultationData(
            received_at=received_at,
            channel="phone",
            requester="resident",
            main_topic="isolation",
            content=content,
            response="information",
            anonymous_label=label,
        ),
    )


def _make(counselor: User) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    consultation_create_many(
        user=counselor,
        items=[
            _anonymous(now - dt.timedelta(minutes=i // 2 + 1), "ページ送り", f"行{i:03d}")
            for i in range(ROWS)
        ],
    )


def _labels(body: str) -> list[str]:
    return re.findall(r"行\d{3}", body)


def _link(body: str, rel: str) -> str:
    found = re.search(rf'href="(\?[^"]*)" rel="{rel}"', body)
    return found[1].replace("&amp;", "&") if found else ""


def test_pages_forward_and_back_reach_every_row_once(counselor: User) -> None:
    _make(counselor)
    client = client_for(counselor)
    url, pages, seen = "?channel=phone", [], []
    while url:
        body = client.get(f"/consultations/{url}").content.decode()
        pages.append((url, _labels(body)))
        seen += _labels(body)
        url = _link(body, "next")
        assert not url or "channel=phone" in url
    assert len(pages) == 3 and [len(p) for _, p in pages] == [50, 50, 12]
    assert sorted(seen) == [f"行{i:03d}" for i in range(ROWS)]  # each once, ties included
    # back from the last page: the same pages in reverse, then the first
    body = client.get(f"/consultations/{pages[-1][0]}").content.decode()
    for _, expected in reversed(pages[:-1]):
        body = client.get(f"/consultations/{_link(body, 'prev')}").content.decode()
        assert _labels(body) == expected
    assert not _link(body, "prev") and "最初へ" not in body


@pytest.mark.parametrize("cursor", ["garbage", "WyJ4IiwgIjEiXQ", "", "%%%"])
def test_a_cursor_that_is_not_ours_gives_the_first_page(counselor: User, cursor: str) -> None:
    _make(counselor)
    client = client_for(counselor)
    first = _labels(client.get("/consultations/").content.decode())
    for name in ("after", "before"):
        response = client.get(f"/consultations/?{name}={cursor}")
        assert response.status_code == 200
        assert _labels(response.content.decode()) == first


def test_a_page_does_not_count_the_list_and_costs_the_same_deep_in_it(counselor: User) -> None:
    _make(counselor)
    client = client_for(counselor)
    client.get("/consultations/")  # warm the session and caches
    with CaptureQueriesContext(connection) as first:
        body = client.get("/consultations/").content.decode()
    with CaptureQueriesContext(connection) as deeper:
        client.get(f"/consultations/{_link(body, 'next')}")
    counts = [q["sql"] for q in first.captured_queries if "COUNT(" in q["sql"].upper()]
    # the only counts are the fiscal year's 新規・延べ per month (the panel), not the list's
    assert not [q for q in counts if "consultations_consultation" in q and '"month"' not in q]
    assert len(deeper.captured_queries) <= len(first.captured_queries)


def test_the_fiscal_year_list_has_a_fixed_number_of_queries(counselor: User) -> None:
    """Issue 15: the list for a fiscal year (`date_from`/`date_to`, its 新規・延べ counts) costs
    the same queries for one row as for pages of them, and the month counts are one query."""
    from tsunagu.core.fiscal import fiscal_year_bounds, fiscal_year_of

    fy = fiscal_year_of(timezone.localdate(), start_month=4)
    start, end = fiscal_year_bounds(fy, start_month=4)
    url = f"/consultations/?date_from={start.isoformat()}&date_to={end.isoformat()}"
    client = client_for(counselor)
    consultation_create_many(
        user=counselor,
        items=[_anonymous(timezone.now() - dt.timedelta(hours=3), "一件目", "最初の一件")],
    )
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert "最初の一件" in client.get(url).content.decode()
    _make(counselor)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert len(_labels(body)) == 50
    assert len(many) == len(one), [q["sql"] for q in many]
    counts = [
        q["sql"]
        for q in many
        if "COUNT(" in q["sql"].upper() and "consultations_consultation" in q["sql"]
    ]
    assert len(counts) == 1  # every month of the year in one statement
