"""What meetings send elsewhere: action items to the assigned organizations' work lists (marked
done there), resource gaps and closure evaluations to the register, the case page's move from
支援会議 to 重層的支援会議, and the register's report per fiscal year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    Case,
    CaseClosure,
    CaseEvent,
    ResourceGap,
    ResourceGapCase,
)
from tsunagu.cases.services import CaseData, ClosureData, GapData, case_close, case_create
from tsunagu.consent.services import consent_record
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.once import form_token_new
from tsunagu.meetingrecords.models import ActionItem, AgendaItem, Meeting, MeetingDecision
from tsunagu.meetingrecords.services import (
    action_item_add,
    agenda_item_add,
    attendee_add,
    meeting_closure_record,
    meeting_gap_record,
    pledge_record,
)
from tsunagu.organizations.models import Area
from tsunagu.people.models import Person

from .conftest import convene, make_person, org

TODAY = timezone.localdate


def _client(user: User | None) -> Client:
    return client_for(user)


def _support_meeting_with_action(coordinator: User) -> tuple[Meeting, ActionItem]:
    meeting = convene(coordinator, "shien-kaigi", held_on=TODAY() - dt.timedelta(days=10))
    attendee = attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    pledge_record(
        user=coordinator, attendee=attendee, signer_name="相談員A", signed_on=meeting.held_on
    )
    attendee_add(user=coordinator, meeting=meeting, organization=org("jiritsu-soudan"))  # no pledge
    action = action_item_add(
        user=coordinator,
        meeting=meeting,
        organization=org("hokatsu-kita"),
        description="長男に連絡をとる",
        due_on=TODAY() - dt.timedelta(days=3),
    )
    return meeting, action


# --- action items on the work lists -------------------------------------------------------------


def test_action_items_join_the_assigned_organizations_work_lists(
    coordinator: User, counselor: User, receiver: User, third: User, outsider: User
) -> None:
    meeting, _ = _support_meeting_with_action(coordinator)
    for path in ("/cases/", "/"):
        page = _client(counselor).get(path)
        text = page.content.decode()
        assert page.status_code == 200
        assert "長男に連絡をとる" in text and "期限超過" in text
        assert f"/meetings/{meeting.pk}/" in text and "非公開" in text
    # the list read is logged, naming the action item
    assert AccessLog.objects.filter(
        user=counselor, action="list", object_type="meetingrecords.actionitem"
    ).exists()
    # the secretariat, the attendee without a pledge, an organization not invited, another city:
    # not on their lists (it is not theirs, or they may not see the meeting)
    for user in (coordinator, receiver, third, outsider):
        text = _client(user).get("/cases/").content.decode()
        assert "長男に連絡をとる" not in text


def test_an_action_item_is_marked_done_once_and_logged(
    coordinator: User, counselor: User, receiver: User, third: User, outsider: User
) -> None:
    meeting, action = _support_meeting_with_action(coordinator)
    url = f"/meetings/actions/{action.pk}/done/"
    # bad input: a Japanese message, nothing saved
    for day, message in (
        (TODAY() + dt.timedelta(days=1), "未来の日付"),
        (meeting.held_on - dt.timedelta(days=1), "開催日より前"),
    ):
        page = _client(counselor).post(
            url, {"done_on": day.isoformat(), "next": "/cases/"}, follow=True
        )
        assert message in page.content.decode()
        action.refresh_from_db()
        assert action.done_on is None
    # others: 404, nothing saved (the unpledged attendee, an organization not invited, another city)
    for user in (receiver, third, outsider):
        page = _client(user).post(url, {"done_on": TODAY().isoformat()})
        assert page.status_code == 404
    action.refresh_from_db()
    assert action.done_on is None
    # the assigned organization marks it done; a resend writes nothing more
    token = form_token_new()
    data = {"done_on": TODAY().isoformat(), "next": "https://evil.example/", "form_token": token}
    first = _client(counselor).post(url, data)
    assert first.status_code == 302 and first["Location"] == "/cases/"  # no open redirect
    again = _client(counselor).post(url, data, follow=True)
    assert "既に送信されています" in again.content.decode()
    action.refresh_from_db()
    assert action.done_on == TODAY() and action.done_by == counselor
    assert (
        AccessLog.objects.filter(
            user=counselor, action="update", object_type="meetingrecords.actionitem"
        ).count()
        == 1
    )
    # done: off the work list, and the meeting page shows the date
    assert "長男に連絡をとる" not in _client(counselor).get("/cases/").content.decode()
    # done twice (another token): refused in Japanese
    page = _client(counselor).post(url, {"done_on": TODAY().isoformat()}, follow=True)
    assert "既に完了しています" in page.content.decode()


# --- the register from the meeting ------------------------------------------------------------


def _case_with_consent(coordinator: User, title: str = "田中さん世帯") -> tuple[Case, Person]:
    person = make_person(coordinator, "田中")
    consent_record(
        user=coordinator,
        person=person,
        method="written",
        purpose="重層的支援会議での協議",
        scope_organizations=[org("hokatsu-kita")],
        valid_from=TODAY() - dt.timedelta(days=10),
        valid_until=None,
    )
    case = case_create(
        user=coordinator, data=CaseData(title=title, origin="support_meeting"), principal=person
    )
    return case, person


def _conference_with(coordinator: User, case: Case) -> tuple[Meeting, AgendaItem]:
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    item = agenda_item_add(user=coordinator, meeting=meeting, kind="case", case=case)
    return meeting, item


def test_a_resource_gap_found_at_a_meeting_goes_to_the_register(
    coordinator: User, counselor: User
) -> None:
    case, _ = _case_with_consent(coordinator)
    meeting, item = _conference_with(coordinator, case)
    topic = agenda_item_add(user=coordinator, meeting=meeting, kind="topic", topic="移動手段")
    url = f"/meetings/{meeting.pk}/gaps/"
    # bad input: nothing chosen or typed; a topic as the case behind it; a non-secretariat
    page = _client(coordinator).post(url, {"field": "housing"}, follow=True)
    assert "登録済みの不足を選ぶか" in page.content.decode()
    with pytest.raises(ValidationError, match="事例の議題だけ"):
        meeting_gap_record(
            user=coordinator,
            meeting=meeting,
            gap=GapData(field="housing", description="保証人のいらない住まい"),
            items=[topic],
        )
    with pytest.raises(ValidationError, match="分野を選んで"):
        meeting_gap_record(
            user=coordinator, meeting=meeting, gap=GapData(description="何か"), items=[item]
        )
    assert _client(counselor).post(url, {"description": "x"}).status_code == 404
    assert not ResourceGap.dangerously_unscoped.filter(municipality=meeting.municipality).exists()
    assert not MeetingDecision.dangerously_unscoped.filter(meeting=meeting).exists()
    # the secretariat records it from the meeting page
    area = Area.objects.get(municipality=meeting.municipality, code="kita")
    page = _client(coordinator).post(
        url,
        {
            "field": "housing",
            "area": area.pk,
            "description": "保証人のいらない住まい",
            "items": [item.pk],
        },
        follow=True,
    )
    assert "記録しました" in page.content.decode()
    gap = ResourceGap.dangerously_unscoped.get(municipality=meeting.municipality)
    link = ResourceGapCase.dangerously_unscoped.get(gap=gap)
    assert (link.case_id, link.found_at, link.found_on) == (case.pk, "meeting", meeting.held_on)
    decision = MeetingDecision.dangerously_unscoped.get(meeting=meeting)
    assert decision.resource_gap == gap and decision.agenda_item == item
    assert "保証人のいらない住まい" in decision.text
    # the meeting page shows the decision with the way to the register
    assert (
        "社会資源の不足の登録簿"
        in _client(coordinator).get(f"/meetings/{meeting.pk}/").content.decode()
    )


def test_a_closure_evaluation_recorded_as_a_meeting_decision(
    coordinator: User, counselor: User
) -> None:
    case, _ = _case_with_consent(coordinator)
    meeting, item = _conference_with(coordinator, case)
    url = f"/meetings/{meeting.pk}/items/{item.pk}/closure/"
    assert _client(counselor).get(url).status_code == 404
    assert _client(coordinator).get(url).status_code == 200
    # bad input: the changes left out, the reason for a gap left out: nothing saved
    page = _client(coordinator).post(
        url,
        {"outcome": "closed", "goals_met": "met", "existing_services_sufficient": "no"},
    )
    assert page.status_code == 200
    assert "本人・世帯に起きた変化" in page.content.decode()
    assert not CaseClosure.dangerously_unscoped.filter(case=case).exists()
    page = _client(coordinator).post(
        url,
        {
            "outcome": "closed",
            "goals_met": "partly",
            "person_changes": "家計が安定した",
            "existing_services_sufficient": "no",
            "why_not": "夜間の居場所がない",
            "new_gap_field": "children",
            "new_gap_description": "夜間の子どもの居場所",
        },
    )
    assert page.status_code == 302
    closure = CaseClosure.dangerously_unscoped.get(case=case)
    assert closure.closed_on == meeting.held_on
    decision = MeetingDecision.dangerously_unscoped.get(meeting=meeting, closure=closure)
    assert decision.agenda_item == item and "終結の評価" in decision.text
    link = ResourceGapCase.dangerously_unscoped.get(case=case)
    assert link.found_at == "closure" and link.gap.description == "夜間の子どもの居場所"
    event = CaseEvent.dangerously_unscoped.filter(case=case, kind="meeting").get()
    assert meeting.body.name in event.summary and "評価" in event.summary
    # a 支援会議 does not evaluate closures
    other, _ = _case_with_consent(coordinator, "別の世帯")
    support = convene(coordinator, "shien-kaigi")
    on_support = agenda_item_add(user=coordinator, meeting=support, kind="case", case=other)
    with pytest.raises(ValidationError, match="重層的支援会議"):
        meeting_closure_record(
            user=coordinator,
            item=on_support,
            data=ClosureData(
                outcome="closed",
                goals_met="met",
                person_changes="x",
                existing_services_sufficient=True,
            ),
        )
    assert not CaseClosure.dangerously_unscoped.filter(case=other).exists()


# --- the case page: from 支援会議 to 重層的支援会議 ----------------------------------------------


def test_the_case_page_says_when_the_case_can_move(coordinator: User, counselor: User) -> None:
    person = make_person(coordinator, "田中")
    case = case_create(
        user=coordinator,
        data=CaseData(title="田中さん", origin="support_meeting"),
        principal=person,
    )
    url = f"/cases/{case.pk}/"
    assert "重層的支援会議へ" not in _client(coordinator).get(url).content.decode()
    support = convene(coordinator, "shien-kaigi")
    agenda_item_add(user=coordinator, meeting=support, kind="case", case=case)
    text = _client(coordinator).get(url).content.decode()
    assert "本人同意が得られれば重層的支援会議に移れます" in text
    consent_record(
        user=coordinator,
        person=person,
        method="written",
        purpose="重層的支援会議での協議",
        scope_organizations=[org("hokatsu-kita")],
        valid_from=TODAY(),
        valid_until=None,
    )
    text = _client(coordinator).get(url).content.decode()
    assert "重層的支援会議を登録する" in text  # no meeting convened yet
    conference = convene(coordinator, "jusoteki-shien-kaigi", held_on=TODAY() + dt.timedelta(7))
    attendee_add(user=coordinator, meeting=conference, organization=org("hokatsu-kita"))
    text = _client(coordinator).get(url).content.decode()
    assert "この会議の議題に加える" in text
    assert f"/meetings/{conference.pk}/agenda/" in text
    page = _client(coordinator).post(
        f"/meetings/{conference.pk}/agenda/", {"kind": "case", "case": case.pk}
    )
    assert page.status_code == 302
    assert AgendaItem.dangerously_unscoped.filter(meeting=conference, case=case).exists()
    text = _client(coordinator).get(url).content.decode()
    assert "議題になっています" in text


# --- the register's report ----------------------------------------------------------------------


def test_the_register_report_counts_cases_by_field_and_area(
    coordinator: User, manager: User, outsider: User
) -> None:
    case, _ = _case_with_consent(coordinator, "田中さん世帯")
    meeting, item = _conference_with(coordinator, case)
    meeting_gap_record(
        user=coordinator,
        meeting=meeting,
        gap=GapData(field="housing", description="保証人のいらない住まい"),
        items=[item],
    )
    gap = ResourceGap.dangerously_unscoped.get(description="保証人のいらない住まい")
    other, _ = _case_with_consent(coordinator, "佐藤さん世帯")
    case_close(
        user=coordinator,
        case=other,
        data=ClosureData(
            outcome="closed",
            goals_met="met",
            person_changes="落ち着いた",
            existing_services_sufficient=False,
            why_not="住まいがない",
            gaps=[GapData(gap=gap)],
        ),
    )
    year = fiscal_year_of(TODAY())
    page = _client(manager).get(f"/cases/resource-gaps/report/?year={year}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "住まい" in text and "保証人のいらない住まい" in text and "地域を限らない（2件）" in text
    assert "田中" not in text and "佐藤" not in text  # counts only, no names
    csv = _client(manager).get(f"/cases/resource-gaps/report.csv?year={year}")
    body = csv.content.decode("utf-8")
    assert body.startswith("\ufeff年度,分野,地域")
    row = body.splitlines()[1].split(",")
    assert row[1:9] == [
        "住まい",
        "地域を限らない",
        "保証人のいらない住まい",
        "検討中",
        "1",
        "1",
        "2",
        "2",
    ]
    # another fiscal year: none; a year that is not a year falls back to this one
    assert (
        "ありません"
        in _client(manager).get(f"/cases/resource-gaps/report/?year={year - 2}").content.decode()
    )
    assert (
        "保証人" in _client(manager).get("/cases/resource-gaps/report/?year=abc").content.decode()
    )
    # another city sees nothing of this city's register
    text = _client(outsider).get(f"/cases/resource-gaps/report/?year={year}").content.decode()
    assert "保証人" not in text
