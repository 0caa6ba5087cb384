"""アウトリーチ: a target from first notice through contacts to engagement, a plan and a case; the
work list on a fixed clock (`today=`); bad input refused with nothing half-saved; the counts of a
fiscal year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.cases.services import CaseData, case_create
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.services import ConsultationData
from tsunagu.outreach.access import target_get_for
from tsunagu.outreach.models import ContactAttempt, OutreachTarget, SessionConsultation, Stage
from tsunagu.outreach.selectors import outreach_counts, outreach_work
from tsunagu.outreach.services import (
    ActivityData,
    ContactData,
    TargetData,
    activity_create,
    contact_record,
    session_consultation_add,
    target_check_in_schedule,
    target_create,
    target_identify,
    target_stage_change,
)
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create

NOTICED = dt.date(2025, 5, 1)
WEB = AccessLog.Channel.WEB


def _target(user: User, **kw: object) -> OutreachTarget:
    data = TargetData(
        label="本町三丁目の一人暮らしの高齢男性",
        noticed_on=NOTICED,
        source="minsei",
        source_detail="本町地区の民生委員",
        whereabouts="本町三丁目 公民館の裏",
        **kw,  # type: ignore[arg-type]
    )
    return target_create(user=user, data=data)


def _person(user: User) -> Person:
    return person_create(
        user=user,
        data=PersonData(
            family_name="佐藤", given_name="一", family_name_kana="さとう", given_name_kana="はじめ"
        ),
    )


def test_from_notice_through_contacts_to_a_case(coordinator: User, counselor: User) -> None:
    target = _target(coordinator, check_in_every_days=14)
    assert target.stage == Stage.NOTICED and target.person is None
    assert target.next_check_in_on == NOTICED + dt.timedelta(days=14)
    contact_record(
        user=coordinator,
        target=target,
        data=ContactData(contacted_on=dt.date(2025, 5, 8), method="visit", outcome="absent"),
    )
    target.refresh_from_db()
    assert target.stage == Stage.CONTACTED and target.engaged_on is None
    assert target.next_check_in_on == dt.date(2025, 5, 22)
    contact_record(
        user=coordinator,
        target=target,
        data=ContactData(contacted_on=dt.date(2025, 5, 20), method="letter", outcome="talked"),
    )
    target.refresh_from_db()
    assert target.stage == Stage.BUILDING and target.engaged_on == dt.date(2025, 5, 20)
    person = _person(coordinator)
    case = case_create(
        user=coordinator, data=CaseData(title="佐藤さん", origin="outreach"), principal=person
    )
    target_identify(user=coordinator, target=target, person=person, case=case)
    target_stage_change(user=coordinator, target=target, stage="connected")
    found = OutreachTarget.dangerously_unscoped.get(pk=target.pk)
    assert (found.person, found.case, found.stage) == (person, case, Stage.CONNECTED)
    # the other window does not see it: 404 as for a missing id
    with pytest.raises(Http404):
        target_get_for(user=counselor, target_id=target.pk, channel=WEB)
    assert target_get_for(user=coordinator, target_id=target.pk, channel=WEB) == target


def test_work_list_on_a_fixed_clock(coordinator: User) -> None:
    target = _target(coordinator, check_in_every_days=7)
    quiet = _target(coordinator)
    day = dt.date(2025, 5, 7)
    work = outreach_work(user=coordinator, today=day)
    assert work.check_ins_due == [] and work.without_contact == []
    work = outreach_work(user=coordinator, today=dt.date(2025, 5, 8))
    assert work.check_ins_due == [target]
    work = outreach_work(user=coordinator, today=NOTICED + dt.timedelta(days=30))
    assert set(work.without_contact) == {target, quiet}
    contact_record(
        user=coordinator,
        target=target,
        data=ContactData(contacted_on=dt.date(2025, 5, 30), method="phone", outcome="no_answer"),
    )
    work = outreach_work(user=coordinator, today=dt.date(2025, 5, 31))
    assert work.check_ins_due == [] and work.without_contact == [quiet]
    work = outreach_work(user=coordinator, today=dt.date(2025, 6, 6))
    assert work.check_ins_due == [target]
    target_stage_change(
        user=coordinator, target=target, stage="ended", on=dt.date(2025, 6, 1), reason="転居"
    )
    assert outreach_work(user=coordinator, today=dt.date(2025, 7, 1)).check_ins_due == []


def test_bad_input_is_refused_and_nothing_saved(coordinator: User, counselor: User) -> None:
    target = _target(coordinator)
    with pytest.raises(ValidationError, match="把握日"):
        contact_record(
            user=coordinator,
            target=target,
            data=ContactData(contacted_on=dt.date(2025, 4, 30), method="visit", outcome="met"),
        )
    with pytest.raises(ValidationError, match="未来"):
        contact_record(
            user=coordinator,
            target=target,
            data=ContactData(
                contacted_on=timezone.localdate() + dt.timedelta(days=1),
                method="visit",
                outcome="met",
            ),
        )
    with pytest.raises(ValidationError, match="他の機関"):
        contact_record(
            user=counselor,
            target=target,
            data=ContactData(contacted_on=NOTICED, method="visit", outcome="met"),
        )
    with pytest.raises(ValidationError, match="会えた"):
        target_stage_change(user=coordinator, target=target, stage="connected")
    with pytest.raises(ValidationError, match="理由"):
        target_stage_change(user=coordinator, target=target, stage="ended")
    with pytest.raises(ValidationError, match="見守り"):
        target_check_in_schedule(user=coordinator, target=target, every_days=0)
    with pytest.raises(ValidationError, match="呼び名"):
        target_create(
            user=coordinator, data=TargetData(label=" ", noticed_on=NOTICED, source="minsei")
        )
    assert ContactAttempt.dangerously_unscoped.count() == 0
    target.refresh_from_db()
    assert target.stage == Stage.NOTICED


def test_a_case_without_the_person_is_refused(coordinator: User) -> None:
    target = _target(coordinator)
    person = _person(coordinator)
    other = case_create(user=coordinator, data=CaseData(title="別の世帯", origin="outreach"))
    with pytest.raises(ValidationError, match="世帯員"):
        target_identify(user=coordinator, target=target, person=person, case=other)
    target.refresh_from_db()
    assert target.person is None


def test_a_session_consultation_is_the_windows(counselor: User, coordinator: User) -> None:
    session = activity_create(
        user=counselor,
        data=ActivityData(
            kind="session", title="ふくしなんでも相談所（北公民館）", held_on=dt.date(2025, 6, 1)
        ),
    )
    received = dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    data = ConsultationData(
        received_at=received,
        channel="window",
        requester="self",
        main_topic="care",
        content="介護の相談",
        response="ongoing",
        anonymous_label="北町の方",
    )
    consultation = session_consultation_add(
        user=counselor, activity=session, person=None, data=data
    )
    assert consultation.organization == counselor.organization
    assert consultation.channel == "outreach_session"
    assert SessionConsultation.dangerously_unscoped.get().activity == session
    with pytest.raises(ValidationError, match="他の機関"):
        session_consultation_add(user=coordinator, activity=session, person=None, data=data)
    with pytest.raises(ValidationError, match="実施日"):
        session_consultation_add(
            user=counselor,
            activity=session,
            person=None,
            data=ConsultationData(
                **{**data.__dict__, "received_at": received + dt.timedelta(days=1)}
            ),
        )
    assert Consultation.dangerously_unscoped.count() == 1


def test_counts_of_a_fiscal_year(coordinator: User, city: object) -> None:
    survey = activity_create(
        user=coordinator,
        data=ActivityData(
            kind="survey",
            title="実情アンケート",
            held_on=dt.date(2025, 4, 10),
            asked_count=340,
            answered_count=275,
        ),
    )
    activity_create(
        user=coordinator,
        data=ActivityData(
            kind="mapping",
            title="マッピング（本町）",
            held_on=dt.date(2025, 7, 1),
            resources_found=12,
        ),
    )
    with pytest.raises(ValidationError, match="回答数"):
        activity_create(
            user=coordinator,
            data=ActivityData(
                kind="survey",
                title="x",
                held_on=dt.date(2025, 4, 10),
                asked_count=1,
                answered_count=2,
            ),
        )
    a = _target(coordinator, activity=survey)
    target_create(
        user=coordinator,
        data=TargetData(label="南町の世帯", noticed_on=dt.date(2025, 6, 1), source="meter"),
    )
    target_create(  # the next fiscal year
        user=coordinator,
        data=TargetData(label="西町の方", noticed_on=dt.date(2026, 4, 2), source="meter"),
    )
    for day, outcome in ((dt.date(2025, 5, 2), "absent"), (dt.date(2025, 5, 9), "talked")):
        contact_record(
            user=coordinator,
            target=a,
            data=ContactData(contacted_on=day, method="visit", outcome=outcome),
        )
    counts = outreach_counts(municipality=city, fiscal_year=2025)  # type: ignore[arg-type]
    assert counts.targets_found == 2
    assert counts.targets_by_source == {"民生委員": 1, "水道検針・ライフライン事業者": 1}
    assert (counts.contacts, counts.engaged_contacts, counts.engagements) == (2, 1, 1)
    assert counts.contacts_by_method == {"訪問": 2}
    assert counts.activities == {"出張相談会": 0, "マッピング調査": 1, "実情アンケート": 1}
    assert (counts.survey_asked, counts.survey_answered, counts.mapping_resources) == (340, 275, 12)
    assert outreach_counts(municipality=city, fiscal_year=2026).targets_found == 1  # type: ignore[arg-type]
