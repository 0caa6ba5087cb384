from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.cases.models import Case, CaseRequest, ResourceGap
from tsunagu.cases.services import CaseData, case_create
from tsunagu.cases.tests.conftest import Household
from tsunagu.consent.services import consent_withdraw
from tsunagu.people.services import PersonData, person_create


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def post(client: Client, url: str, body: dict[str, Any], method: str = "POST") -> Any:
    return client.generic(
        method, f"/api/v1{url}", json.dumps(body), content_type="application/json"
    )


def day(offset: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def test_an_8050_household_through_the_api(
    household: Household, counselor: User, coordinator: User, receiver: User
) -> None:
    window, hub = api(counselor), api(coordinator)
    sent = post(
        window,
        "/cases/requests",
        {
            "consultation": household.consultation.pk,
            "coordinating_organization": "chiiki-fukushi-ka",
            "note": "8050",
            "basis": "consent",
            "consent": household.mother_consent.pk,
        },
    )
    assert sent.status_code == 201, sent.content
    waiting = json.loads(hub.get("/api/v1/cases/requests?waiting=true").content)
    assert [r["id"] for r in waiting] == [sent.json()["id"]]
    opened = post(
        hub,
        f"/cases/requests/{sent.json()['id']}/open",
        {"title": "山田さん世帯", "issues": ["8050"]},
    )
    assert opened.status_code == 201, opened.content
    case_id = opened.json()["id"]
    for code in ("hokatsu-kita", "jiritsu-soudan"):
        assert (
            post(
                hub, f"/cases/{case_id}/team", {"organization": code, "role": "support"}
            ).status_code
            == 200
        )
    outside = post(
        hub, f"/cases/{case_id}/team", {"organization": "shogai-soudan", "role": "support"}
    )
    assert outside.status_code == 422 and "根拠" in outside.json()["detail"]
    added = post(
        api(receiver),
        f"/cases/{case_id}/members",
        {"person": household.son.pk, "relationship": "child"},
    )
    assert added.status_code == 200, added.content
    answers = {c: {"note": "記入"} for c in ("household", "health", "income", "risk", "wishes")}
    body = {"base_version": 0, "assessed_on": day(), "urgency": "medium", "answers": answers}
    assert post(hub, f"/cases/{case_id}/assessments", body).status_code == 201
    assert post(hub, f"/cases/{case_id}/assessments", body).status_code == 409  # sent twice
    plan_body = {
        "kind": "multi_agency",
        "wishes": "家で暮らしたい",
        "goals": "介護サービス",
        "issues": "介護",
        "monitoring_on": day(30),
        "review_on": day(90),
        "actions": [
            {"description": "障がいの相談", "organization": "shogai-soudan", "due_on": day(7)}
        ],
    }
    bad = post(hub, f"/cases/{case_id}/plans", plan_body)
    assert bad.status_code == 422 and "支援チームに入っていません" in bad.json()["detail"]
    plan_body["actions"] = [
        {"description": "介護保険", "organization": "hokatsu-kita", "due_on": day(7)}
    ]
    plan = post(hub, f"/cases/{case_id}/plans", plan_body).json()
    saved = post(
        hub, f"/plans/{plan['id']}", {**plan_body, "revision": 1, "goals": "新しい目標"}, "PUT"
    )
    assert saved.status_code == 200 and saved.json()["revision"] == 2
    stale = post(hub, f"/plans/{plan['id']}", {**plan_body, "revision": 1}, "PUT")
    assert stale.status_code == 409 and "目標" in stale.json()["detail"]
    assert post(hub, f"/plans/{plan['id']}/confer", {}).status_code == 200
    assert post(hub, f"/plans/{plan['id']}/start", {}).status_code == 200
    action = saved.json()["actions"][0]["id"]
    monitored = post(
        window,
        f"/plans/{plan['id']}/monitoring",
        {"monitored_on": day(), "results": [{"action": action, "result": "partly"}]},
    )
    assert monitored.status_code == 201, monitored.content
    closed = post(
        hub,
        f"/cases/{case_id}/close",
        {
            "outcome": "closed",
            "goals_met": "partly",
            "person_changes": "通所を開始",
            "existing_services_sufficient": False,
            "why_not": "居場所がない",
            "resource_gaps": [{"field": "employment", "description": "中高年の居場所"}],
        },
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and closed.json()["closure"]["resource_gaps"]
    detail = json.loads(hub.get(f"/api/v1/cases/{case_id}").content)
    kinds = [e["kind"] for e in detail["timeline"]]
    assert "meeting" in kinds and "team" in kinds
    gaps = json.loads(window.get("/api/v1/resource-gaps").content)
    assert gaps == [
        {
            "id": ResourceGap.dangerously_unscoped.get().pk,
            "field": "employment",
            "area": None,
            "description": "中高年の居場所",
            "status": "considering",
            "cases": 1,
        }
    ]


def test_a_member_is_shown_only_within_a_live_basis(
    case: Case, household: Household, counselor: User, receiver: User, third: User
) -> None:
    url = f"/api/v1/cases/{case.pk}"
    members = {m["relationship"]: m for m in json.loads(api(receiver).get(url).content)["members"]}
    assert members["head"]["person"]["family_name"] == "山田"
    assert members["head"]["person"]["address"] == "南市北町1-2-3"
    # 住所秘匿: masked for everyone but the holder
    Person = type(household.mother)
    Person.dangerously_unscoped.filter(pk=household.mother.pk).update(address_protected=True)
    members = {m["relationship"]: m for m in json.loads(api(receiver).get(url).content)["members"]}
    assert members["head"]["person"]["address"] == "（住所秘匿）"
    consent_withdraw(user=counselor, consent=household.mother_consent)
    members = {m["relationship"]: m for m in json.loads(api(receiver).get(url).content)["members"]}
    assert members["head"]["person"] is None and members["head"]["organization"] == "hokatsu-kita"
    assert api(third).get(url).status_code == 404
    assert CaseRequest.dangerously_unscoped.count() == 1


def test_the_case_list_pages_by_cursor_and_the_query_count_does_not_grow(
    coordinator: User,
) -> None:
    client = api(coordinator)

    def open_cases(n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            person = person_create(
                user=coordinator, data=PersonData(family_name="山田", given_name=f"太郎{i}")
            )
            case_create(
                user=coordinator,
                data=CaseData(
                    title=f"事例{i}", opened_on=dt.date(2026, 4, 1) + dt.timedelta(days=i // 2)
                ),
                principal=person,
            )

    open_cases(1)
    client.get("/api/v1/cases")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/cases").json()["items"]) == 1
    open_cases(4, start=1)
    with CaptureQueriesContext(connection) as many:
        first = client.get("/api/v1/cases", {"page_size": 3}).json()
    assert len(many) == len(one), [q["sql"] for q in many]
    assert set(first) == {"page_size", "next", "items"} and len(first["items"]) == 3
    rest = client.get("/api/v1/cases", {"page_size": 3, "cursor": first["next"]}).json()
    assert rest["next"] is None
    titles = [c["title"] for c in first["items"] + rest["items"]]
    assert titles == ["事例4", "事例3", "事例2", "事例1", "事例0"]  # newest first, ties by id
    refused = client.get("/api/v1/cases", {"cursor": "x"})
    assert refused.status_code == 422 and "cursor" in refused.json()["errors"]
