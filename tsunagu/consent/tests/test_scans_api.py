"""The scanned consent forms through the API: upload (multipart, PDF/JPEG/PNG by content, size
limit), list (metadata only) and the file itself, checked and logged as on the web."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consent import services
from tsunagu.consent.models import Consent, ConsentAttachment
from tsunagu.consent.services import consent_record
from tsunagu.consent.tests.test_scans import JPEG, PDF, PNG, _share
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create


@pytest.fixture
def person(counselor: User) -> Person:
    return person_create(
        user=counselor,
        data=PersonData(family_name="井上", given_name="花子", address="南町1-2-3"),
    )


@pytest.fixture
def consent(counselor: User, person: Person) -> Consent:
    return consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="支援のための共有",
        scope_organizations=[Organization.objects.get(code="jiritsu-soudan")],
        valid_from=timezone.localdate(),
        valid_until=None,
    )


def api(user: User | None) -> Client:
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})


def upload(client: Client, consent_id: int, name: str, content: bytes) -> Any:
    return client.post(
        f"/api/v1/consents/{consent_id}/scans", {"file": SimpleUploadedFile(name, content)}
    )


def test_the_holder_uploads_lists_and_opens_a_scan(counselor: User, consent: Consent) -> None:
    client = api(counselor)
    sent = upload(client, consent.pk, "同意書.pdf", PDF)
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert upload(client, consent.pk, "scan.png", PNG).status_code == 201
    listed = client.get(f"/api/v1/consents/{consent.pk}/scans")
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["content_type"] for r in rows] == ["application/pdf", "image/png"]
    assert all("content" not in r for r in rows)
    file = client.get(rows[0]["url"])
    assert file.status_code == 200 and file.content == PDF
    assert file["Content-Type"] == "application/pdf"
    assert "no-store" in file["Cache-Control"] and file["X-Content-Type-Options"] == "nosniff"
    logged = AccessLog.objects.filter(
        user=counselor, channel=AccessLog.Channel.API, object_id=str(body["id"])
    )
    assert logged.filter(action=AccessLog.Action.CREATE).exists()
    assert logged.filter(action=AccessLog.Action.VIEW).exists()
    assert AccessLog.objects.filter(
        user=counselor, channel=AccessLog.Channel.API, action=AccessLog.Action.LIST
    ).exists()


def test_the_kind_is_read_from_the_content(counselor: User, consent: Consent) -> None:
    client = api(counselor)
    assert upload(client, consent.pk, "photo.pdf", JPEG).json()["content_type"] == "image/jpeg"
    refused = upload(client, consent.pk, "scan.pdf", b"MZ\x90\x00 not a scan")
    assert refused.status_code == 415
    assert "PDF・JPEG・PNG" in refused.json()["detail"]
    assert ConsentAttachment.dangerously_unscoped.count() == 1


def test_a_file_too_large_is_refused(
    counselor: User, consent: Consent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_SCAN_BYTES", 16)
    refused = upload(api(counselor), consent.pk, "scan.pdf", PDF)
    assert refused.status_code == 413
    assert "大きすぎます" in refused.json()["detail"]
    assert not ConsentAttachment.dangerously_unscoped.exists()


def test_no_file_or_an_empty_one_is_a_clear_422(counselor: User, consent: Consent) -> None:
    client = api(counselor)
    missing = client.post(f"/api/v1/consents/{consent.pk}/scans", {"note": "x"})
    assert missing.status_code == 422 and "file" in missing.json()["errors"]
    json_body = client.post(
        f"/api/v1/consents/{consent.pk}/scans", "{}", content_type="application/json"
    )
    assert json_body.status_code == 422
    empty = upload(client, consent.pk, "scan.pdf", b"")
    assert empty.status_code == 422 and "空" in empty.json()["detail"]
    assert not ConsentAttachment.dangerously_unscoped.exists()


def test_others_get_the_not_found_answer(
    counselor: User, receiver: User, third: User, outsider: User, person: Person, consent: Consent
) -> None:
    scan_id = upload(api(counselor), consent.pk, "scan.pdf", PDF).json()["id"]
    missing = api(outsider).get("/api/v1/consents/987654321/scans")
    assert missing.status_code == 404
    for user in (receiver, third, outsider):  # the receiver has no basis yet
        client = api(user)
        for response in (
            client.get(f"/api/v1/consents/{consent.pk}/scans"),
            client.get(f"/api/v1/consents/scans/{scan_id}"),
            upload(client, consent.pk, "scan.pdf", PDF),
        ):
            assert response.status_code == 404, user
            assert response.content == missing.content
    assert ConsentAttachment.dangerously_unscoped.count() == 1
    for url in (f"/api/v1/consents/{consent.pk}/scans", f"/api/v1/consents/scans/{scan_id}"):
        assert api(None).get(url).status_code == 401
    assert upload(api(None), consent.pk, "scan.pdf", PDF).status_code == 401


def test_a_covered_organization_lists_and_opens_but_does_not_upload(
    counselor: User, receiver: User, person: Person, consent: Consent
) -> None:
    scan_id = upload(api(counselor), consent.pk, "scan.pdf", PDF).json()["id"]
    _share(counselor, person, consent)
    client = api(receiver)
    assert [r["id"] for r in client.get(f"/api/v1/consents/{consent.pk}/scans").json()] == [scan_id]
    assert client.get(f"/api/v1/consents/scans/{scan_id}").content == PDF
    assert upload(client, consent.pk, "scan.pdf", PDF).status_code == 404
    # 住所秘匿: the form stays with the organization that obtained it
    Person.dangerously_unscoped.filter(pk=person.pk).update(address_protected=True)
    assert client.get(f"/api/v1/consents/{consent.pk}/scans").status_code == 404
    assert client.get(f"/api/v1/consents/scans/{scan_id}").status_code == 404


def test_the_scan_operations_are_in_the_openapi_document(counselor: User) -> None:
    doc = api(counselor).get("/api/v1/openapi.json").json()
    post = doc["paths"]["/api/v1/consents/{consent_id}/scans"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"201", "413", "415", "404"} <= set(post["responses"])
    assert "get" in doc["paths"]["/api/v1/consents/{consent_id}/scans"]
    assert "get" in doc["paths"]["/api/v1/consents/scans/{attachment_id}"]
