"""No silent overwrite of consultations and consents: the edit screens carry the version the
form was made from; a stale save is refused naming who changed what (the one `refuse_stale` of
core/history.py, as for persons); of two racing saves exactly one wins, on both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record, consent_update, consent_withdraw
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import (
    ConsultationData,
    consultation_create,
    consultation_update,
)
from tsunagu.core.once import form_token_new
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create

POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def colleague(city: Municipality) -> User:
    return make_user(city, "hokatsu-kita", Role.COUNSELOR, "colleague")


@pytest.fixture
def person(counselor: User) -> Person:
    return person_create(
        user=counselor, data=PersonData(family_name="松本", given_name="清", external_id="K-9")
    )


def _data(content: str) -> ConsultationData:
    return ConsultationData(
        received_at=dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC),
        channel="window",
        requester="self",
        main_topic="care",
        content=content,
        response="closed",
        external_id="S-1",
    )


@pytest.fixture
def consultation(counselor: User, person: Person) -> Consultation:
    return consultation_create(user=counselor, person=person, data=_data("介護の相談"))


def _form(content: str, version: int) -> dict[str, str]:
    return {
        "received_at": "2026-04-01T19:00",
        "channel": "window",
        "requester": "self",
        "main_topic": "care",
        "topics": "care",
        "content": content,
        "response": "closed",
        "is_new": "1",
        "form_token": form_token_new(),
        "version": str(version),
    }


def test_a_stale_consultation_edit_is_refused_naming_what_changed(
    consultation: Consultation, counselor: User, colleague: User
) -> None:
    url = f"/consultations/{consultation.pk}/edit/"
    page = client_for(counselor).get(url)
    assert page.status_code == 200 and 'name="version" value="1"' in page.content.decode()
    first = client_for(colleague).post(url, _form("同僚が書き足した相談内容", 1))
    assert first.status_code == 302
    second = client_for(counselor).post(url, _form("古い画面からの保存", 1))
    assert second.status_code == 200
    body = second.content.decode()
    assert "画面を開いた後に" in body and "相談内容" in body and 'value="2"' in body
    consultation.refresh_from_db()
    assert consultation.content == "同僚が書き足した相談内容" and consultation.version == 2
    assert consultation.external_id == "S-1"  # an edit never clears the import key
    # after reading the message, saving again is a deliberate overwrite
    again = client_for(counselor).post(url, _form("確かめて保存", 2))
    assert again.status_code == 302
    consultation.refresh_from_db()
    assert consultation.content == "確かめて保存" and consultation.version == 3


def test_another_organization_cannot_edit_a_consultation(
    consultation: Consultation, receiver: User
) -> None:
    url = f"/consultations/{consultation.pk}/edit/"
    assert client_for(receiver).get(url).status_code == 404
    assert client_for(receiver).post(url, _form("他機関", 1)).status_code == 404
    consultation.refresh_from_db()
    assert consultation.content == "介護の相談"


@pytest.fixture
def consent(counselor: User, person: Person, city: Municipality) -> Consent:
    return consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="支援関係機関が連携して支援を行うための情報共有",
        scope_organizations=list(
            Organization.objects.filter(municipality=city).exclude(code="hokatsu-kita")[:2]
        ),
        valid_from=dt.date(2026, 4, 1),
        valid_until=None,
    )


def _consent_update(user: User, consent: Consent, purpose: str, version: int) -> Consent:
    return consent_update(
        user=user,
        consent=consent,
        method=consent.method,
        purpose=purpose,
        scope_organizations=list(consent.scope_organizations.all()),
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        expected_version=version,
    )


def test_a_stale_consent_edit_is_refused_naming_what_changed(
    consent: Consent, counselor: User, colleague: User
) -> None:
    page = client_for(counselor).get(f"/consents/{consent.pk}/edit/")
    assert page.status_code == 200 and 'name="version" value="1"' in page.content.decode()
    _consent_update(colleague, Consent.dangerously_unscoped.get(pk=consent.pk), "同僚の目的", 1)
    stale = Consent.dangerously_unscoped.get(pk=consent.pk)
    with pytest.raises(ValidationError, match=r"colleague.*さんが変更しました.*利用目的"):
        _consent_update(counselor, stale, "古い画面の目的", 1)
    consent.refresh_from_db()
    assert consent.purpose == "同僚の目的" and consent.version == 2


def test_a_withdrawal_after_the_form_was_opened_refuses_the_edit(
    consent: Consent, counselor: User
) -> None:
    consent_withdraw(user=counselor, consent=Consent.dangerously_unscoped.get(pk=consent.pk))
    with pytest.raises(ValidationError, match="画面を開いた後に"):
        _consent_update(counselor, consent, "撤回の後", 1)
    with pytest.raises(ValidationError, match="撤回された同意は変更できません"):
        _consent_update(counselor, Consent.dangerously_unscoped.get(pk=consent.pk), "撤回の後", 2)


def test_two_forms_saved_one_after_the_other_keep_the_first(
    consultation: Consultation, counselor: User, colleague: User
) -> None:
    """The race as both databases see it once the first commit is in: one winner."""
    a = Consultation.dangerously_unscoped.get(pk=consultation.pk)
    b = Consultation.dangerously_unscoped.get(pk=consultation.pk)
    consultation_update(user=colleague, consultation=a, data=_data("一人目"), expected_version=1)
    with pytest.raises(ValidationError):
        consultation_update(
            user=counselor, consultation=b, data=_data("二人目"), expected_version=1
        )
    consultation.refresh_from_db()
    assert consultation.content == "一人目" and consultation.version == 2


@pytest.mark.django_db(transaction=True)
def test_racing_saves_have_one_winner(counselor: User, colleague: User) -> None:
    if not POSTGRES:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serializes whole transactions)")
    person = person_create(user=counselor, data=PersonData(family_name="競合", given_name="太郎"))
    consultation = consultation_create(user=counselor, person=person, data=_data("元の内容"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user: User, content: str) -> None:
        try:
            record = Consultation.dangerously_unscoped.get(pk=consultation.pk)
            barrier.wait()
            consultation_update(
                user=user, consultation=record, data=_data(content), expected_version=1
            )
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(counselor, "一人目")),
        threading.Thread(target=save, args=(colleague, "二人目")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "saved"]
    consultation.refresh_from_db()
    assert consultation.version == 2 and consultation.content in ("一人目", "二人目")
