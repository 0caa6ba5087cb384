"""The consultations API: own and shared-with-content only, every consultation shown logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tsunagu.access.models import AccessLog, Basis
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consent.services import consent_record
from tsunagu.consultations.models import Consultation
from tsunagu.core.paging import _encode
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create
from tsunagu.referrals.services import ReferralData, referral_create

NOW = "2026-04-01T09:30:00+09:00"


def api_client(user: User | None) -> Client:
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def post(client: Client, url: str, data: object) -> Any:
    return client.post(url, data, content_type="application/json")


def a_person(user: User) -> Person:
    return person_create(
        user=user, data=PersonData(family_name="佐藤", given_name="花子", phone="0766-11-1111")
    )


def intake(client: Client, person: Person | None, **fields: object) -> dict[str, Any]:
    body = {
        "person": person.pk if person else None,
        "received_at": timezone.now().isoformat(),
        "channel": "window",
        "requester": "family",
        "main_topic": "8050",
        "topics": ["hikikomori", "income"],
        "content": "80代の母と50代の息子。<script>alert(1)</script>",
        "response": "referral",
        **fields,
    }
    response = post(client, "/api/v1/consultations", body)
    assert response.status_code == 201, response.json()
    result: dict[str, Any] = response.json()
    return result


def share(sender: User, consultation_id: int, *, content: bool) -> None:
    consultation = Consultation.dangerously_unscoped.get(pk=consultation_id)
    assert consultation.person is not None
    target = Organization.objects.get(municipality__slug="minami", code="jiritsu-soudan")
    consent = consent_record(
        user=sender,
        person=consultation.person,
        method="verbal",
        purpose="支援のための情報共有",
        scope_organizations=[target],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    referral_create(
        user=sender,
        consultation=consultation,
        data=ReferralData(
            to_organization=target,
            reason="就労の相談",
            basis=Basis.CONSENT,
            consent=consent,
            share_content=content,
        ),
    )


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/consultations"),
        ("post", "/api/v1/consultations"),
        ("get", "/api/v1/consultations/1"),
    ],
)
def test_consultations_need_a_token(method: str, url: str, counselor: User) -> None:
    response = getattr(Client(), method)(url)
    assert response.status_code == 401


def test_record_and_read_a_consultation(counselor: User) -> None:
    client = api_client(counselor)
    person = a_person(counselor)
    created = intake(client, person)
    assert created["person"] == person.pk and created["organization"] == "hokatsu-kita"
    assert created["topics"] == ["8050", "hikikomori", "income"]  # the main topic comes first
    # HTML in free text is data: stored and returned as typed (the UI escapes it)
    assert created["content"].endswith("<script>alert(1)</script>")
    assert Consultation.dangerously_unscoped.get().content == created["content"]

    read = client.get(f"/api/v1/consultations/{created['id']}")
    assert read.status_code == 200 and read.json() == created
    listed = client.get("/api/v1/consultations").json()
    assert listed["next"] is None and listed["items"] == [created]
    assert list(
        AccessLog.objects.filter(object_type="consultations.consultation")
        .order_by("pk")
        .values_list("action", "channel", "person_id")
    ) == [("create", "api", person.pk), ("view", "api", person.pk), ("list", "api", person.pk)]


def test_anonymous_consultation(counselor: User) -> None:
    created = intake(api_client(counselor), None, anonymous_label="北町の男性")
    assert created["person"] is None and created["anonymous_label"] == "北町の男性"


def test_other_organizations_and_cities_see_nothing(
    counselor: User, third: User, outsider: User
) -> None:
    created = intake(api_client(counselor), a_person(counselor))
    for user in (third, outsider):
        client = api_client(user)
        assert client.get(f"/api/v1/consultations/{created['id']}").status_code == 404
        assert client.get("/api/v1/consultations").json() == {
            "page_size": 50,
            "next": None,
            "items": [],
        }
    assert not AccessLog.objects.filter(user__in=[third, outsider]).exists()


def test_a_consultation_about_someone_not_visible_is_404(counselor: User, third: User) -> None:
    person = a_person(counselor)
    body = {
        "person": person.pk,
        "received_at": NOW,
        "channel": "phone",
        "requester": "self",
        "main_topic": "income",
        "content": "相談",
        "response": "information",
    }
    assert post(api_client(third), "/api/v1/consultations", body).status_code == 404
    assert not Consultation.dangerously_unscoped.exists()


def test_the_receiver_reads_the_content_only_when_it_was_shared(
    counselor: User, receiver: User
) -> None:
    sender = api_client(counselor)
    client = api_client(receiver)
    shared = intake(sender, a_person(counselor))
    withheld = intake(sender, a_person(counselor))
    share(counselor, shared["id"], content=True)
    share(counselor, withheld["id"], content=False)

    assert client.get(f"/api/v1/consultations/{shared['id']}").json() == shared
    assert client.get(f"/api/v1/consultations/{withheld['id']}").status_code == 404
    assert [c["id"] for c in client.get("/api/v1/consultations").json()["items"]] == [shared["id"]]
    logs = AccessLog.objects.filter(user=receiver, object_type="consultations.consultation")
    assert {(log.action, log.via, log.channel) for log in logs} == {
        ("view", "grant", "api"),
        ("list", "grant", "api"),
    }
    assert all(log.grant is not None and log.grant.consultation_id == shared["id"] for log in logs)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"main_topic": "unknown"}, "main_topic", "次のどれか"),
        ({"topics": ["income", "gossip"]}, "topics", "次のどれか"),
        ({"channel": "fax"}, "channel", "次のどれか"),
        ({"received_at": "2026-02-30T10:00:00+09:00"}, "received_at", "日時は"),
        ({"received_at": "2026-04-01T10:00:00"}, "received_at", "タイムゾーン"),
        ({"received_at": "2999-04-01T10:00:00+09:00"}, "received_at", "未来"),
        ({"content": "   "}, "content", "相談内容を入力"),
        ({"content": None}, "content", "文字列"),
        ({"person": None}, "anonymous_label", "匿名・未特定"),
        ({"person": "abc"}, "person", "整数"),
    ],
)
def test_bad_consultation_input_is_422_in_japanese_and_saves_nothing(
    counselor: User, fields: dict[str, object], field: str, message: str
) -> None:
    person = a_person(counselor)
    body = {
        "person": person.pk,
        "received_at": NOW,
        "channel": "window",
        "requester": "self",
        "main_topic": "income",
        "content": "収入がない",
        "response": "information",
        **fields,
    }
    response = post(api_client(counselor), "/api/v1/consultations", body)
    assert response.status_code == 422
    assert any(message in m for m in response.json()["errors"][field]), response.json()
    assert not Consultation.dangerously_unscoped.exists()


def test_missing_fields_are_named(counselor: User) -> None:
    response = post(api_client(counselor), "/api/v1/consultations", {"content": "相談"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    for field in ("received_at", "channel", "requester", "main_topic", "response"):
        assert errors[field] == ["必須項目です"]
    assert not Consultation.dangerously_unscoped.exists()


def _walk(client: Client, **params: int) -> list[list[int]]:
    """Every page of the list, following `next` until it is null."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        query: dict[str, int | str] = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/consultations", query)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {"page_size", "next", "items"}  # no count of the whole list
        pages.append([c["id"] for c in body["items"]])
        cursor = body["next"]
        if cursor is None:
            return pages


def test_the_list_pages_by_cursor_through_own_and_shared_rows(
    counselor: User, receiver: User
) -> None:
    """Own rows and rows shared under a grant are read apart and merged in one order, ties on the
    same instant kept apart by id; each row once; the query count is the same on every page."""
    now = timezone.now().replace(microsecond=0)
    own_client = api_client(receiver)
    sender = api_client(counselor)
    own = [
        intake(
            own_client,
            None,
            anonymous_label=f"自{i}",
            received_at=(now - dt.timedelta(hours=i // 2)).isoformat(),
        )["id"]
        for i in range(5)
    ]
    shared = [
        intake(sender, a_person(counselor), received_at=(now - dt.timedelta(hours=i)).isoformat())[
            "id"
        ]
        for i in range(3)
    ]
    for consultation_id in shared:
        share(counselor, consultation_id, content=True)
    not_shared = intake(sender, a_person(counselor))["id"]
    expected = [
        c.pk
        for c in Consultation.dangerously_unscoped.filter(pk__in=own + shared).order_by(
            "-received_at", "-pk"
        )
    ]
    # the parts are disjoint and together are exactly what the one door opens
    own_part, shared_part = (
        set(p.values_list("pk", flat=True)) for p in Consultation.objects.visible_parts_to(receiver)
    )
    visible = set(Consultation.objects.visible_to(receiver).values_list("pk", flat=True))
    assert not own_part & shared_part and own_part | shared_part == visible == set(expected)
    pages = _walk(own_client, page_size=3)
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [i for p in pages for i in p] == expected and not_shared not in expected
    assert _walk(own_client) == [expected]
    # one log row per person shown per page (the own rows here are anonymous)
    listed = AccessLog.objects.filter(
        user=receiver, action="list", channel="api", person__isnull=False
    )
    assert sorted(listed.values_list("object_id", flat=True)) == sorted(
        [str(i) for i in shared] * 2
    )


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        _encode(["2026-01-01 00:00:00", "1"]),  # a time without its zone
        _encode(["2026-01-01 00:00:00+00:00", str(10**30)]),  # past any id
        _encode(["2026-01-01 00:00:00+00:00"]),
    ],
)
def test_a_cursor_that_is_not_ours_is_422_in_japanese(counselor: User, cursor: str) -> None:
    intake(api_client(counselor), None, anonymous_label="一件")
    response = api_client(counselor).get("/api/v1/consultations", {"cursor": cursor})
    assert response.status_code == 422
    assert "cursor" in response.json()["errors"] and "next" in response.json()["detail"]


def test_list_query_count_does_not_grow_with_rows(counselor: User, receiver: User) -> None:
    client = api_client(receiver)
    sender = api_client(counselor)

    def grow(n: int) -> None:
        for _ in range(n):
            intake(client, a_person(receiver))
            shared = intake(sender, a_person(counselor))["id"]
            share(counselor, shared, content=True)

    grow(1)
    client.get("/api/v1/consultations")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/consultations").json()["items"]) == 2
    grow(4)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/consultations", {"page_size": 6}).json()
    assert len(body["items"]) == 6 and body["next"]
    assert len(many) == len(one), [q["sql"] for q in many]
    # the list names each person by id: no person record is read to answer or log it
    assert not any('"people_person"' in q["sql"] for q in many), [q["sql"] for q in many]
    with CaptureQueriesContext(connection) as next_page:
        body = client.get("/api/v1/consultations", {"page_size": 6, "cursor": body["next"]}).json()
    assert len(body["items"]) == 4 and body["next"] is None
    assert len(next_page) == len(one)
