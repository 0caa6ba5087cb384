"""The members' scanned consent forms on the case page: for the organizations that may open them
(the holder, and those the consent covers with a live basis), never under 住所秘匿."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case
from tsunagu.cases.tests.conftest import Household
from tsunagu.consent.services import consent_attach
from tsunagu.people.models import Person

PDF = b"%PDF-1.4\n%%EOF\n"


def test_the_case_page_links_the_scans_the_user_may_open(
    case: Case, household: Household, counselor: User, coordinator: User, third: User
) -> None:
    scan = consent_attach(
        user=counselor, consent=household.mother_consent, upload=SimpleUploadedFile("s.pdf", PDF)
    )
    link = f"/consents/scans/{scan.pk}/"
    page = client_for(coordinator).get(f"/cases/{case.pk}/").content.decode()
    assert "同意書の写し" in page and link in page
    assert client_for(coordinator).get(link).content == PDF
    assert client_for(third).get(link).status_code == 404
    # 住所秘匿: the form (it shows the address) stays with the organization that obtained it
    Person.dangerously_unscoped.filter(pk=household.mother.pk).update(address_protected=True)
    assert link not in client_for(coordinator).get(f"/cases/{case.pk}/").content.decode()
    assert client_for(coordinator).get(link).status_code == 404
    assert client_for(counselor).get(link).status_code == 200
