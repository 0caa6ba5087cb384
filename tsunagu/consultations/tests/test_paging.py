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


def _make(counselor: User) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    consultation_create_many(
        user=counselor,
        items=[
            NewConsultation(
                person=None,
                data=ConsultationData(
                    received_at=now - dt.timedelta(minutes=i // 2 + 1),
                    channel="phone",
                    requester="resident",
                    main_topic="isolation",
                    content="ページ送り",
                    response="information",
                    anonymous_label=f"行{i:03d}",
                ),
            )
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
    assert not [q for q in counts if "consultations_consultation" in q and "GROUP BY" not in q]
    assert len(deeper.captured_queries) <= len(first.captured_queries)
