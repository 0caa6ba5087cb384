"""The outreach API's target list pages by cursor (`core.paging.cursor_page`) and its query count
does not grow with the targets listed, identified or not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.outreach.services import TargetData, target_create, target_identify
from tsunagu.people.services import PersonData, person_create

pytestmark = pytest.mark.django_db


def _targets(user: User, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        target = target_create(
            user=user,
            data=TargetData(
                label=f"本町の一人暮らしの方{i}",
                noticed_on=dt.date(2025, 5, 1) + dt.timedelta(days=i // 2),
                source="minsei",
            ),
        )
        if i % 2:
            person = person_create(
                user=user, data=PersonData(family_name="佐藤", given_name=f"一{i}")
            )
            target_identify(user=user, target=target, person=person)


def test_targets_page_by_cursor_and_the_query_count_does_not_grow(coordinator: User) -> None:
    client = Client(headers={"Authorization": f"Token {api_token_create(user=coordinator)}"})
    _targets(coordinator, 2)
    client.get("/api/v1/outreach/targets")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/outreach/targets").json()["items"]) == 2
    _targets(coordinator, 5, start=2)
    with CaptureQueriesContext(connection) as many:
        first = client.get("/api/v1/outreach/targets", {"page_size": 4}).json()
    assert len(many) == len(few), [q["sql"] for q in many]
    assert set(first) == {"page_size", "next", "items"} and len(first["items"]) == 4
    rest = client.get("/api/v1/outreach/targets", {"page_size": 4, "cursor": first["next"]})
    assert rest.json()["next"] is None and len(rest.json()["items"]) == 3
    labels = [t["label"] for t in first["items"] + rest.json()["items"]]
    assert sorted(labels) == sorted(f"本町の一人暮らしの方{i}" for i in range(7))
    assert len(set(labels)) == 7
    refused = client.get("/api/v1/outreach/targets", {"cursor": "x"})
    assert refused.status_code == 422 and "cursor" in refused.json()["errors"]
