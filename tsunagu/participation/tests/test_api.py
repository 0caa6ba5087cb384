"""The participation API's placement list pages by cursor (`core.paging.cursor_page`) and its
query count does not grow with the placements listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.participation.services import PlacementData, placement_propose
from tsunagu.participation.tests.conftest import Host

pytestmark = pytest.mark.django_db


def _propose(counselor: User, host: Host, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        placement_propose(
            user=counselor,
            person=host.person,
            offer=host.offer,
            data=PlacementData(proposed_on=dt.date(2025, 5, 1) + dt.timedelta(days=i // 2)),
        )


def test_placements_page_by_cursor_and_the_query_count_does_not_grow(
    counselor: User, host: Host
) -> None:
    client = Client(headers={"Authorization": f"Token {api_token_create(user=counselor)}"})
    _propose(counselor, host, 1)
    client.get("/api/v1/participation/placements")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/participation/placements").json()["items"]) == 1
    _propose(counselor, host, 4, start=1)
    with CaptureQueriesContext(connection) as many:
        first = client.get("/api/v1/participation/placements", {"page_size": 3}).json()
    assert len(many) == len(one), [q["sql"] for q in many]
    assert set(first) == {"page_size", "next", "items"} and len(first["items"]) == 3
    rest = client.get(
        "/api/v1/participation/placements", {"page_size": 3, "cursor": first["next"]}
    ).json()
    assert rest["next"] is None and len(rest["items"]) == 2
    ids = [p["id"] for p in first["items"] + rest["items"]]
    assert len(set(ids)) == 5
    refused = client.get("/api/v1/participation/placements", {"cursor": "x"})
    assert refused.status_code == 422 and "cursor" in refused.json()["errors"]
