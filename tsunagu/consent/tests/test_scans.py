"""The scanned, signed consent form: PDF or image by its content, size-limited, kept in the
database, served only through an access-checked, logged view; 住所秘匿 keeps it with the holder."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog, Basis
from tsunagu.accounts.models import User
from tsunagu.consent import services
from tsunagu.consent.models import Consent, ConsentAttachment
from tsunagu.consent.services import consent_attach, consent_record
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create
from tsunagu.referrals.services import ReferralData, referral_create

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


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


def _share(counselor: User, person: Person, consent: Consent) -> None:
    """A つなぎ on the consent: 南市くらしサポートセンター (receiver) sees the person."""
    consultation = consultation_create(
        user=counselor,
        person=person,
        data=ConsultationData(
            received_at=timezone.now(),
            channel="window",
            requester="self",
            main_topic="care",
            content="家計の相談",
            response="referral",
        ),
    )
    referral_create(
        user=counselor,
        consultation=consultation,
        data=ReferralData(
            to_organization=Organization.objects.get(code="jiritsu-soudan"),
            reason="家計",
            basis=Basis.CONSENT,
            consent=consent,
        ),
    )


def _upload(client: object, consent: Consent, name: str, content: bytes) -> object:
    return client.post(  # type: ignore[attr-defined]
        f"/consents/{consent.pk}/scans/new/", {"file": SimpleUploadedFile(name, content)}
    )


def test_the_holder_attaches_a_pdf_and_opens_it(
    counselor: User, person: Person, consent: Consent
) -> None:
    client = client_for(counselor)
    assert client.get(f"/consents/{consent.pk}/scans/new/").status_code == 200
    response = _upload(client, consent, "同意書.pdf", PDF)
    assert response.status_code == 302  # type: ignore[attr-defined]
    scan = ConsentAttachment.dangerously_unscoped.get()
    assert (scan.content_type, scan.size, bytes(scan.content)) == ("application/pdf", len(PDF), PDF)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert f"/consents/scans/{scan.pk}/" in page
    response = client.get(f"/consents/scans/{scan.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response.content == PDF
    assert AccessLog.objects.filter(
        action=AccessLog.Action.VIEW, object_type__endswith="consentattachment", person=person
    ).exists()


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("scan.png", PNG, "image/png"), ("scan.pdf", JPEG, "image/jpeg"), ("x", PNG, "image/png")],
)
def test_the_kind_is_read_from_the_content_not_the_name(
    counselor: User, consent: Consent, name: str, content: bytes, kind: str
) -> None:
    assert _upload(client_for(counselor), consent, name, content).status_code == 302  # type: ignore[attr-defined]
    assert ConsentAttachment.dangerously_unscoped.get().content_type == kind


def test_a_file_that_is_not_a_pdf_or_image_is_refused(counselor: User, consent: Consent) -> None:
    response = _upload(client_for(counselor), consent, "scan.pdf", b"<html>not a pdf</html>")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "PDF・JPEG・PNGのファイルを選んでください" in response.content.decode()  # type: ignore[attr-defined]
    assert not ConsentAttachment.dangerously_unscoped.exists()


def test_a_file_too_large_is_refused(
    counselor: User, consent: Consent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_SCAN_BYTES", 16)
    response = _upload(client_for(counselor), consent, "scan.pdf", PDF)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "ファイルが大きすぎます" in response.content.decode()  # type: ignore[attr-defined]
    assert not ConsentAttachment.dangerously_unscoped.exists()


def test_only_the_holder_attaches(
    counselor: User, receiver: User, person: Person, consent: Consent
) -> None:
    _share(counselor, person, consent)
    assert _upload(client_for(receiver), consent, "s.pdf", PDF).status_code == 404  # type: ignore[attr-defined]
    assert not ConsentAttachment.dangerously_unscoped.exists()


def test_a_covered_organization_with_a_basis_opens_it_others_get_not_found(
    counselor: User, receiver: User, third: User, outsider: User, person: Person, consent: Consent
) -> None:
    scan = consent_attach(user=counselor, consent=consent, upload=SimpleUploadedFile("s.pdf", PDF))
    url = f"/consents/scans/{scan.pk}/"
    missing = client_for(third).get("/consents/scans/987654321/")
    assert client_for(receiver).get(url).status_code == 404  # covered, but no basis yet
    _share(counselor, person, consent)
    assert client_for(receiver).get(url).content == PDF
    for user in (third, outsider):
        response = client_for(user).get(url)
        assert response.status_code == 404 and response.content == missing.content
    assert client_for(None).get(url).status_code == 302


def test_address_protection_keeps_the_form_with_the_holder(
    counselor: User, receiver: User, person: Person, consent: Consent
) -> None:
    scan = consent_attach(user=counselor, consent=consent, upload=SimpleUploadedFile("s.pdf", PDF))
    _share(counselor, person, consent)
    Person.dangerously_unscoped.filter(pk=person.pk).update(address_protected=True)
    url = f"/consents/scans/{scan.pk}/"
    assert client_for(receiver).get(url).status_code == 404
    assert client_for(counselor).get(url).status_code == 200


def test_withdrawal_stops_a_covered_organization_seeing_it(
    counselor: User, receiver: User, person: Person, consent: Consent
) -> None:
    scan = consent_attach(user=counselor, consent=consent, upload=SimpleUploadedFile("s.pdf", PDF))
    _share(counselor, person, consent)
    services.consent_withdraw(user=counselor, consent=consent, note="電話で申出")
    assert client_for(receiver).get(f"/consents/scans/{scan.pk}/").status_code == 404
    assert client_for(counselor).get(f"/consents/scans/{scan.pk}/").status_code == 200
