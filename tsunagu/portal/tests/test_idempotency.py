"""Issue 7, class 1 on the API: an `Idempotency-Key` makes a resent creating POST answer with
the first result instead of creating a second record."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consultations.models import Consultation
from tsunagu.people.models import Person
from tsunagu.people.tests.test_api import YAMADA
from tsunagu.portal.idempotency import idempotency_purge
from tsunagu.portal.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def post(client: Client, url: str, data: object, key: str | None = "k-1") -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def test_a_replay_returns_the_first_answer_and_creates_nothing(counselor: User) -> None:
    client = api(counselor)
    first = post(client, "/api/v1/persons", YAMADA)
    assert first.status_code == 201
    again = post(client, "/api/v1/persons", YAMADA)
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Person.dangerously_unscoped.count() == 1
    # another token of the same staff member: the same key is theirs too
    assert post(api(counselor), "/api/v1/persons", YAMADA).content == first.content
    assert Person.dangerously_unscoped.count() == 1


def test_without_a_key_each_post_creates(counselor: User) -> None:
    client = api(counselor)
    post(client, "/api/v1/persons", YAMADA, key=None)
    post(client, "/api/v1/persons", YAMADA, key=None)
    assert Person.dangerously_unscoped.count() == 2


def test_the_same_key_with_another_body_is_refused_in_japanese(counselor: User) -> None:
    client = api(counselor)
    assert post(client, "/api/v1/persons", YAMADA).status_code == 201
    other = post(client, "/api/v1/persons", {**YAMADA, "given_name": "二郎"})
    assert other.status_code == 422
    assert "別の内容のリクエストに使われています" in other.json()["detail"]
    assert "Idempotency-Key" in other.json()["errors"]
    assert Person.dangerously_unscoped.count() == 1


def test_keys_are_per_staff_member(counselor: User, receiver: User) -> None:
    assert post(api(counselor), "/api/v1/persons", YAMADA).status_code == 201
    theirs = post(api(receiver), "/api/v1/persons", YAMADA)
    assert theirs.status_code == 201
    assert Person.dangerously_unscoped.count() == 2


def test_a_refused_request_is_not_kept(counselor: User) -> None:
    client = api(counselor)
    bad = post(client, "/api/v1/persons", {**YAMADA, "birth_date": "2026-02-30"})
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.exists()


def test_a_consultation_is_not_received_twice(counselor: User) -> None:
    client = api(counselor)
    body = {
        "anonymous_label": "近所の方",
        "received_at": "2026-04-01T09:30:00+09:00",
        "channel": "phone",
        "requester": "resident",
        "main_topic": "isolation",
        "content": "見守りの相談",
        "response": "information",
    }
    first = post(client, "/api/v1/consultations", body, key="c-1")
    assert first.status_code == 201, first.json()
    assert post(client, "/api/v1/consultations", body, key="c-1").content == first.content
    assert Consultation.dangerously_unscoped.count() == 1


def test_keys_expire(counselor: User, settings: Any) -> None:
    settings.IDEMPOTENCY_KEY_HOURS = 1
    client = api(counselor)
    post(client, "/api/v1/persons", YAMADA)
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert post(client, "/api/v1/persons", YAMADA).status_code == 201
    assert Person.dangerously_unscoped.count() == 2  # an expired key is a new request
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert idempotency_purge() == 1


@pytest.mark.parametrize("key", ["", "a b", "x" * 256, "日本語"])
def test_a_malformed_key_is_refused(counselor: User, key: str) -> None:
    response = post(api(counselor), "/api/v1/persons", YAMADA, key=key)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Person.dangerously_unscoped.exists()


def test_no_token_is_still_401(db: None) -> None:
    response = post(Client(), "/api/v1/persons", YAMADA)
    assert response.status_code == 401


def test_the_header_is_documented_on_the_creating_operations(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    post_persons = schema["paths"]["/api/v1/persons"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post_persons["parameters"])
    assert "409" in post_persons["responses"]
    listing = schema["paths"]["/api/v1/persons"]["get"]
    assert not any(p["name"] == "Idempotency-Key" for p in listing.get("parameters", []))


def test_a_replay_is_logged_as_a_read_of_what_the_first_answer_named(counselor: User) -> None:
    client = api(counselor)
    first = post(client, "/api/v1/persons", YAMADA)
    person = Person.dangerously_unscoped.get()
    before = list(AccessLog.objects.filter(person_id=person.pk).values_list("action", flat=True))
    assert before == [AccessLog.Action.CREATE]
    again = post(client, "/api/v1/persons", YAMADA)
    assert again.content == first.content
    replayed = AccessLog.objects.filter(person_id=person.pk).order_by("pk").last()
    assert replayed is not None
    assert replayed.action == AccessLog.Action.VIEW
    assert replayed.channel == AccessLog.Channel.API
    assert replayed.user_id == counselor.pk and replayed.via == AccessLog.Via.OWN
    assert (replayed.object_type, replayed.object_id) == ("people.person", str(person.pk))
    # each further replay is one more read
    post(client, "/api/v1/persons", YAMADA)
    assert AccessLog.objects.filter(person_id=person.pk, action="view").count() == 2


def test_a_refused_replay_logs_nothing(counselor: User) -> None:
    client = api(counselor)
    post(client, "/api/v1/persons", YAMADA)
    rows = AccessLog.objects.count()
    assert post(client, "/api/v1/persons", {**YAMADA, "given_name": "二郎"}).status_code == 422
    assert AccessLog.objects.count() == rows


def test_storing_a_key_schedules_one_purge_an_hour_that_the_worker_runs(
    counselor: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = api(counselor)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "/api/v1/persons", YAMADA, key="k-1")
        post(client, "/api/v1/persons", {**YAMADA, "given_name": "二郎"}, key="k-2")
    queued = DBTaskResult.objects.filter(task_path__endswith="idempotency_purge_task")
    assert queued.count() == 1  # the second key came within the hour
    run_after = queued.get().run_after
    assert run_after is not None
    # it runs when the first key has expired, plus the hour in which no other purge is queued
    expected = timezone.now() + dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS + 1)
    assert abs(run_after - expected) < dt.timedelta(minutes=1)
    # nothing happens before then
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert IdempotencyKey.objects.count() == 2
    # then: the expired key goes, a fresh one stays
    IdempotencyKey.objects.filter(key="k-1").update(
        created_at=timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS + 1)
    )
    queued.update(run_after=timezone.now() - dt.timedelta(seconds=1))
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["k-2"]
    assert queued.get().status == "SUCCESSFUL"
