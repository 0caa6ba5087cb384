"""The persons API: token required, scoped exactly as the UI, every person shown logged."""

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
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Organization
from tsunagu.people.access import ADDRESS_MASK
from tsunagu.people.models import Person
from tsunagu.referrals.services import ReferralData, referral_create

YAMADA = {
    "family_name": "山田",
    "given_name": "一郎",
    "family_name_kana": "やまだ",
    "given_name_kana": "いちろう",
    "birth_date": "1972-05-01",
    "sex": "male",
    "postal_code": "939-0000",
    "address": "北町1丁目2番3号",
    "phone": "0766-00-0000",
}


def api_client(user: User | None) -> Client:
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def post(client: Client, url: str, data: object) -> Any:
    return client.post(url, data, content_type="application/json")


def register(client: Client, **fields: object) -> dict[str, Any]:
    response = post(client, "/api/v1/persons", {**YAMADA, **fields})
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def share(sender: User, person_id: int, to: str = "jiritsu-soudan", **kw: Any) -> None:
    """Refer a consultation about the person under consent (the service layer, as the UI does)."""
    person = Person.dangerously_unscoped.get(pk=person_id)
    target = Organization.objects.get(municipality__slug="minami", code=to)
    consultation = consultation_create(
        user=sender,
        person=person,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="self",
            main_topic="income",
            content="収入が途絶えた",
            response="referral",
        ),
    )
    consent = consent_record(
        user=sender,
        person=person,
        method="written",
        purpose="支援のための情報共有",
        scope_organizations=[target],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    referral_create(
        user=sender,
        consultation=consultation,
        data=ReferralData(
            to_organization=target, reason="家計の相談", basis=Basis.CONSENT, consent=consent, **kw
        ),
    )


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/persons"),
        ("post", "/api/v1/persons"),
        ("get", "/api/v1/persons/1"),
        ("get", "/api/v1/persons/search?q=山田"),
    ],
)
@pytest.mark.parametrize(
    "header", [None, "Token nonsense", "Bearer x", "Token", "token abc", "Token a b"]
)
def test_persons_need_a_valid_token(
    method: str, url: str, header: str | None, counselor: User
) -> None:
    client = Client(headers={"Authorization": header} if header else {})
    response = getattr(client, method)(url, {} if method == "post" else None)
    assert response.status_code == 401
    assert "認証が必要です" in response.json()["detail"]


def test_register_read_and_log(counselor: User) -> None:
    client = api_client(counselor)
    person = register(client)
    assert person["organization"] == "hokatsu-kita"
    assert person["birth_date"] == "1972-05-01"
    assert person["address"] == "北町1丁目2番3号" and person["phone"] == "0766-00-0000"
    assert person["address_protected"] is False

    response = client.get(f"/api/v1/persons/{person['id']}")
    assert response.status_code == 200
    assert response.json() == person
    logs = AccessLog.objects.filter(person_id=person["id"]).order_by("pk")
    assert [(log.action, log.channel, log.via) for log in logs] == [
        ("create", "api", "own"),
        ("view", "api", "own"),
    ]


def test_other_organizations_and_cities_get_404_and_empty_lists(
    counselor: User, third: User, outsider: User
) -> None:
    person = register(api_client(counselor))
    for user in (third, outsider):
        client = api_client(user)
        assert client.get(f"/api/v1/persons/{person['id']}").status_code == 404
        assert client.get("/api/v1/persons").json()["items"] == []
        hits = client.get("/api/v1/persons/search", {"q": "やまだ いちろう"}).json()["hits"]
        assert hits == []
    # not allowed and not found are the same answer
    missing = api_client(third).get("/api/v1/persons/999999")
    assert missing.status_code == 404
    assert missing.json() == api_client(third).get(f"/api/v1/persons/{person['id']}").json()
    assert api_client(third).get(f"/api/v1/persons/{10**30}").status_code == 404
    assert not AccessLog.objects.filter(user__in=[third, outsider]).exists()


def test_list_is_paginated_and_logs_each_person_shown(counselor: User) -> None:
    client = api_client(counselor)
    ids = [
        register(client, given_name=n, given_name_kana=k)["id"]
        for n, k in [
            ("一郎", "いちろう"),
            ("二郎", "じろう"),
            ("三郎", "さぶろう"),
        ]
    ]
    first = client.get("/api/v1/persons", {"page_size": 2}).json()
    assert "count" not in first and first["next"]
    second = client.get("/api/v1/persons", {"page_size": 2, "cursor": first["next"]}).json()
    assert second["next"] is None
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    # in ふりがな order: いちろう, さぶろう, じろう
    assert [p["id"] for p in first["items"] + second["items"]] == [ids[0], ids[2], ids[1]]
    listed = AccessLog.objects.filter(action="list", channel="api")
    assert sorted(listed.values_list("person_id", flat=True)) == sorted(ids)
    assert client.get("/api/v1/persons", {"page_size": 0}).status_code == 422
    assert client.get("/api/v1/persons", {"page_size": 1000}).status_code == 422


def test_list_query_count_does_not_grow_with_data(counselor: User, receiver: User) -> None:
    sender = api_client(counselor)
    client = api_client(receiver)
    for i in range(2):
        share(counselor, register(sender, given_name=f"太郎{i}")["id"])
    client.get("/api/v1/persons")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/persons")
    for i in range(5):
        share(counselor, register(sender, given_name=f"次郎{i}")["id"])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/persons").json()["items"]) == 7
    # one query per part of the visible persons and one for the rows (no count)
    assert len(many) == len(few) <= 11, [q["sql"] for q in many]
    # own and shared read apart (`visibility_parts`): disjoint, and together what the door opens
    own, shared = (
        set(p.values_list("pk", flat=True)) for p in Person.objects.visible_parts_to(receiver)
    )
    visible = set(Person.objects.visible_to(receiver).values_list("pk", flat=True))
    assert not own & shared and own | shared == visible and len(shared) == 7
    page = client.get("/api/v1/persons", {"page_size": 4}).json()
    rest = client.get("/api/v1/persons", {"page_size": 4, "cursor": page["next"]}).json()
    assert {p["id"] for p in page["items"] + rest["items"]} == visible and rest["next"] is None
    assert client.get("/api/v1/persons", {"cursor": "x"}).status_code == 422


def test_a_grantee_sees_only_what_was_shared(counselor: User, receiver: User) -> None:
    person = register(api_client(counselor))
    client = api_client(receiver)
    assert client.get(f"/api/v1/persons/{person['id']}").status_code == 404
    share(counselor, person["id"])  # contact shared, address not
    seen = client.get(f"/api/v1/persons/{person['id']}").json()
    assert seen["family_name"] == "山田" and seen["phone"] == "0766-00-0000"
    assert seen["address"] == "" and seen["postal_code"] == ""
    assert client.get("/api/v1/persons").json()["items"] == [seen]
    log = AccessLog.objects.get(user=receiver, action="view")
    assert log.channel == "api" and log.via == "grant" and log.grant is not None


def test_address_protection_masks_the_address_for_a_grantee(
    counselor: User, receiver: User
) -> None:
    person = register(
        api_client(counselor), address_protected=True, address_protection_until="2027-03-31"
    )
    assert person["address"] == "北町1丁目2番3号"  # the holder sees it
    share(counselor, person["id"], share_address=True, acknowledge_address_protection=True)
    seen = api_client(receiver).get(f"/api/v1/persons/{person['id']}").json()
    assert seen["address"] == ADDRESS_MASK and seen["postal_code"] == ""
    assert seen["address_protected"] is True


def test_search_ranks_visible_records_and_names_only_the_organization_elsewhere(
    counselor: User, receiver: User, outsider: User
) -> None:
    person = register(api_client(counselor))
    found = api_client(counselor).get(
        "/api/v1/persons/search", {"q": "ヤマダ イチロウ", "birth_date": "1972-05-01"}
    )
    assert found.status_code == 200
    hit = found.json()["hits"][0]
    assert hit["person"]["id"] == person["id"]
    assert 0 < hit["score"] <= 1 and hit["reasons"]
    assert hit["tier"] in ("likely", "review", "")
    assert AccessLog.objects.filter(action="search", channel="api", user=counselor).count() == 1

    elsewhere = api_client(receiver).get(
        "/api/v1/persons/search", {"q": "山田 一郎", "birth_date": "1972-05-01"}
    )
    assert elsewhere.json() == {"hits": [], "known_elsewhere": ["北地域包括支援センター"]}
    assert "0766" not in elsewhere.content.decode()
    assert api_client(outsider).get(
        "/api/v1/persons/search", {"q": "山田 一郎", "birth_date": "1972-05-01"}
    ).json() == {"hits": [], "known_elsewhere": []}


def test_search_input_errors(counselor: User) -> None:
    client = api_client(counselor)
    for params in ({}, {"q": ""}, {"q": "山田", "birth_date": "2026-02-30"}):
        response = client.get("/api/v1/persons/search", params)
        assert response.status_code == 422, params
        assert response.json()["errors"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"birth_date": "2026-02-30"}, "birth_date", "実在する日付"),
        ({"birth_date": "1972/05/01"}, "birth_date", "YYYY-MM-DD"),
        ({"birth_date": "2999-01-01"}, "birth_date", "未来の日付"),
        (
            {"family_name": "", "given_name": "", "family_name_kana": "", "given_name_kana": ""},
            "family_name",
            "氏名かふりがな",
        ),
        ({"family_name_kana": "yamada"}, "family_name_kana", "ひらがなかカタカナ"),
        ({"sex": "x"}, "sex", "次のどれか"),
        ({"postal_code": "12-34"}, "postal_code", "123-4567"),
        ({"given_name": "一" * 51}, "given_name", "50文字まで"),
        ({"address_protected": "maybe"}, "address_protected", "true か false"),
        ({"family_name": "山\x00田"}, "__all__", "NUL"),
    ],
)
def test_bad_person_input_is_422_in_japanese_and_saves_nothing(
    counselor: User, fields: dict[str, object], field: str, message: str
) -> None:
    response = post(api_client(counselor), "/api/v1/persons", {**YAMADA, **fields})
    assert response.status_code == 422
    body = response.json()
    assert any(message in m for m in body["errors"][field]), body
    assert message in body["detail"] or body["detail"] in body["errors"][field]
    assert not Person.dangerously_unscoped.exists()
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    "raw", ["{not json", "", "[1, 2]", '"山田"', "null", b"\xff\xfe".decode("latin-1")]
)
def test_a_body_that_is_not_a_json_object_is_422(counselor: User, raw: str) -> None:
    response = api_client(counselor).post("/api/v1/persons", raw, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not Person.dangerously_unscoped.exists()


def test_html_is_stored_and_returned_as_data(counselor: User) -> None:
    person = register(api_client(counselor), family_name="<script>alert(1)</script>")
    assert person["family_name"] == "<script>alert(1)</script>"
    assert Person.dangerously_unscoped.get().family_name == "<script>alert(1)</script>"


def test_birth_date_today_is_accepted(counselor: User) -> None:
    today = timezone.localdate().isoformat()
    assert register(api_client(counselor), birth_date=today)["birth_date"] == today
    assert dt.date.fromisoformat(today) == Person.dangerously_unscoped.get().birth_date


def test_an_undeclared_method_on_a_literal_path_is_405_not_the_parameter_paths_422(
    counselor: User,
) -> None:
    """`PATCH /persons/search` is no operation: the literal path wins over `/persons/{id}`
    (which has PATCH), so its query is not checked against the update and the router says 405."""
    client = api_client(counselor)
    response = client.patch("/api/v1/persons/search?q=山田&limit=20")
    assert response.status_code == 405
    # the search itself still refuses a parameter it does not declare
    wrong = client.get("/api/v1/persons/search?q=山田&colour=red")
    assert wrong.status_code == 422
    assert "colour" in wrong.json()["detail"]
