"""Every page, print and endpoint of a meeting, for: the secretariat, an attendee with its pledge,
an attendee without, an organization not invited, another city, anonymous."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.cases.models import CaseMember
from tsunagu.cases.services import CaseData, case_create
from tsunagu.consent.services import consent_record, consent_withdraw
from tsunagu.meetingrecords.models import AgendaItem, Meeting
from tsunagu.meetingrecords.services import agenda_item_add, attendee_add, pledge_record

from .conftest import convene, make_person, org

TODAY = timezone.localdate


@pytest.fixture
def shared(coordinator: User, counselor: User) -> Meeting:
    """A 支援会議 of 地域福祉課: 北地域包括 attends with its pledge and puts 井上さん (住所秘匿)
    on the agenda; くらしサポート is invited without a pledge yet."""
    person = make_person(counselor, address_protected=True)
    meeting = convene(coordinator, "shien-kaigi")
    a = attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    pledge_record(user=coordinator, attendee=a, signer_name="相談員A", signed_on=TODAY())
    attendee_add(user=coordinator, meeting=meeting, organization=org("jiritsu-soudan"))
    attendee_add(user=coordinator, meeting=meeting, name="山本一郎", affiliation="民生委員")
    agenda_item_add(user=counselor, meeting=meeting, kind="person", person=person)
    return meeting


def _urls(meeting: Meeting) -> list[str]:
    base = f"/meetings/{meeting.pk}/"
    return [base] + [f"{base}print/{f}.pdf" for f in ("minutes", "agenda", "attendance")]


@pytest.mark.parametrize("who", ["coordinator", "counselor"])
def test_the_secretariat_and_a_pledged_attendee_see_it(
    who: str, shared: Meeting, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    page = client.get(f"/meetings/{shared.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "井上" in text and "非公開" in text
    if who == "coordinator":  # 住所秘匿: masked for everyone but the holder
        assert "南市南町" not in text and "（住所秘匿）" in text
    for url in _urls(shared)[1:]:
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    listing = client.get("/meetings/").content.decode()
    assert "南市支援会議" in listing and "井上" not in listing


@pytest.mark.parametrize("who", ["receiver", "third", "outsider"])
def test_others_get_not_found(who: str, shared: Meeting, request: pytest.FixtureRequest) -> None:
    """An attendee without its pledge, an organization not invited, another city: 404, with the
    body of a meeting that does not exist."""
    client = client_for(request.getfixturevalue(who))
    missing = client.get("/meetings/987654321/")
    for url in _urls(shared):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.get(f"/meetings/{shared.pk}/").content == missing.content
    assert "南市支援会議" not in client.get("/meetings/").content.decode()
    before = AgendaItem.dangerously_unscoped.count()
    post = client.post(f"/meetings/{shared.pk}/agenda/", {"kind": "topic", "topic": "x"})
    assert post.status_code == 404
    assert AgendaItem.dangerously_unscoped.count() == before


def test_anonymous_is_sent_to_login(shared: Meeting) -> None:
    for url in [*_urls(shared), "/meetings/", "/meetings/new/", "/meetings/counts/"]:
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get(f"/api/v1/meetings/{shared.pk}").status_code == 401


def test_the_api_has_the_same_rules(
    shared: Meeting, counselor: User, receiver: User, third: User, outsider: User
) -> None:
    def api(user: User) -> Client:
        return Client(headers={"Authorization": f"Token {api_token_create(user=user)}"})

    body = json.loads(api(counselor).get(f"/api/v1/meetings/{shared.pk}").content)
    assert body["confidential"] is True
    person = body["agenda"][0]["persons"][0]
    assert person["family_name"] == "井上"
    for user in (receiver, third, outsider):
        assert api(user).get(f"/api/v1/meetings/{shared.pk}").status_code == 404
    listing = json.loads(api(counselor).get("/api/v1/meetings").content)
    assert [m["id"] for m in listing] == [shared.pk]


def test_creating_and_recording_through_the_api(coordinator: User, counselor: User) -> None:
    client = Client(headers={"Authorization": f"Token {api_token_create(user=coordinator)}"})
    today = TODAY().isoformat()

    def post(path: str, data: dict[str, object]) -> tuple[int, dict[str, object]]:
        r = client.post(path, json.dumps(data), content_type="application/json")
        return r.status_code, json.loads(r.content)

    status, meeting = post("/api/v1/meetings", {"body": "shien-kaigi", "held_on": today})
    assert status == 201 and meeting["kind"] == "confidential_support_meeting"
    base = f"/api/v1/meetings/{meeting['id']}"
    status, m = post(f"{base}/attendees", {"organization": "hokatsu-kita"})
    assert status == 200
    attendee = m["attendees"][0]["id"]  # type: ignore[index]
    status, m = post(f"{base}/pledges", {"attendee": attendee, "signer_name": "相談員A"})
    assert status == 200 and m["attendees"][0]["pledged_on"] == today  # type: ignore[index]
    status, m = post(f"{base}/agenda", {"kind": "topic", "topic": "見守り"})
    assert status == 200
    item = m["agenda"][0]["id"]  # type: ignore[index]
    status, m = post(f"{base}/minutes", {"agenda_item": item, "minutes": "協議した"})
    assert status == 200 and m["agenda"][0]["minutes"] == "協議した"  # type: ignore[index]
    status, err = post(
        "/api/v1/meetings",
        {"body": "shien-kaigi", "held_on": today, "next_meeting_on": today},
    )
    assert status == 422 and "次回の開催日" in str(err)
    counts = json.loads(client.get("/api/v1/meetings/counts").content)
    assert counts["held"] == 1


def _conference_case(coordinator: User, *, scope: list[str], withdrawn: bool = False) -> int:
    person = make_person(coordinator, "田中")
    consent = consent_record(
        user=coordinator,
        person=person,
        method="written",
        purpose="協議",
        scope_organizations=[org(c) for c in scope],
        valid_from=TODAY() - dt.timedelta(days=5),
        valid_until=None,
    )
    if withdrawn:
        consent_withdraw(user=coordinator, consent=consent)
    case = case_create(
        user=coordinator, data=CaseData(title="田中さん", origin="outreach"), principal=person
    )
    return case.pk


@pytest.mark.parametrize(
    ("scope", "withdrawn", "added"),
    [
        (["hokatsu-kita"], False, True),
        (["jiritsu-soudan"], False, False),
        (["hokatsu-kita"], True, False),
    ],
    ids=["covered", "not-covered", "withdrawn-before"],
)
def test_case_conference_agenda_page(
    scope: list[str], withdrawn: bool, added: bool, coordinator: User
) -> None:
    case_id = _conference_case(coordinator, scope=scope, withdrawn=withdrawn)
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=meeting, organization=org("hokatsu-kita"))
    client = client_for(coordinator)
    response = client.post(
        f"/meetings/{meeting.pk}/agenda/", {"kind": "case", "case": case_id}, follow=True
    )
    assert response.status_code == 200
    assert AgendaItem.dangerously_unscoped.filter(meeting=meeting).exists() is added
    if not added:
        assert "本人同意がないため" in response.content.decode()


def test_the_persons_access_log_names_the_meeting(
    shared: Meeting, coordinator: User, city: object
) -> None:
    from conftest import make_user
    from tsunagu.accounts.models import Role

    client_for(coordinator).get(f"/meetings/{shared.pk}/")  # 地域福祉課 reads her on the meeting
    person_id = AgendaItem.dangerously_unscoped.get(meeting=shared).person_id
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")  # type: ignore[arg-type]
    page = client_for(boss).get(f"/people/{person_id}/access-log/").content.decode()
    assert f"南市支援会議 {shared.held_on:%Y-%m-%d}" in page


def _choices(client: Client, what: str, typed: str) -> str:
    response = client.get(f"/{what}/choices/", {"q": typed}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_agenda_form_finds_cases_and_persons_by_typing(coordinator: User) -> None:
    """The page lists no case and no person; typing asks for them: a case by its 呼び名 or a
    member's name however written, a person by name or ふりがな; each search is logged."""
    from tsunagu.access.models import AccessLog

    case_id = _conference_case(coordinator, scope=["hokatsu-kita"])
    meeting = convene(coordinator, "jusoteki-shien-kaigi")
    client = client_for(coordinator)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="agenda_case_q"' in page and 'id="agenda_person_q"' in page
    agenda = page[page.index('id="agenda_case_q"') : page.index('id="agenda_topic"')]
    assert "<option" in agenda and "田中" not in agenda  # the prompts only

    options = _choices(client, "cases", "田中")  # its 呼び名
    assert f'<option value="{case_id}" selected>田中さん</option>' in options
    # a member's name (田中 節子, いのうえ せつこ): 半角カナ, ひらがな, kanji with a 全角 space
    for typed in ("ｲﾉｳｴ", "いの", "田中　節"):
        assert f'value="{case_id}"' in _choices(client, "cases", typed), typed
    assert "見つかりません" in _choices(client, "cases", "佐藤")

    options = _choices(client, "people", "ｲﾉｳｴ")
    assert "田中 節子（いのうえ せつこ・昭和23年3月3日生）" in options
    assert "田中 節子" in _choices(client, "people", "田中")
    assert "見つかりません" in _choices(client, "people", "さとう")
    person = CaseMember.dangerously_unscoped.get(case_id=case_id).person
    searched = AccessLog.objects.filter(
        action=AccessLog.Action.SEARCH, user=coordinator, person=person
    )
    assert searched.filter(object_type="cases.case", object_id=str(case_id)).exists()
    assert searched.filter(object_type="people.person").exists()

    response = client.post(
        f"/meetings/{meeting.pk}/agenda/", {"kind": "case", "case": case_id}, follow=True
    )
    assert response.status_code == 200
    assert AgendaItem.dangerously_unscoped.filter(meeting=meeting, case_id=case_id).exists()


def test_the_pickers_offer_each_only_what_it_may_name(
    shared: Meeting, coordinator: User, counselor: User, receiver: User, outsider: User
) -> None:
    """The person picker offers the organization's own records: 井上さん is the attending
    centre's to put on the agenda, not the secretariat's, which sees her only through the
    meeting; the case picker only cases the user may see."""
    assert "井上" not in _choices(client_for(coordinator), "people", "いのうえ")
    attendee = client_for(counselor)
    page = attendee.get(f"/meetings/{shared.pk}/").content.decode()
    assert 'id="agenda_person_q"' in page and 'id="agenda_case_q"' not in page
    assert "井上 節子" in _choices(attendee, "people", "いのうえ")
    for other in (receiver, outsider):
        assert "井上" not in _choices(client_for(other), "people", "いのうえ")
        assert "見つかりません" in _choices(client_for(other), "cases", "")


def test_a_picker_says_when_there_are_more(
    coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tsunagu.people import selectors

    monkeypatch.setattr(selectors, "CHOICES_SHOWN", 2)
    for family in ("田中", "田村", "田口"):
        make_person(coordinator, family)
    client = client_for(coordinator)
    options = _choices(client, "people", "")
    assert options.count('<option value="">') == 1  # the prompt, then two of the three
    assert "田中 節子" in options and "田村 節子" in options and "田口" not in options
    assert "ほかにもあります" in options and " selected" not in options
    assert "ほかにもあります" not in _choices(client, "people", "田中")


def test_the_meeting_page_reads_the_same_for_two_items_or_eight(
    coordinator: User,
) -> None:
    """No query per agenda item: the page, and each recording form it opens, label the items
    without reading each one's meeting."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    meeting = convene(coordinator, "shien-kaigi")
    client = client_for(coordinator)
    urls = [f"/meetings/{meeting.pk}/"] + [
        f"/meetings/{meeting.pk}/{part}/form/"
        for part in ("attendees", "decisions", "gaps", "actions")
    ]
    counts: dict[str, list[int]] = {url: [] for url in urls}
    for n in (2, 8):
        while AgendaItem.dangerously_unscoped.filter(meeting=meeting).count() < n:
            agenda_item_add(user=coordinator, meeting=meeting, kind="topic", topic="見守り")
        for url in urls:
            client.get(url)  # the session and caches settle
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
            counts[url].append(len(queries))
    assert all(a == b for a, b in counts.values()), counts


def test_the_recording_forms_open_on_demand(shared: Meeting, coordinator: User) -> None:
    """The page renders no minutes, decision, gap or action form, only the way to open each:
    htmx fetches the form alone, without script its link opens it on a page of its own."""
    client = client_for(coordinator)
    item = AgendaItem.dangerously_unscoped.get(meeting=shared)
    page = client.get(f"/meetings/{shared.pk}/").content.decode()
    assert "<textarea" not in page and 'name="text"' not in page
    for part in ("attendees", "minutes", "decisions", "gaps", "actions"):
        assert f"/meetings/{shared.pk}/{part}/form/" in page
    url = f"/meetings/{shared.pk}/minutes/form/?item={item.pk}"
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'id="minutes-{item.pk}"' in fragment and "<html" not in fragment
    alone = client.get(url).content.decode()
    assert f'id="minutes-{item.pk}"' in alone and "<html" in alone and "議事録を記録する" in alone
    fragment = client.get(
        f"/meetings/{shared.pk}/decisions/form/", headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="decision_text"' in fragment and "決定事項を記録" in fragment


@pytest.mark.parametrize("who", ["counselor", "receiver", "third", "outsider"])
def test_only_the_secretariat_opens_a_recording_form(
    who: str, shared: Meeting, request: pytest.FixtureRequest
) -> None:
    """A pledged attendee reads the meeting but records nothing on it: 404 as for everyone else
    who is not its secretariat."""
    client = client_for(request.getfixturevalue(who))
    item = AgendaItem.dangerously_unscoped.get(meeting=shared)
    for part in ("attendees", "decisions", "gaps", "actions"):
        assert client.get(f"/meetings/{shared.pk}/{part}/form/").status_code == 404
    assert client.get(f"/meetings/{shared.pk}/minutes/form/?item={item.pk}").status_code == 404


def test_a_recording_form_of_no_such_thing_is_not_found(shared: Meeting, coordinator: User) -> None:
    """An unknown part, an item of another meeting or none, a meeting not yet held: 404."""
    client = client_for(coordinator)
    later = convene(coordinator, "shien-kaigi", held_on=TODAY() + dt.timedelta(days=7))
    item = AgendaItem.dangerously_unscoped.get(meeting=shared)
    for url in (
        f"/meetings/{shared.pk}/pledges/form/",
        f"/meetings/{shared.pk}/minutes/form/",
        f"/meetings/{shared.pk}/minutes/form/?item=x",
        f"/meetings/{later.pk}/minutes/form/?item={item.pk}",
        f"/meetings/{later.pk}/decisions/form/",
    ):
        assert client.get(url).status_code == 404, url
    # attendees are added before the meeting is held
    assert client.get(f"/meetings/{later.pk}/attendees/form/").status_code == 200


def test_opening_a_recording_form_is_logged(shared: Meeting, coordinator: User) -> None:
    """An item's minutes form shows what was said about its persons: one row per person; the
    other forms name no person: one row naming the meeting."""
    from tsunagu.access.models import AccessLog

    client = client_for(coordinator)
    item = AgendaItem.dangerously_unscoped.get(meeting=shared)
    before = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client.get(f"/meetings/{shared.pk}/minutes/form/?item={item.pk}")
    rows = list(AccessLog.objects.filter(pk__gt=before, user=coordinator))
    assert [(r.action, r.person_id) for r in rows] == [("view", item.person_id)]
    before = rows[-1].pk
    client.get(f"/meetings/{shared.pk}/actions/form/")
    rows = list(AccessLog.objects.filter(pk__gt=before, user=coordinator))
    assert [(r.action, r.person_id, r.object_id) for r in rows] == [("view", None, str(shared.pk))]


def test_the_cases_ready_to_move_open_on_demand(coordinator: User, counselor: User) -> None:
    """A 重層的支援会議's page does not look for the cases ready to move (on a hub, a hundred
    cases checked for consent); opening them lists each with its own form, logged as a list
    read of the case's persons. A 支援会議 offers none (404), nor does anyone but the
    secretariat."""
    from tsunagu.access.models import AccessLog
    from tsunagu.meetingrecords.tests.test_rules import _case_with_consent, _pledged

    case, consent = _case_with_consent(coordinator, ["hokatsu-kita"])
    support = convene(coordinator, "shien-kaigi")
    _pledged(support, coordinator, "hokatsu-kita")
    agenda_item_add(user=coordinator, meeting=support, kind="case", case=case)
    conference = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=conference, organization=org("hokatsu-kita"))
    client = client_for(coordinator)
    page = client.get(f"/meetings/{conference.pk}/").content.decode()
    assert f"/meetings/{conference.pk}/ready/form/" in page and "田中さん世帯" not in page
    before = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    fragment = client.get(
        f"/meetings/{conference.pk}/ready/form/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "田中さん世帯" in fragment and 'name="form_token"' in fragment
    assert f'name="case" value="{case.pk}"' in fragment and "<html" not in fragment
    rows = AccessLog.objects.filter(pk__gt=before, user=coordinator)
    assert {(r.action, r.person_id) for r in rows} == {
        ("list", consent.person_id),
        ("view", None),
    }
    alone = client.get(f"/meetings/{conference.pk}/ready/form/").content.decode()
    assert "<html" in alone and "重層的支援会議に移れる事例" in alone and "田中さん世帯" in alone
    assert client.get(f"/meetings/{support.pk}/ready/form/").status_code == 404
    assert client_for(counselor).get(f"/meetings/{conference.pk}/ready/form/").status_code == 404
    # once on the agenda, it is no longer offered
    agenda_item_add(user=coordinator, meeting=conference, kind="case", case=case)
    fragment = client.get(
        f"/meetings/{conference.pk}/ready/form/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "田中さん世帯" not in fragment and "今は移れる事例はありません" in fragment


def test_a_plan_approval_form_only_for_a_case_with_a_draft_plan(coordinator: User) -> None:
    """Of two cases on a 重層的支援会議's agenda, only the one with a draft plan has the
    approval form, offering that case's plan alone (not an empty choice for the other)."""
    from tsunagu.meetingrecords.tests.test_rules import _case_with_consent, draft_plan

    with_plan, _ = _case_with_consent(coordinator, ["hokatsu-kita"])
    without, _ = _case_with_consent(coordinator, ["hokatsu-kita"])
    plan = draft_plan(coordinator, with_plan)
    conference = convene(coordinator, "jusoteki-shien-kaigi")
    attendee_add(user=coordinator, meeting=conference, organization=org("hokatsu-kita"))
    item = agenda_item_add(user=coordinator, meeting=conference, kind="case", case=with_plan)
    agenda_item_add(user=coordinator, meeting=conference, kind="case", case=without)
    page = client_for(coordinator).get(f"/meetings/{conference.pk}/").content.decode()
    assert page.count("/approve/") == 1
    select = page[page.index(f'id="plan-{item.pk}"') :]
    select = select[: select.index("</select>")]
    assert select.count("<option value=") == 1 and f'<option value="{plan.pk}">' in select
