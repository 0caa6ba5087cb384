"""API updates never overwrite blind: PATCH on persons, consultations and consents names the
version it was made from (If-Match or `version`); made from an older one it is 409 naming who
changed which fields, with the current version; another organization's record is the same 404
as a read; every update is logged; the OpenAPI document says so."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from conftest import make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record, consent_withdraw
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create


@pytest.fixture
def colleague(city: Municipality) -> User:
    return make_user(city, "hokatsu-kita", Role.COUNSELOR, "colleague")


@pytest.fixture
def person(counselor: User) -> Person:
    return person_create(
        user=counselor,
        data=PersonData(
            family_name="松本", given_name="清", phone="0766-11-2222", external_id="K-1"
        ),
    )


def client(user: User) -> Client:
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def patch(user: User, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client(user).patch(
        "/api/v1" + url, json.dumps(body), content_type="application/json", headers=headers
    )


def test_a_person_update_names_its_version_and_a_stale_one_is_409(
    person: Person, counselor: User, colleague: User
) -> None:
    read = client(counselor).get(f"/api/v1/persons/{person.pk}")
    assert read["ETag"] == '"1"' and read.json()["version"] == 1
    blind = patch(counselor, f"/persons/{person.pk}", {"family_name": "松下"})
    assert blind.status_code == 422 and "version" in blind.json()["errors"]
    first = patch(colleague, f"/persons/{person.pk}", {"family_name": "松下"}, If_Match='"1"')
    assert first.status_code == 200, first.json()
    assert first.json()["family_name"] == "松下" and first.json()["version"] == 2
    assert first["ETag"] == '"2"'
    stale = patch(counselor, f"/persons/{person.pk}", {"given_name": "清二", "version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert "colleague" in body["detail"] and "姓" in body["detail"]
    assert body["current_version"] == 2 and stale["ETag"] == '"2"'
    person.refresh_from_db()
    assert (person.family_name, person.given_name, person.version) == ("松下", "清", 2)
    # only the fields sent change; the import key and the phone stay
    assert person.phone == "0766-11-2222" and person.external_id == "K-1"
    logged = AccessLog.objects.filter(
        person_id=person.pk, action=AccessLog.Action.UPDATE, channel=AccessLog.Channel.API
    )
    assert logged.count() == 1
    mismatch = patch(counselor, f"/persons/{person.pk}", {"version": 2}, If_Match='"1"')
    assert mismatch.status_code == 422


def test_another_organization_gets_the_same_404_as_a_read(
    person: Person, counselor: User, receiver: User
) -> None:
    missing = patch(receiver, "/persons/999999", {"family_name": "他", "version": 1})
    other = patch(receiver, f"/persons/{person.pk}", {"family_name": "他", "version": 1})
    assert missing.status_code == other.status_code == 404
    assert missing.json() == other.json()
    person.refresh_from_db()
    assert person.family_name == "松本" and person.version == 1


def _consultation(counselor: User, person: Person) -> Consultation:
    return consultation_create(
        user=counselor,
        person=person,
        data=ConsultationData(
            received_at=dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC),
            channel="window",
            requester="self",
            main_topic="care",
            topics=["care"],
            content="介護の相談",
            response="closed",
            external_id="S-1",
        ),
    )


def test_a_consultation_correction_and_a_stale_one(
    person: Person, counselor: User, colleague: User, receiver: User
) -> None:
    c = _consultation(counselor, person)
    url = f"/consultations/{c.pk}"
    assert client(counselor).get("/api/v1" + url)["ETag"] == '"1"'
    ok = patch(
        colleague, url, {"content": "同僚が書き足した", "topics": ["care", "income"]}, If_Match="1"
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["version"] == 2 and ok.json()["topics"] == ["care", "income"]
    assert ok.json()["external_id"] == "S-1" and ok.json()["main_topic"] == "care"
    stale = patch(counselor, url, {"content": "古い版から", "version": 1})
    assert stale.status_code == 409 and "相談内容" in stale.json()["detail"]
    assert patch(receiver, url, {"content": "他機関", "version": 2}).status_code == 404
    bad = patch(counselor, url, {"main_topic": "nothing", "version": 2})
    assert bad.status_code == 422
    c.refresh_from_db()
    assert c.content == "同僚が書き足した" and c.version == 2


def test_a_consent_correction_and_a_stale_one(
    person: Person, counselor: User, colleague: User, receiver: User, city: Municipality
) -> None:
    scope = list(Organization.objects.filter(municipality=city).exclude(code="hokatsu-kita")[:2])
    consent = consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="支援関係機関が連携して支援を行うための情報共有",
        scope_organizations=scope,
        valid_from=dt.date(2026, 4, 1),
        valid_until=None,
    )
    url = f"/consents/{consent.pk}"
    ok = patch(
        colleague,
        url,
        {"purpose": "同僚が直した目的", "scope_organizations": [scope[0].code]},
        If_Match='W/"1"',
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["scope_organizations"] == [scope[0].code] and ok.json()["version"] == 2
    stale = patch(counselor, url, {"purpose": "古い版から", "version": 1})
    assert stale.status_code == 409 and "利用目的" in stale.json()["detail"]
    assert stale.json()["current_version"] == 2
    assert patch(receiver, url, {"purpose": "他機関", "version": 2}).status_code == 404
    unknown = patch(counselor, url, {"scope_organizations": ["no-such"], "version": 2})
    assert unknown.status_code == 422
    consent_withdraw(user=counselor, consent=Consent.dangerously_unscoped.get(pk=consent.pk))
    withdrawn = patch(counselor, url, {"purpose": "撤回の後", "version": 2})
    assert withdrawn.status_code in (409, 422)
    consent.refresh_from_db()
    assert consent.purpose == "同僚が直した目的"


def test_the_openapi_document_describes_the_updates(counselor: User) -> None:
    schema = client(counselor).get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/persons/{person_id}",
        "/api/v1/consultations/{consultation_id}",
        "/api/v1/consents/{consent_id}",
    ):
        operation = schema["paths"][path]["patch"]
        assert "409" in operation["responses"] and "422" in operation["responses"]
        assert any(p["name"] == "If-Match" for p in operation["parameters"])
