"""Records are kept for their period and then erased (the log of it kept); a person's records
are produced as one export for a disclosure request."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from conftest import client_for, make_user
from tsunagu.access.chain import chain_verify
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.cases.models import Case
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.core.tests.downloads import download_text
from tsunagu.organizations.models import Municipality
from tsunagu.people.models import Person, PersonKey
from tsunagu.people.services import PersonData, person_create, person_update
from tsunagu.recordkeeping.services import retention_plan


def _person(user: User, name: str, years_ago: float) -> Person:
    person = person_create(
        user=user,
        data=PersonData(
            family_name=name,
            given_name="花子",
            family_name_kana="てすと",
            birth_date=dt.date(1950, 1, 1),
            phone="0766-00-1111",
            address="南町1-2-3",
        ),
    )
    when = timezone.now() - dt.timedelta(days=round(365.25 * years_ago))
    consultation_create(
        user=user,
        person=person,
        data=ConsultationData(
            received_at=when,
            channel="window",
            requester="self",
            main_topic="care",
            content=f"{name}さんの介護の相談",
            response="closed",
        ),
    )
    Person.dangerously_unscoped.filter(pk=person.pk).update(updated_at=when)
    return person


def test_dry_run_lists_and_changes_nothing(counselor: User) -> None:
    old = _person(counselor, "古川", 6)
    _person(counselor, "新井", 1)
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "本人 1 人" in text and f"#{old.pk}" in text and "何も変更していません" in text
    old.refresh_from_db()
    assert old.family_name == "古川" and old.anonymised_at is None


def test_a_run_erases_old_records_keeps_counts_and_logs(counselor: User) -> None:
    old = _person(counselor, "古川", 6)
    person_update(
        user=counselor,
        person=old,
        data=PersonData(family_name="古川", given_name="花子", phone="0766-99-9999"),
    )
    Person.dangerously_unscoped.filter(pk=old.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=2500)
    )
    recent = _person(counselor, "新井", 1)
    call_command("retention", stdout=StringIO())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.anonymised_at is not None
    assert (old.family_name, old.phone, old.address, old.birth_date) == ("匿名化済", "", "", None)
    assert recent.family_name == "新井" and recent.anonymised_at is None
    kept = Consultation.dangerously_unscoped.get(person=old)
    assert "古川" not in kept.content and kept.main_topic == "care"  # counts survive
    assert not old.history.exists()  # no old value survives in the change history
    # nor in its matching keys (made from the name; the database does not cascade them)
    assert not PersonKey.dangerously_unscoped.filter(person=old).exists()
    assert PersonKey.dangerously_unscoped.filter(person=recent).exists()
    assert AccessLog.objects.filter(person=old, action=AccessLog.Action.ANONYMISE).count() == 1
    assert chain_verify() is None
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "本人 0 人" in out.getvalue()  # idempotent


@override_settings(RETENTION_YEARS=10)
def test_the_period_is_configurable(counselor: User) -> None:
    _person(counselor, "古川", 6)
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "本人 0 人" in out.getvalue()


def test_disclosure_export_for_the_holders_manager(
    counselor: User, city: Municipality, receiver: User
) -> None:
    person = _person(counselor, "古川", 1)
    manager = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")
    client_for(counselor).get(f"/people/{person.pk}/")
    response = client_for(manager).get(f"/records/persons/{person.pk}/disclosure/")
    assert response.status_code == 200
    document = json.loads(download_text(response))
    assert document["person"]["family_name"] == "古川"
    assert document["consultations"][0]["content"] == "古川さんの介護の相談"
    assert document["change_history"][0]["kind"] == "登録"
    assert any(e["action"] == "閲覧" for e in document["access_log"])
    assert AccessLog.objects.filter(person=person, action=AccessLog.Action.EXPORT).exists()
    # a counselor, and any other organization, get the not-found answer
    for user in (counselor, receiver):
        assert client_for(user).get(f"/records/persons/{person.pk}/disclosure/").status_code == 404


@pytest.mark.parametrize(("years", "erased"), [(4.9, False), (5.1, True)])
def test_the_last_activity_decides(counselor: User, years: float, erased: bool) -> None:
    person = _person(counselor, "古川", years)
    assert any(p.pk == person.pk for p in retention_plan().persons) == erased


def test_a_member_of_an_open_case_is_kept(counselor: User, coordinator: User) -> None:
    from tsunagu.cases.models import Case, CaseMember
    from tsunagu.cases.services import CaseData, case_create

    person = _person(counselor, "古川", 6)
    assert any(p.pk == person.pk for p in retention_plan().persons)
    case = case_create(user=coordinator, data=CaseData(title="古川さん世帯", origin="outreach"))
    # added directly: the window holding the record is not on this team
    CaseMember.objects.create(case=case, person=person, relationship="head", added_by=coordinator)
    assert not any(p.pk == person.pk for p in retention_plan().persons)
    long_ago = timezone.now() - dt.timedelta(days=6 * 366)
    Case.dangerously_unscoped.filter(pk=case.pk).update(
        status="closed", closed_on=long_ago.date(), opened_on=long_ago.date(), updated_at=long_ago
    )
    assert any(p.pk == person.pk for p in retention_plan().persons)


def _closed_case(counselor: User, coordinator: User, person: Person) -> Case:
    """A case on the person with a timeline entry, a sheet, a plan with an action and its
    monitoring, and the evaluation; closed six years ago."""
    from tsunagu.cases import services as cs
    from tsunagu.cases.models import CaseMember
    from tsunagu.organizations.models import Organization

    case = cs.case_create(
        user=coordinator, data=cs.CaseData(title="古川さん世帯", origin="outreach")
    )
    CaseMember.objects.create(case=case, person=person, relationship="head", added_by=coordinator)
    cs.case_event_add(
        user=coordinator,
        case=case,
        kind="contact",
        summary="古川さん宅を訪問",
        occurred_at=timezone.now(),
    )
    cs.assessment_create(
        user=coordinator,
        case=case,
        answers={
            "household": {"checks": ["elderly_only"], "note": "古川さんは独居"},
            "health": {"checks": ["care_certified"], "note": ""},
            "income": {"checks": ["pension"], "note": "古川さんの年金"},
            "risk": {"checks": [], "note": "古川さんに急迫した危険はない"},
            "wishes": {"checks": [], "note": "古川さん「家で暮らしたい」"},
        },
        urgency="medium",
        assessed_on=timezone.localdate(),
        base_version=0,
    )
    hub = Organization.objects.get(code="chiiki-fukushi-ka")
    plan = cs.plan_create(
        user=coordinator,
        case=case,
        kind="multi_agency",
        data=cs.PlanData(
            wishes="古川さんは家で暮らしたい",
            goals="通院を続ける",
            issues="介護",
            monitoring_on=timezone.localdate(),
            review_on=timezone.localdate(),
        ),
        actions=[cs.ActionData("古川さんの通院に同行", hub, timezone.localdate())],
    )
    cs.plan_confer(user=coordinator, plan=plan, conferred_on=timezone.localdate())
    cs.plan_start(user=coordinator, plan=plan, started_on=timezone.localdate())
    plan.refresh_from_db()
    cs.monitoring_record(
        user=coordinator,
        plan=plan,
        monitored_on=timezone.localdate(),
        results=[cs.ResultData(plan.actions.get(), "done", "古川さんが通院できた")],
        summary="古川さんは落ち着いた",
    )
    cs.case_close(
        user=coordinator,
        case=case,
        data=cs.ClosureData(
            closed_on=timezone.localdate(),
            outcome="closed",
            goals_met="met",
            person_changes="古川さんが通院を続けている",
            existing_services_sufficient=True,
        ),
    )
    long_ago = timezone.now() - dt.timedelta(days=6 * 366)
    Case.dangerously_unscoped.filter(pk=case.pk).update(
        closed_on=long_ago.date(), opened_on=long_ago.date(), updated_at=long_ago
    )
    return case


def test_case_text_goes_with_its_last_member_and_the_counts_stay(
    counselor: User, coordinator: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tsunagu.cases.models import (
        Assessment,
        CaseClosure,
        CaseEvent,
        Monitoring,
        PlanAction,
        SupportPlan,
    )
    from tsunagu.consent.models import ConsentAttachment
    from tsunagu.consent.services import consent_attach, consent_record
    from tsunagu.organizations.models import Organization

    person = _person(counselor, "古川", 6)
    consent = consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="古川さんの支援",
        scope_organizations=[Organization.objects.get(code="chiiki-fukushi-ka")],
        valid_from=dt.date(2019, 1, 1),
        valid_until=None,
    )
    consent_attach(
        user=counselor, consent=consent, upload=SimpleUploadedFile("s.pdf", b"%PDF-1.4 x")
    )
    from tsunagu.consent.models import Consent

    Consent.dangerously_unscoped.filter(pk=consent.pk).update(
        obtained_at=timezone.now() - dt.timedelta(days=6 * 366)
    )
    Person.dangerously_unscoped.filter(pk=person.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=6 * 366)
    )
    case = _closed_case(counselor, coordinator, person)
    plan = retention_plan()
    assert [c.pk for c in plan.cases] == [case.pk]
    out = StringIO()
    call_command("retention", stdout=out)
    assert "多機関協働の事例 1 件" in out.getvalue() and "同意書の写し 1 件" in out.getvalue()
    kept = Case.dangerously_unscoped.get(pk=case.pk)
    assert kept.title == "匿名化済" and kept.status == "closed"  # the counts survive
    texts = [
        *CaseEvent.dangerously_unscoped.filter(case=kept).values_list("summary", flat=True),
        *SupportPlan.dangerously_unscoped.filter(case=kept).values_list("wishes", "goals"),
        *PlanAction.dangerously_unscoped.values_list("description", flat=True),
        *Monitoring.dangerously_unscoped.values_list("summary", flat=True),
        CaseClosure.dangerously_unscoped.get(case=kept).person_changes,
        json.dumps(Assessment.dangerously_unscoped.get(case=kept).answers, ensure_ascii=False),
    ]
    assert "古川" not in json.dumps(texts, ensure_ascii=False)
    assert SupportPlan.dangerously_unscoped.get(case=kept).kind == "multi_agency"
    assert not kept.history.exists()
    scan = ConsentAttachment.dangerously_unscoped.get()
    assert scan.erased_at is not None and bytes(scan.content) == b""
    assert retention_plan().cases == []  # idempotent


def test_a_case_with_a_member_still_kept_keeps_its_text(
    counselor: User, coordinator: User, receiver: User
) -> None:
    from tsunagu.cases.models import CaseMember

    old = _person(counselor, "古川", 6)
    case = _closed_case(counselor, coordinator, old)
    recent = _person(receiver, "新井", 1)
    CaseMember.objects.create(case=case, person=recent, relationship="child", added_by=coordinator)
    Case.dangerously_unscoped.filter(pk=case.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=6 * 366)
    )
    assert retention_plan().cases == []
    call_command("retention", stdout=StringIO())
    assert Case.dangerously_unscoped.get(pk=case.pk).title == "古川さん世帯"


def test_disclosure_includes_the_case_text_and_the_consent_scans(
    counselor: User, coordinator: User, city: Municipality
) -> None:
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tsunagu.consent.services import consent_attach, consent_record
    from tsunagu.organizations.models import Organization

    person = _person(counselor, "古川", 1)
    consent = consent_record(
        user=counselor,
        person=person,
        method="written",
        purpose="古川さんの支援",
        scope_organizations=[Organization.objects.get(code="chiiki-fukushi-ka")],
        valid_from=timezone.localdate(),
        valid_until=None,
    )
    consent_attach(
        user=counselor, consent=consent, upload=SimpleUploadedFile("s.png", b"\x89PNG\r\n\x1a\nx")
    )
    _closed_case(counselor, coordinator, person)
    manager = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")
    document = json.loads(
        download_text(client_for(manager).get(f"/records/persons/{person.pk}/disclosure/"))
    )
    scan = document["consents"][0]["scans"][0]
    assert scan["content_type"] == "image/png"
    assert base64.b64decode(scan["content_base64"]) == b"\x89PNG\r\n\x1a\nx"
    # the holder is not on the team: it sees the case through the member record it holds
    assert document["cases"] == [] or document["cases"][0]["title"] == "古川さん世帯"
