"""The legal rules of meetings: 支援会議 without consent among pledged attendees, 重層的支援会議
under consent covering every attendee, governance meetings without persons, bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog, Basis
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case, CaseEvent, PlanStatus, SupportPlan
from tsunagu.cases.services import ActionData, CaseData, PlanData, case_create, plan_create
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record, consent_withdraw
from tsunagu.meetingrecords.access import meeting_get_for
from tsunagu.meetingrecords.models import AgendaItem, Meeting, MeetingAttendee
from tsunagu.meetingrecords.selectors import cases_ready_to_move, meeting_counts
from tsunagu.meetingrecords.services import (
    MeetingData,
    action_item_add,
    agenda_item_add,
    attendee_add,
    decision_add,
    meeting_create,
    meeting_plan_approve,
    minutes_record,
    pledge_record,
)
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality
from tsunagu.people.access import person_get_for

from .conftest import convene, make_person, org

WEB = AccessLog.Channel.WEB
TODAY = timezone.localdate


def _pledged(meeting: Meeting, user: User, code: str, name: str = "") -> MeetingAttendee:
    attendee = attendee_add(user=user, meeting=meeting, organization=org(code), name=name)
    pledge_record(
        user=user, attendee=attendee, signer_name=name or "担当者", signed_on=meeting.held_on
    )
    attendee.refresh_from_db()
    return attendee


# --- 支援会議 --------------------------------------------------------------------------------


def test_support_meeting_shares_only_with_pledged_attendees_and_names_the_meeting(
    coordinator: User, counselor: User, receiver: User, third: User, outsider: User
) -> None:
    person = make_person(counselor)  # refused help; only 北地域包括 knows her
    meeting = convene(coordinator, "shien-kaigi")
    assert meeting.confidential and not meeting.requires_consent
    attendee_add(user=coordinator, meeting=meeting, name="山本一郎", affiliation="民生委員")
    _pledged(meeting, coordinator, "hokatsu-kita", "相談員A")
    late = attendee_add(user=coordinator, meeting=meeting, organization=org("jiritsu-soudan"))
    # the counselor's organization (pledged) puts its own person on the agenda: no consent asked
    item = agenda_item_add(user=counselor, meeting=meeting, kind="person", person=person)
    assert item.consent is None
    # the secretariat now sees her, under a 支援会議 grant naming the agenda item
    seen = person_get_for(user=coordinator, person_id=person.pk, channel=WEB)
    assert seen.grant is not None and seen.grant.basis == Basis.SUPPORT_MEETING
    assert seen.grant.meeting_agenda_item == item
    assert seen.grant.valid_until == meeting.share_until
    row = AccessLog.objects.filter(person=person, user=coordinator).first()
    assert row is not None and row.grant is not None
    assert row.grant.meeting_agenda_item.meeting == meeting  # type: ignore[union-attr]
    # an attendee without a pledge sees neither the meeting nor the person
    for user in (receiver, third, outsider):
        with pytest.raises(Http404):
            meeting_get_for(user=user, meeting_id=meeting.pk, channel=WEB)
        with pytest.raises(Http404):
            person_get_for(user=user, person_id=person.pk, channel=WEB)
    # once its pledge is recorded, it does; the log of its read names the meeting's grant
    pledge_record(user=coordinator, attendee=late, signer_name="相談員B", signed_on=TODAY())
    access = meeting_get_for(user=receiver, meeting_id=meeting.pk, channel=WEB)
    assert [p.person for p in access.items[0].persons] == [person]
    log = AccessLog.objects.filter(user=receiver, person=person).first()
    assert log is not None and log.grant is not None
    assert log.grant.meeting_agenda_item_id == item.pk
    # the organization not invited still sees nothing
    with pytest.raises(Http404):
        person_get_for(user=third, person_id=person.pk, channel=WEB)


def test_the_share_ends_with_its_period(coordinator: User, counselor: User) -> None:
    person = make_person(counselor)
    held = TODAY() - dt.timedelta(days=40)
    meeting = convene(coordinator, "shien-kaigi", held_on=held)
    assert meeting.share_until == held + dt.timedelta(days=30)
    _pledged(meeting, coordinator, "hokatsu-kita")
    agenda_item_add(user=counselor, meeting=meeting, kind="person", person=person)
    assert AccessGrant.objects.filter(meeting_agenda_item__meeting=meeting).exists()
    with pytest.raises(Http404):
        person_get_for(user=coordinator, person_id=person.pk, channel=WEB)
    # the record of the meeting stays; the person on it is no longer named
    access = meeting_get_for(user=coordinator, meeting_id=meeting.pk, channel=WEB)
    assert access.items[0].persons == [] and access.items[0].hidden == 1


def test_pledge_rules(coordinator: User, counselor: User) -> None:
    meeting = convene(coordinator, "shien-kaigi", held_on=TODAY() - dt.timedelta(days=1))
    attendee = attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    with pytest.raises(ValidationError, match="会議の前"):
        pledge_record(user=coordinator, attendee=attendee, signer_name="A", signed_on=TODAY())
    with pytest.raises(ValidationError, match="事務局"):
        pledge_record(user=counselor, attendee=attendee, signer_name="A", signed_on=meeting.held_on)
    # a yearly pledge is reused for the next meeting of the body
    pledge_record(
        user=coordinator,
        attendee=attendee,
        signer_name="A",
        signed_on=meeting.held_on,
        valid_until=meeting.held_on + dt.timedelta(days=300),
    )
    nxt = convene(coordinator, "shien-kaigi")
    again = attendee_add(user=coordinator, meeting=nxt, organization=org("hokatsu-kita"))
    assert again.pledge is not None


def test_an_attendee_may_put_only_its_own_person_on_the_agenda(
    coordinator: User, counselor: User, receiver: User
) -> None:
    theirs = make_person(receiver, "佐藤")
    meeting = convene(coordinator, "shien-kaigi")
    _pledged(meeting, coordinator, "hokatsu-kita")
    with pytest.raises(ValidationError, match="自機関で記録している本人"):
        agenda_item_add(user=counselor, meeting=meeting, kind="person", person=theirs)
    with pytest.raises(ValidationError, match="誓約"):
        agenda_item_add(user=receiver, meeting=meeting, kind="person", person=theirs)
    assert not AgendaItem.dangerously_unscoped.exists()


def test_address_protection_is_kept_for_attendees(coordinator: User, counselor: User) -> None:
    person = make_person(counselor, address_protected=True)
    meeting = convene(coordinator, "shien-kaigi")
    _pledged(meeting, coordinator, "hokatsu-kita")
    agenda_item_add(user=counselor, meeting=meeting, kind="person", person=person)
    access = meeting_get_for(user=coordinator, meeting_id=meeting.pk, channel=WEB)
    shown = access.items[0].persons[0]
    assert shown.address_text == "（住所秘匿）"
    grant = AccessGrant.objects.get(organization=org("chiiki-fukushi-ka"), person=person)
    assert grant.includes_address is False


# --- 重層的支援会議 ----------------------------------------------------------------------------


def _case_with_consent(
    coordinator: User, scope: list[str], *, withdrawn: bool = False
) -> tuple[Case, Consent]:
    person = make_person(coordinator, "田中")
    consent = consent_record(
        user=coordinator,
        person=person,
        method="written",
        purpose="重層的支援会議での協議",
        scope_organizations=[org(c) for c in scope],
        valid_from=TODAY() - dt.timedelta(days=10),
        valid_until=None,
    )
    if withdrawn:
        consent_withdraw(user=coordinator, consent=consent, note="本人の申出")
    case = case_create(
        user=coordinator,
        data=CaseData(title="田中さん世帯", origin="support_meeting"),
        principal=person,
    )
    return case, consent


def test_case_conference_needs_consent_covering_every_attendee(coordinator: User) -> None:
    case, consent = _case_with_consent(coordinator, ["hokatsu-kita"])
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    assert meeting.requires_consent and not meeting.confidential
    attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    item = agenda_item_add(user=coordinator, meeting=meeting, kind="case", case=case)
    assert item.consent == consent
    # an attendee outside the consent is refused, with the reason
    with pytest.raises(ValidationError, match=r"本人同意の範囲外.*南市くらしサポートセンター"):
        attendee_add(user=coordinator, meeting=meeting, organization=org("jiritsu-soudan"))
    with pytest.raises(ValidationError, match="本人同意の範囲外"):
        attendee_add(user=coordinator, meeting=meeting, name="山本", affiliation="民生委員")
    assert MeetingAttendee.dangerously_unscoped.filter(meeting=meeting).count() == 1


def test_case_conference_refuses_a_case_not_covered(coordinator: User) -> None:
    case, _ = _case_with_consent(coordinator, ["hokatsu-kita"])
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=meeting, organization=org("jiritsu-soudan"))
    with pytest.raises(ValidationError, match=r"本人同意がないため.*南市くらしサポートセンター"):
        agenda_item_add(user=coordinator, meeting=meeting, kind="case", case=case)
    assert not AgendaItem.dangerously_unscoped.exists()


def test_case_conference_refuses_consent_withdrawn_before_the_meeting(coordinator: User) -> None:
    case, _ = _case_with_consent(coordinator, ["hokatsu-kita"], withdrawn=True)
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    with pytest.raises(ValidationError, match="本人同意がない"):
        agenda_item_add(user=coordinator, meeting=meeting, kind="case", case=case)


def test_consent_ending_before_a_future_meeting_does_not_cover_it(coordinator: User) -> None:
    person = make_person(coordinator, "田中")
    consent_record(
        user=coordinator,
        person=person,
        method="written",
        purpose="協議",
        scope_organizations=[org("hokatsu-kita")],
        valid_from=TODAY(),
        valid_until=TODAY() + dt.timedelta(days=5),
    )
    case = case_create(
        user=coordinator, data=CaseData(title="田中さん", origin="outreach"), principal=person
    )
    meeting = convene(coordinator, "jusoteki-shien-kaigi", held_on=TODAY() + dt.timedelta(days=10))
    attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    with pytest.raises(ValidationError, match="有効な本人同意"):
        agenda_item_add(user=coordinator, meeting=meeting, kind="case", case=case)


def draft_plan(coordinator: User, case: Case) -> SupportPlan:
    """A draft 多機関協働 plan of the case, for a 重層的支援会議 to approve."""
    return plan_create(
        user=coordinator,
        case=case,
        kind="multi_agency",
        data=PlanData(
            wishes="家で暮らしたい",
            goals="生活の立て直し",
            issues="家計",
            monitoring_on=TODAY() + dt.timedelta(days=30),
            review_on=TODAY() + dt.timedelta(days=60),
        ),
        actions=[ActionData("家計の相談", org("chiiki-fukushi-ka"), TODAY())],
    )


def test_a_case_conference_approves_a_plan(coordinator: User) -> None:
    case, _ = _case_with_consent(coordinator, ["hokatsu-kita"])
    plan = draft_plan(coordinator, case)
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    item = agenda_item_add(user=coordinator, meeting=meeting, kind="case", case=case)
    decision = meeting_plan_approve(user=coordinator, item=item, plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CONFERRED and plan.conferred_on == meeting.held_on
    assert decision.plan == plan
    event = CaseEvent.dangerously_unscoped.filter(case=case, kind="meeting").get()
    assert "重層的支援会議" in event.summary and meeting.held_on.isoformat() in event.summary
    # a 支援会議 does not approve plans
    support = convene(coordinator, "shien-kaigi")
    on_support = agenda_item_add(user=coordinator, meeting=support, kind="case", case=case)
    with pytest.raises(ValidationError, match="重層的支援会議"):
        meeting_plan_approve(user=coordinator, item=on_support, plan=plan)


# --- governance, bad input ------------------------------------------------------------------


def test_a_governance_meeting_takes_no_person(
    city: Municipality, coordinator: User, counselor: User
) -> None:
    MeetingBody.objects.create(
        municipality=city,
        code="suishin",
        name="南市推進会議",
        kind="governance_meeting",
        secretariat=org("chiiki-fukushi-ka"),
    )
    person = make_person(coordinator, "田中")
    meeting = convene(coordinator, "suishin")
    with pytest.raises(ValidationError, match="個人の事例を扱わない"):
        agenda_item_add(user=coordinator, meeting=meeting, kind="person", person=person)
    topic = agenda_item_add(user=coordinator, meeting=meeting, kind="topic", topic="計画の評価")
    assert topic.position == 1
    with pytest.raises(ValidationError, match="守秘義務の誓約"):
        a = attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
        pledge_record(user=coordinator, attendee=a, signer_name="A", signed_on=TODAY())


def test_bad_input_is_refused_and_nothing_is_saved(coordinator: User, counselor: User) -> None:
    body = MeetingBody.objects.get(code="shien-kaigi", municipality__slug="minami")
    with pytest.raises(ValidationError, match="次回の開催日"):
        meeting_create(
            user=coordinator,
            data=MeetingData(body=body, kind=body.kind, held_on=TODAY(), next_meeting_on=TODAY()),
        )
    with pytest.raises(ValidationError, match="共有の期限"):
        meeting_create(
            user=coordinator,
            data=MeetingData(
                body=body,
                kind=body.kind,
                held_on=TODAY(),
                share_until=TODAY() - dt.timedelta(days=1),
            ),
        )
    with pytest.raises(ValidationError, match="種別"):
        meeting_create(
            user=coordinator,
            data=MeetingData(body=body, kind="case_conference", held_on=TODAY()),
        )
    # the body's secretariat is 地域福祉課; 障がい者相談支援 is not a member
    assert not Meeting.dangerously_unscoped.exists()
    future = convene(coordinator, "shien-kaigi", held_on=TODAY() + dt.timedelta(days=3))
    item = agenda_item_add(user=coordinator, meeting=future, kind="topic", topic="地域の見守り")
    with pytest.raises(ValidationError, match=r"開催日.*前の会議には議事録"):
        minutes_record(user=coordinator, item=item, minutes="協議した")
    with pytest.raises(ValidationError, match="決定事項"):
        decision_add(user=coordinator, meeting=future, text="見守る")
    with pytest.raises(ValidationError, match="事務局"):
        attendee_add(user=counselor, meeting=future, organization=org("hokatsu-kita"))
    held = convene(coordinator, "shien-kaigi")
    with pytest.raises(ValidationError, match="出席した機関"):
        action_item_add(
            user=coordinator,
            meeting=held,
            organization=org("jiritsu-soudan"),
            description="訪問",
            due_on=TODAY(),
        )
    unpledged = attendee_add(user=coordinator, meeting=held, organization=org("jiritsu-soudan"))
    # at a 支援会議, an organization without a pledge would not see the meeting of its action
    with pytest.raises(ValidationError, match="守秘義務の誓約を記録していない機関"):
        action_item_add(
            user=coordinator,
            meeting=held,
            organization=org("jiritsu-soudan"),
            description="訪問",
            due_on=TODAY(),
        )
    pledge_record(user=coordinator, attendee=unpledged, signer_name="B", signed_on=TODAY())
    action = action_item_add(
        user=coordinator,
        meeting=held,
        organization=org("jiritsu-soudan"),
        description="訪問",
        due_on=TODAY() + dt.timedelta(days=7),
    )
    assert action.pk


# --- counts -----------------------------------------------------------------------------------


def test_counts_per_fiscal_year(coordinator: User, counselor: User) -> None:
    person = make_person(counselor)
    fy_start = dt.date(2026, 4, 1)
    today = dt.date(2027, 3, 31)
    m1 = convene(coordinator, "shien-kaigi", held_on=dt.date(2026, 5, 10))
    _pledged(m1, coordinator, "hokatsu-kita")
    agenda_item_add(user=counselor, meeting=m1, kind="person", person=person)
    m2 = convene(coordinator, "shien-kaigi", held_on=dt.date(2026, 6, 10))
    attendee_add(user=coordinator, meeting=m2, organization=org("hokatsu-kita"))
    agenda_item_add(user=coordinator, meeting=m2, kind="topic", topic="見守り")
    convene(coordinator, "jusoteki-shien-kaigi", held_on=fy_start)
    convene(coordinator, "shien-kaigi", held_on=dt.date(2027, 4, 1))  # the next year
    counts = meeting_counts(municipality=m1.municipality, fiscal_year=2026, today=today)
    by_body = {b.body_name: b for b in counts.bodies}
    assert counts.held == 3
    assert by_body["南市支援会議"].held == 2
    assert by_body["南市支援会議"].persons == 1 and by_body["南市支援会議"].topics == 1
    assert by_body["重層的支援会議"].held == 1
    assert counts.attendances == {"北地域包括支援センター": 2}
    # a meeting whose date has not come does not count yet
    early = meeting_counts(
        municipality=m1.municipality, fiscal_year=2026, today=dt.date(2026, 5, 31)
    )
    assert early.held == 2


def test_a_case_moves_from_support_meeting_to_case_conference(coordinator: User) -> None:
    person = make_person(coordinator, "田中")
    case = case_create(
        user=coordinator,
        data=CaseData(title="田中さん", origin="support_meeting"),
        principal=person,
    )
    support = convene(coordinator, "shien-kaigi")
    _pledged(support, coordinator, "hokatsu-kita")
    agenda_item_add(user=coordinator, meeting=support, kind="case", case=case)
    conference = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=conference, organization=org("hokatsu-kita"))
    assert cases_ready_to_move(user=coordinator, meeting=conference) == []  # no consent yet
    consent_record(
        user=coordinator,
        person=person,
        method="written",
        purpose="重層的支援会議での協議",
        scope_organizations=[org("hokatsu-kita")],
        valid_from=TODAY(),
        valid_until=None,
    )
    assert cases_ready_to_move(user=coordinator, meeting=conference) == [case]
    agenda_item_add(user=coordinator, meeting=conference, kind="case", case=case)
    assert cases_ready_to_move(user=coordinator, meeting=conference) == []


def test_a_support_meeting_after_the_conference_moves_nothing_to_it(coordinator: User) -> None:
    """A case moves forward in time: a 支援会議 held after a 重層的支援会議 does not offer its
    cases to that earlier conference (only to the later ones)."""
    case, consent = _case_with_consent(coordinator, ["hokatsu-kita"])
    earlier = convene(coordinator, "jusoteki-shien-kaigi", held_on=TODAY() - dt.timedelta(days=7))
    support = convene(coordinator, "shien-kaigi")
    _pledged(support, coordinator, "hokatsu-kita")
    # discussed as a person (the case's principal), not as the case
    agenda_item_add(user=coordinator, meeting=support, kind="person", person=consent.person)
    later = convene(coordinator, "jusoteki-shien-kaigi", held_on=TODAY() + dt.timedelta(days=7))
    assert cases_ready_to_move(user=coordinator, meeting=later) == [case]
    assert cases_ready_to_move(user=coordinator, meeting=earlier) == []


def test_cases_ready_to_move_are_decided_together_by_the_same_rule(
    coordinator: User, django_assert_max_num_queries: Any
) -> None:
    """Many cases from a 支援会議 are decided in a fixed number of queries, with the rule of
    `consent_gaps`: a withdrawn consent, or one not covering every attendee, keeps a case back."""
    support = convene(coordinator, "shien-kaigi")
    _pledged(support, coordinator, "hokatsu-kita")
    conference = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=conference, organization=org("hokatsu-kita"))
    cases, consents = [], []
    for n, family in enumerate(["青木", "石井", "上野", "江藤", "小野", "加藤"]):
        person = make_person(coordinator, family)
        case = case_create(
            user=coordinator,
            data=CaseData(title=f"{family}さん", origin="support_meeting"),
            principal=person,
        )
        agenda_item_add(user=coordinator, meeting=support, kind="case", case=case)
        scope = [org("hokatsu-kita")] if n != 1 else [org("jiritsu-soudan")]  # n=1: not covered
        consents.append(
            consent_record(
                user=coordinator,
                person=person,
                method="written",
                purpose="重層的支援会議での協議",
                scope_organizations=scope,
                valid_from=TODAY(),
                valid_until=None,
            )
        )
        cases.append(case)
    consent_withdraw(user=coordinator, consent=consents[2])  # n=2: withdrawn
    with django_assert_max_num_queries(5):
        ready = cases_ready_to_move(user=coordinator, meeting=conference)
    assert sorted(c.pk for c in ready) == sorted(
        c.pk for i, c in enumerate(cases) if i not in (1, 2)
    )
