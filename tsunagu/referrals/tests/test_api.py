"""The referral loop over the API, consent recording, and the rules around them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consent.models import Consent
from tsunagu.people.access import ADDRESS_MASK
from tsunagu.referrals.models import Referral


def api_client(user: User | None) -> Client:
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def post(client: Client, url: str, data: object = None) -> Any:
    return client.post(url, data, content_type="application/json")


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def intake(client: Client, **person: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register a person and their consultation through the API."""
    p = created(
        post(
            client,
            "/api/v1/persons",
            {
                "family_name": "山田",
                "given_name": "一郎",
                "family_name_kana": "やまだ",
                "given_name_kana": "いちろう",
                "birth_date": "1972-05-01",
                "postal_code": "939-0000",
                "address": "北町1丁目2番3号",
                "phone": "0766-00-0000",
                **person,
            },
        )
    )
    c = created(
        post(
            client,
            "/api/v1/consultations",
            {
                "person": p["id"],
                "received_at": timezone.now().isoformat(),
                "channel": "window",
                "requester": "family",
                "main_topic": "8050",
                "topics": ["hikikomori", "income"],
                "content": "80代の母と50代の息子。息子は20年ひきこもり。",
                "response": "referral",
            },
        )
    )
    return p, c


def consent(client: Client, person_id: int, *codes: str) -> dict[str, Any]:
    return created(
        post(
            client,
            "/api/v1/consents",
            {
                "person": person_id,
                "method": "written",
                "purpose": "就労と家計の支援のための情報共有",
                "scope_organizations": list(codes),
                "valid_from": timezone.localdate().isoformat(),
                "valid_until": None,
            },
        )
    )


def refer_body(consultation_id: int, consent_id: int | None, **fields: object) -> dict[str, Any]:
    return {
        "consultation": consultation_id,
        "to_organization": "jiritsu-soudan",
        "reason": "就労と家計の相談が必要",
        "basis": "consent",
        "consent": consent_id,
        **fields,
    }


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/consents"),
        ("post", "/api/v1/referrals"),
        ("get", "/api/v1/referrals?box=in"),
        ("get", "/api/v1/referrals/1"),
        ("post", "/api/v1/referrals/1/accept"),
        ("post", "/api/v1/referrals/1/decline"),
        ("post", "/api/v1/referrals/1/complete"),
    ],
)
def test_referrals_and_consents_need_a_token(method: str, url: str, counselor: User) -> None:
    assert getattr(Client(), method)(url).status_code == 401


def test_the_whole_loop_over_the_api(counselor: User, receiver: User, third: User) -> None:
    sender, other, bystander = api_client(counselor), api_client(receiver), api_client(third)
    person, consultation = intake(sender)
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    assert agreed["scope_organizations"] == ["jiritsu-soudan"]
    referral = created(
        post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"]))
    )
    assert referral["status"] == "requested" and referral["overdue"] is False
    assert referral["due_date"] > timezone.localdate().isoformat()
    assert referral["person"]["id"] == person["id"]

    # the receiver finds it in its inbox, with the shared content, and without the address
    inbox = other.get("/api/v1/referrals", {"box": "in"}).json()
    assert inbox["next"] is None and len(inbox["items"]) == 1
    item = inbox["items"][0]
    assert item["id"] == referral["id"] and item["from_organization"] == "hokatsu-kita"
    assert item["consultation"]["content"] == consultation["content"]
    assert item["person"]["phone"] == "0766-00-0000" and item["person"]["address"] == ""
    assert other.get("/api/v1/referrals", {"box": "out"}).json()["items"] == []
    read = other.get(f"/api/v1/consultations/{consultation['id']}")
    assert read.status_code == 200 and read.json()["content"].startswith("80代の母")

    # the third organization sees nothing of it
    for url in (
        f"/api/v1/persons/{person['id']}",
        f"/api/v1/consultations/{consultation['id']}",
        f"/api/v1/referrals/{referral['id']}",
    ):
        assert bystander.get(url).status_code == 404
    for box in ("in", "out"):
        assert bystander.get("/api/v1/referrals", {"box": box}).json()["items"] == []
    assert bystander.get("/api/v1/persons").json()["items"] == []
    assert bystander.get("/api/v1/consultations").json()["items"] == []
    assert post(bystander, f"/api/v1/referrals/{referral['id']}/accept").status_code == 404

    accepted = post(other, f"/api/v1/referrals/{referral['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    done = post(
        other, f"/api/v1/referrals/{referral['id']}/complete", {"outcome": "家計改善支援を開始"}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "completed" and done.json()["outcome"] == "家計改善支援を開始"

    # the sender hears back
    outbox = sender.get("/api/v1/referrals", {"box": "out"}).json()["items"]
    assert [(r["id"], r["status"], r["outcome"]) for r in outbox] == [
        (referral["id"], "completed", "家計改善支援を開始")
    ]
    assert list(Referral.dangerously_unscoped.get().events.values_list("status", flat=True)) == [
        "requested",
        "accepted",
        "completed",
    ]

    # the receiver's reads are in the access log, over the API, under the referral's grant
    grant = AccessGrant.objects.get(referral_id=referral["id"])
    reads = AccessLog.objects.filter(user=receiver, person_id=person["id"])
    assert {(log.action, log.object_type) for log in reads} >= {
        ("list", "referrals.referral"),
        ("view", "consultations.consultation"),
        ("update", "referrals.referral"),
    }
    assert all(log.channel == "api" and log.grant == grant for log in reads)
    assert not AccessLog.objects.filter(user=third).exists()


def test_content_is_withheld_when_the_grant_does_not_include_it(
    counselor: User, receiver: User
) -> None:
    sender = api_client(counselor)
    person, consultation = intake(sender)
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    body = refer_body(consultation["id"], agreed["id"], share_content=False, share_contact=False)
    referral = created(post(sender, "/api/v1/referrals", body))
    item = api_client(receiver).get(f"/api/v1/referrals/{referral['id']}").json()
    assert item["consultation"] is None
    assert item["person"]["family_name"] == "山田" and item["person"]["phone"] == ""
    assert api_client(receiver).get(f"/api/v1/consultations/{consultation['id']}").status_code == (
        404
    )
    # the sender always reads its own consultation in the referral
    assert (
        sender.get(f"/api/v1/referrals/{referral['id']}").json()["consultation"]["id"]
        == (consultation["id"])
    )


def test_decline_needs_a_reason_and_ends_what_the_receiver_sees(
    counselor: User, receiver: User
) -> None:
    sender, other = api_client(counselor), api_client(receiver)
    person, consultation = intake(sender)
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    referral = created(
        post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"]))
    )
    url = f"/api/v1/referrals/{referral['id']}/decline"
    for body in ({"reason": "  "}, {}, None):
        response = post(other, url, body)
        assert response.status_code == 422
        assert response.json()["detail"]
    declined = post(other, url, {"reason": "対象外のため障がい相談へ"}).json()
    assert declined["status"] == "declined" and declined["decline_reason"]
    assert declined["person"] is None and declined["consultation"] is None
    assert other.get(f"/api/v1/persons/{person['id']}").status_code == 404
    # a declined referral cannot be accepted afterwards
    again = post(other, f"/api/v1/referrals/{referral['id']}/accept")
    assert again.status_code == 422 and "できません" in again.json()["detail"]


def test_complete_needs_an_outcome_and_only_the_receiver_answers(
    counselor: User, receiver: User
) -> None:
    sender, other = api_client(counselor), api_client(receiver)
    person, consultation = intake(sender)
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    referral = created(
        post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"]))
    )
    assert post(sender, f"/api/v1/referrals/{referral['id']}/accept").status_code == 422
    post(other, f"/api/v1/referrals/{referral['id']}/accept")
    response = post(other, f"/api/v1/referrals/{referral['id']}/complete", {"outcome": ""})
    assert response.status_code == 422
    assert "対応結果" in response.json()["errors"]["outcome"][0]
    assert Referral.dangerously_unscoped.get().status == "accepted"


def test_other_city_sees_nothing(counselor: User, outsider: User) -> None:
    sender = api_client(counselor)
    person, consultation = intake(sender)
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    referral = created(
        post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"]))
    )
    client = api_client(outsider)
    assert client.get(f"/api/v1/referrals/{referral['id']}").status_code == 404
    assert post(client, f"/api/v1/referrals/{referral['id']}/accept").status_code == 404
    assert client.get("/api/v1/referrals", {"box": "in"}).json()["items"] == []
    # nor can it refer, or record consent about, another city's records
    body = refer_body(consultation["id"], agreed["id"], to_organization="soudan")
    assert post(client, "/api/v1/referrals", body).status_code == 404
    consent_body = {
        "person": person["id"],
        "method": "written",
        "purpose": "x",
        "scope_organizations": ["soudan"],
    }
    assert post(client, "/api/v1/consents", consent_body).status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"basis": None}, "basis", "次のどれか"),
        ({"basis": ""}, "basis", "次のどれか"),
        ({"basis": "hunch"}, "basis", "次のどれか"),
        ({"consent": None}, "consent", "本人同意を選んでください"),
        ({"consent": 999999}, "consent", "見つかりません"),
        ({"basis": "statute", "statute": " "}, "statute", "法令を選"),
        ({"basis": "support_meeting", "meeting_body": "nope"}, "meeting_body", "見つかりません"),
        (
            {"basis": "support_meeting", "meeting_body": "jusoteki-shien-kaigi"},
            "meeting_body",
            "支援会議",
        ),
        ({"to_organization": "shogai-soudan"}, "consent", "同意の範囲"),
        ({"to_organization": "nowhere"}, "to_organization", "見つかりません"),
        ({"to_organization": "hokatsu-kita"}, "to_organization", "自機関にはつなげません"),
        ({"reason": " "}, "reason", "理由を入力"),
        ({"share_address": True}, "share_address", "住所秘匿"),
    ],
)
def test_bad_referrals_are_422_in_japanese_and_disclose_nothing(
    counselor: User, fields: dict[str, object], field: str, message: str
) -> None:
    sender = api_client(counselor)
    person, consultation = intake(
        sender, address_protected=True, address_protection_until="2027-03-31"
    )
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    body = refer_body(consultation["id"], agreed["id"], **fields)
    if body["basis"] is None:
        del body["basis"]
        message = "必須項目です"
    response = post(sender, "/api/v1/referrals", body)
    assert response.status_code == 422
    assert any(message in m for m in response.json()["errors"][field]), response.json()
    assert not Referral.dangerously_unscoped.exists()
    assert not AccessGrant.objects.exists()


def test_support_meeting_and_statute_bases(counselor: User, receiver: User) -> None:
    sender = api_client(counselor)
    _, consultation = intake(sender)
    meeting = created(
        post(
            sender,
            "/api/v1/referrals",
            refer_body(
                consultation["id"], None, basis="support_meeting", meeting_body="shien-kaigi"
            ),
        )
    )
    assert meeting["basis"] == "support_meeting"
    anonymous = created(
        post(
            sender,
            "/api/v1/consultations",
            {
                "anonymous_label": "北町の男性",
                "received_at": timezone.now().isoformat(),
                "channel": "phone",
                "requester": "resident",
                "main_topic": "isolation",
                "content": "近所の高齢男性を最近見かけない",
                "response": "referral",
            },
        )
    )
    statute = created(
        post(
            sender,
            "/api/v1/referrals",
            refer_body(anonymous["id"], None, basis="statute", statute="elder-abuse-7"),
        )
    )
    assert statute["person"] is None
    # the receiver of an anonymous referral sees the request, not the consultation
    seen = api_client(receiver).get(f"/api/v1/referrals/{statute['id']}").json()
    assert seen["reason"] and seen["consultation"] is None and seen["person"] is None


def test_only_own_consultations_are_referred(counselor: User, receiver: User) -> None:
    sender, other = api_client(counselor), api_client(receiver)
    person, consultation = intake(sender)
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    created(post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"])))
    # the receiver may read the consultation, but cannot pass it on as its own
    body = refer_body(
        consultation["id"], None, to_organization="shogai-soudan", basis="statute", statute="dv-6"
    )
    response = post(other, "/api/v1/referrals", body)
    assert response.status_code == 422
    assert "自機関で受け付けた相談" in response.json()["errors"]["consultation"][0]


def test_box_is_required_and_checked(counselor: User) -> None:
    client = api_client(counselor)
    for params in ({}, {"box": "inbox"}, {"box": "in", "status": "lost"}):
        response = client.get("/api/v1/referrals", params)
        assert response.status_code == 422
        assert "次のどれか" in response.json()["detail"] or "必須" in response.json()["detail"]


def test_an_address_protected_person_stays_masked_in_the_inbox(
    counselor: User, receiver: User
) -> None:
    sender = api_client(counselor)
    person, consultation = intake(
        sender, address_protected=True, address_protection_until="2027-03-31"
    )
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    body = refer_body(
        consultation["id"], agreed["id"], share_address=True, acknowledge_address_protection=True
    )
    created(post(sender, "/api/v1/referrals", body))
    item = api_client(receiver).get("/api/v1/referrals", {"box": "in"}).json()["items"][0]
    assert item["person"]["address"] == ADDRESS_MASK and item["person"]["postal_code"] == ""


def test_consent_rules(counselor: User, receiver: User, third: User) -> None:
    sender = api_client(counselor)
    person, consultation = intake(sender)
    base = {
        "person": person["id"],
        "method": "verbal",
        "purpose": "情報共有",
        "scope_organizations": ["jiritsu-soudan"],
    }
    agreed = created(post(sender, "/api/v1/consents", base))
    assert agreed["valid_from"] == timezone.localdate().isoformat()  # today by default
    assert agreed["organization"] == "hokatsu-kita"
    log = AccessLog.objects.get(object_type="consent.consent")
    assert (log.action, log.channel) == ("create", "api")

    def rejected(fields: dict[str, object], field: str, message: str) -> None:
        response = post(sender, "/api/v1/consents", {**base, **fields})
        assert response.status_code == 422, fields
        assert any(message in m for m in response.json()["errors"][field]), response.json()

    rejected({"scope_organizations": ["nowhere"]}, "scope_organizations", "不明な機関コード")
    rejected({"scope_organizations": []}, "scope_organizations", "1つ以上")
    rejected({"method": "telepathy"}, "method", "次のどれか")
    rejected({"purpose": " "}, "purpose", "利用目的")
    rejected({"valid_from": "2026-02-30"}, "valid_from", "実在する日付")
    rejected({"valid_from": "2026-05-01", "valid_until": "2026-04-01"}, "valid_until", "開始より前")
    assert Consent.dangerously_unscoped.count() == 1
    # a third organization cannot even see the person
    assert post(api_client(third), "/api/v1/consents", base).status_code == 404
    # a receiver who sees the person by grant still cannot record consent for the holder
    created(post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"])))
    response = post(api_client(receiver), "/api/v1/consents", base)
    assert response.status_code == 422 and "自機関の記録" in response.json()["detail"]


def test_the_boxes_page_by_cursor_with_a_query_count_that_does_not_grow(
    counselor: User, receiver: User
) -> None:
    sender = api_client(counselor)
    inbox = api_client(receiver)

    def refer(n: int) -> int:
        names = ["いちろう", "じろう", "さぶろう", "しろう"]
        person, consultation = intake(
            sender, given_name=f"{n}郎", given_name_kana=names[n], phone=f"0766-00-000{n}"
        )
        agreed = consent(sender, person["id"], "jiritsu-soudan")
        referral = created(
            post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"]))
        )
        return int(referral["id"])

    ids = [refer(0)]
    inbox.get("/api/v1/referrals", {"box": "in"})
    with CaptureQueriesContext(connection) as one:
        assert len(inbox.get("/api/v1/referrals", {"box": "in"}).json()["items"]) == 1
    ids += [refer(n) for n in range(1, 4)]
    with CaptureQueriesContext(connection) as many:
        first = inbox.get("/api/v1/referrals", {"box": "in", "page_size": "3"}).json()
    assert len(many) == len(one), [q["sql"] for q in many]
    assert set(first) == {"page_size", "next", "items"} and first["next"]
    rest = inbox.get(
        "/api/v1/referrals", {"box": "in", "page_size": "3", "cursor": first["next"]}
    ).json()
    assert rest["next"] is None
    assert [r["id"] for r in first["items"] + rest["items"]] == ids[::-1]  # newest first
    refused = inbox.get("/api/v1/referrals", {"box": "in", "cursor": "not-a-cursor"})
    assert refused.status_code == 422 and "cursor" in refused.json()["errors"]
