"""The dashboard's numbers against counts made here from the raw records of a generated year,
who may open it, and an empty year.

The records are written straight into the tables (the services are tested in their own apps;
here only the counting is), across the year's edges in Tokyo time and in another city, so a
number that counted one record too many or too few, or another city's, fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from conftest import client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.cases.models import Case, CaseStatus, ResourceGap
from tsunagu.cityplan.models import Milestone, PlanVersion, Program
from tsunagu.consultations.models import Consultation, ConsultationTopic, Topic
from tsunagu.evaluation import dashboard as d
from tsunagu.organizations.models import Area, Municipality, Organization, SupportField
from tsunagu.people.models import Household, HouseholdMember, Person, Relationship
from tsunagu.referrals.models import Referral, ReferralEvent

TOKYO = ZoneInfo("Asia/Tokyo")
FY = 2026
TODAY = dt.date(2026, 12, 1)


def _at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def _org(user: User) -> Organization:
    assert user.organization is not None
    return user.organization


@dataclass
class Activity:
    city: Municipality
    users: dict[int, User]  # organization id → a staff member there


@pytest.fixture
def activity(
    city: Municipality,
    other_city: Municipality,
    counselor: User,
    receiver: User,
    third: User,
    coordinator: User,
) -> Activity:
    rng = random.Random(13)  # noqa: S311  # test data, not secrets
    staff = [counselor, receiver, third, coordinator]
    users = {u.organization_id: u for u in staff if u.organization_id}
    orgs = list(users)
    people: list[Person] = []
    for i in range(16):
        user = staff[i % len(staff)]
        people.append(
            Person.dangerously_unscoped.create(
                organization=_org(user),
                family_name="住民テスト",
                given_name=f"花子{i}",
                created_by=user,
            )
        )
    # five households of two or three people each (of the same organization)
    for h in range(5):
        members = [p for p in people if p.pk % 5 == h][:3]
        if len(members) < 2:
            continue
        household = Household.dangerously_unscoped.create(
            organization=members[0].organization, name=f"世帯{h}", created_by=users[orgs[0]]
        )
        for n, member in enumerate(members):
            HouseholdMember.dangerously_unscoped.create(
                household=household,
                person=member,
                relationship=Relationship.HEAD if n == 0 else Relationship.CHILD,
            )
    first = dt.date(FY, 4, 1)
    # the year's edges in Tokyo time, then random days; one before and one after the year
    days = [
        (dt.date(FY, 4, 1), 0, 5),
        (dt.date(FY + 1, 3, 31), 23, 55),
        (dt.date(FY, 3, 31), 23, 55),
        (dt.date(FY + 1, 4, 1), 0, 5),
    ] + [(first + dt.timedelta(days=rng.randrange(365)), rng.randrange(24), 0) for _ in range(70)]
    topics = list(Topic.values)
    consultations = []
    for day, hour, minute in days:
        org = rng.choice(orgs)
        own = [p for p in people if p.organization_id == org]
        person: Person | None = rng.choice(own) if own and rng.random() < 0.8 else None
        main = rng.choice(topics)
        consultation = Consultation.dangerously_unscoped.create(
            organization_id=org,
            person=person,
            anonymous_label="" if person else "匿名",
            received_at=_at(day, hour, minute),
            received_by=users[org],
            channel="phone",
            requester="self",
            main_topic=main,
            content="（試験）",
            response="information",
        )
        extra = rng.sample(topics, rng.randrange(3))
        for topic in dict.fromkeys([main, *extra]):
            ConsultationTopic.dangerously_unscoped.create(consultation=consultation, topic=topic)
        consultations.append(consultation)
    # referrals between the organizations, with acceptances some days later
    for i in range(24):
        consultation = rng.choice(consultations)
        source = consultation.organization_id
        target = rng.choice([o for o in orgs if o != source])
        status = rng.choice(Referral.Status.values)
        referral = Referral.dangerously_unscoped.create(
            consultation=consultation,
            from_organization_id=source,
            to_organization_id=target,
            reason="（試験）",
            basis="statute",
            statute="試験",
            status=status,
            due_date=TODAY + dt.timedelta(days=rng.randrange(-20, 20)),
            decline_reason="理由" if status == "declined" else "",
            outcome="結果" if status == "completed" else "",
            created_by=users[source],
        )
        created = _at(first + dt.timedelta(days=rng.randrange(-30, 380)), rng.randrange(24))
        Referral.dangerously_unscoped.filter(pk=referral.pk).update(created_at=created)
        if status in ("accepted", "completed") or (status == "declined" and i % 2):
            event = ReferralEvent.dangerously_unscoped.create(
                referral=referral, status="accepted", by=users[target]
            )
            accepted = created + dt.timedelta(hours=rng.randrange(1, 24 * 12))
            ReferralEvent.dangerously_unscoped.filter(pk=event.pk).update(at=accepted)
            if i % 3 == 0:  # a second acceptance later does not count
                again = ReferralEvent.dangerously_unscoped.create(
                    referral=referral, status="accepted", by=users[target]
                )
                ReferralEvent.dangerously_unscoped.filter(pk=again.pk).update(
                    at=accepted + dt.timedelta(days=30)
                )
    # cases of the coordinating organization, some before, in and after the year
    for i in range(14):
        status = rng.choice(CaseStatus.values)
        opened = first + dt.timedelta(days=rng.randrange(-200, 400))
        closed = opened + dt.timedelta(days=rng.randrange(0, 150)) if status == "closed" else None
        Case.dangerously_unscoped.create(
            organization=_org(coordinator),
            title=f"事例{i}",
            subject="household",
            origin="other",
            lead_coordinator=coordinator,
            status=status,
            opened_on=opened,
            closed_on=closed,
            review_on=opened if status == "ongoing_connection" else None,
            created_by=coordinator,
        )
    areas = [*Area.objects.filter(municipality=city), None]
    for _i in range(12):
        gap = ResourceGap.dangerously_unscoped.create(
            municipality=city,
            field=rng.choice(SupportField.values[:5]),
            area=rng.choice(areas),
            description="（試験）",
            status=rng.choice(ResourceGap.Status.values),
            created_by=coordinator,
        )
        ResourceGap.dangerously_unscoped.filter(pk=gap.pk).update(
            created_at=_at(first + dt.timedelta(days=rng.randrange(-60, 420)))
        )
    # another city's records, which no number of this city may count
    outsider = make_user(other_city, "soudan", Role.MANAGER, "north-manager")
    Consultation.dangerously_unscoped.create(
        organization=_org(outsider),
        anonymous_label="匿名",
        received_at=_at(dt.date(FY, 6, 1)),
        received_by=outsider,
        channel="phone",
        requester="self",
        main_topic="care",
        content="（試験）",
        response="information",
    )
    ResourceGap.dangerously_unscoped.create(
        municipality=other_city,
        field="elderly",
        description="（試験）",
        created_by=outsider,
    )
    return Activity(city=city, users=users)


def _in_year(moment: dt.datetime) -> bool:
    local = moment.astimezone(TOKYO).date()
    return dt.date(FY, 4, 1) <= local <= dt.date(FY + 1, 3, 31)


def _mine(activity: Activity) -> list[Consultation]:
    return [
        c
        for c in Consultation.dangerously_unscoped.select_related("organization")
        if c.organization.municipality_id == activity.city.pk and _in_year(c.received_at)
    ]


def _year(activity: Activity) -> d.Year:
    return d.year_of(municipality=activity.city, fiscal_year=FY)


def _topics_of(consultation: Consultation) -> set[str]:
    rows = ConsultationTopic.dangerously_unscoped.filter(consultation=consultation)
    return {consultation.main_topic, *(t.topic for t in rows)}


def test_consultations_per_month_by_organization(activity: Activity) -> None:
    expected = Counter(
        (c.organization.name, c.received_at.astimezone(TOKYO).month) for c in _mine(activity)
    )
    monthly = d.consultations_by_organization(_year(activity))
    assert [m.month for m in monthly.months] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    got = {
        (name, month.month): n
        for name, values in monthly.rows
        for month, n in zip(monthly.months, values, strict=True)
        if n
    }
    assert got == dict(expected)
    assert monthly.total == len(_mine(activity)) == 72  # the two edge days in, two outside out
    active = Organization.objects.filter(municipality=activity.city, is_active=True)
    taking = {c.organization.name for c in _mine(activity)}
    assert [name for name, _v in monthly.rows] == [o.name for o in active if o.name in taking]
    assert monthly.idle == sum(1 for o in active if o.name not in taking)


def test_consultations_per_month_by_topic(activity: Activity) -> None:
    expected: Counter[tuple[str, int]] = Counter()
    for c in _mine(activity):
        for topic in _topics_of(c):
            expected[(Topic(topic).label, c.received_at.astimezone(TOKYO).month)] += 1
    monthly = d.consultations_by_topic(_year(activity))
    got = {
        (name, month.month): n
        for name, values in monthly.rows
        for month, n in zip(monthly.months, values, strict=True)
        if n
    }
    assert got == dict(expected)


def test_topics_that_occur_together_in_one_household(activity: Activity) -> None:
    units: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
    for c in _mine(activity):
        membership = (
            HouseholdMember.dangerously_unscoped.filter(person_id=c.person_id).first()
            if c.person_id is not None
            else None
        )
        if membership is not None:
            key = ("household", membership.household_id)
        elif c.person_id is not None:
            key = ("person", c.person_id)
        else:
            key = ("consultation", c.pk)
        units[key] |= _topics_of(c)
    pairs: Counter[frozenset[str]] = Counter()
    for topics in units.values():
        for t in topics:
            pairs[frozenset([t])] += 1
        for a, b in combinations(topics, 2):
            pairs[frozenset([a, b])] += 1
    picture = d.compound_issues(_year(activity))
    labels = {Topic(t).label: t for t in Topic.values}
    got = {
        frozenset([labels[row], labels[col]]): n
        for row, values in zip(picture.topics, picture.matrix, strict=True)
        for col, n in zip(picture.topics, values, strict=True)
        if n
    }
    assert got == dict(pairs)
    assert picture.units == len(units)
    assert picture.compound_units == sum(1 for t in units.values() if len(t) > 1)
    assert picture.compound_units > 0
    patterns = dict(picture.patterns)
    assert patterns["8050"] == sum(
        1 for t in units.values() if "8050" in t or {"care", "hikikomori"} <= t
    )
    assert patterns["ダブルケア"] == sum(
        1 for t in units.values() if "double_care" in t or {"care", "childcare"} <= t
    )


def test_referral_flows_time_to_accept_open_and_overdue(activity: Activity) -> None:
    referrals = [
        r
        for r in Referral.dangerously_unscoped.select_related(
            "from_organization", "to_organization"
        )
        if _in_year(r.created_at)
    ]
    flows = d.referral_flows(_year(activity), today=TODAY)
    expected = Counter((r.from_organization.name, r.to_organization.name) for r in referrals)
    assert {(s, t): n for s, t, n in flows.edges} == dict(expected)
    assert flows.total == len(referrals) > 0
    rows = {row.organization: row for row in flows.receivers}
    for organization in {r.to_organization for r in referrals}:
        mine = [r for r in referrals if r.to_organization_id == organization.pk]
        days = []
        for r in mine:
            accepted = ReferralEvent.dangerously_unscoped.filter(referral=r, status="accepted")
            if accepted:
                first = min(e.at for e in accepted)
                days.append((first - r.created_at).total_seconds() / 86400)
        row = rows[organization.name]
        assert row.received == len(mine)
        assert row.accepted == len(days)
        assert row.median_days == (round(statistics.median(days), 1) if days else None)
        assert row.open == sum(1 for r in mine if r.status in ("requested", "accepted"))
        assert row.overdue == sum(1 for r in mine if r.status == "requested" and r.due_date < TODAY)
    assert sum(row.overdue for row in flows.receivers) > 0
    fields = {
        o.pk: {f.field for f in o.support_fields.all()}
        for o in Organization.objects.filter(municipality=activity.city)
    }
    within = sum(
        1 for r in referrals if fields[r.from_organization_id] & fields[r.to_organization_id]
    )
    assert (flows.within_field, flows.across_field) == (within, len(referrals) - within)
    involved = {r.from_organization.name for r in referrals} | {
        r.to_organization.name for r in referrals
    }
    assert set(flows.nodes) == involved
    assert set(flows.isolated) == {
        o.name
        for o in Organization.objects.filter(municipality=activity.city, is_active=True)
        if o.name not in involved
    }


def test_cases_by_status(activity: Activity) -> None:
    first, last = dt.date(FY, 4, 1), dt.date(FY + 1, 3, 31)
    expected = Counter(
        c.status
        for c in Case.dangerously_unscoped.all()
        if c.opened_on <= last and (c.closed_on is None or c.closed_on >= first)
    )
    got = dict(d.cases_by_status(_year(activity)))
    assert got == {CaseStatus(s).label: expected.get(s, 0) for s in CaseStatus.values}
    assert sum(got.values()) > 0


def _case_with_history(
    coordinator: User, opened: dt.date, steps: list[tuple[dt.datetime, str]]
) -> Case:
    """A case saved once per step, each save's change-history row dated at the step."""
    case = Case(
        organization=_org(coordinator),
        title="履歴のある事例",
        subject="household",
        origin="other",
        lead_coordinator=coordinator,
        opened_on=opened,
        created_by=coordinator,
    )
    for at, status in steps:
        case.status = status
        if status == "closed":
            case.closed_on = at.date()
        case._history_date = at  # type: ignore[attr-defined]  # simple_history's date
        case.save()
    return case


def test_cases_by_status_at_the_end_of_an_earlier_year(
    city: Municipality, coordinator: User
) -> None:
    """An earlier year counts each case as its change history had it on 31 March; the current
    year, as it is today."""
    _case_with_history(
        coordinator,
        dt.date(2025, 5, 1),
        [
            (_at(dt.date(2025, 5, 1)), "received"),
            (_at(dt.date(2025, 9, 1)), "supporting"),
            (_at(dt.date(2026, 3, 31), 23, 50), "monitoring"),  # the last evening of FY2025
            (_at(dt.date(2026, 6, 1)), "closed"),
        ],
    )
    _case_with_history(
        coordinator,
        dt.date(2025, 6, 1),
        [(_at(dt.date(2025, 6, 1)), "received"), (_at(dt.date(2026, 4, 1), 0, 5), "assessment")],
    )
    # entered after the year with an earlier 受付日: its first recorded status
    _case_with_history(
        coordinator,
        dt.date(2026, 1, 10),
        [(_at(dt.date(2026, 5, 1)), "planning"), (_at(dt.date(2026, 7, 1)), "supporting")],
    )
    earlier = d.year_of(municipality=city, fiscal_year=2025)
    today = dt.date(2026, 12, 1)
    assert d.cases_status_day(earlier, today=today) == dt.date(2026, 3, 31)
    got = {k: v for k, v in d.cases_by_status(earlier, today=today) if v}
    assert got == {"受付": 1, "プラン作成": 1, "モニタリング": 1}
    # the current year: today's status (the closed case was open in the year)
    current = d.year_of(municipality=city, fiscal_year=2026)
    assert d.cases_status_day(current, today=today) == today
    got = {k: v for k, v in d.cases_by_status(current, today=today) if v}
    assert got == {"アセスメント": 1, "支援中": 1, "終結": 1}
    status, html = _page(_manager(city), "2025")
    assert status == 200
    assert "年度末（2026年3月31日）の状態" in html


def _manager(city: Municipality) -> User:
    return make_user(city, "chiiki-fukushi-ka", Role.MANAGER, "year-end-manager")


def test_resource_gaps_by_field_and_area(activity: Activity) -> None:
    gaps = [
        g
        for g in ResourceGap.dangerously_unscoped.select_related("area")
        if g.municipality_id == activity.city.pk and _in_year(g.created_at)
    ]
    expected = Counter(
        (SupportField(g.field).label, g.area.name if g.area else d.NO_AREA) for g in gaps
    )
    got = d.resource_gaps(_year(activity))
    assert {
        (f, a): n
        for f, values in zip(got.fields, got.matrix, strict=True)
        for a, n in zip(got.areas, values, strict=True)
        if n
    } == dict(expected)
    assert got.total == len(gaps) > 0
    statuses = Counter(g.status for g in gaps)
    assert dict(got.by_status) == {
        label: statuses.get(value, 0) for value, label in ResourceGap.Status.choices
    }


def test_milestones_of_the_plan_in_force(activity: Activity) -> None:
    plan = PlanVersion.objects.get(municipality=activity.city)
    program = Program.objects.filter(municipality=activity.city).first()
    assert program is not None
    Milestone.objects.create(plan_version=plan, program=program, fiscal_year=2026, stage="start")
    Milestone.objects.create(plan_version=plan, program=program, fiscal_year=2027, stage="expand")
    roadmap = d.milestones(_year(activity))
    assert roadmap is not None
    assert roadmap.fiscal_years == [2026, 2027]
    assert roadmap.rows == [(program.name, ["開始", "拡充"])]
    assert d.milestones(d.year_of(municipality=activity.city, fiscal_year=2030)) is None


# --- the page -----------------------------------------------------------------------------------


def _page(user: User, fy: str = str(FY)) -> tuple[int, str]:
    response = client_for(user).get(reverse("evaluation:dashboard"), {"fy": fy})
    return response.status_code, response.content.decode()


def test_the_page_shows_the_counts_and_every_chart_as_a_table(
    activity: Activity, manager: User
) -> None:
    status, html = _page(manager)
    assert status == 200
    assert "令和8年度" in html
    monthly = d.consultations_by_organization(_year(activity))
    assert f"延べ {monthly.total}件" in html
    # every chart is an image with a text alternative, followed by its table; the page
    # names each by its hash, the chart itself is asked for apart (small page, kept images)
    srcs = re.findall(r'<img src="(/evaluation/dashboard/charts/\d+/[0-9a-f]+\.svg)"', html)
    assert len(set(srcs)) == 7
    for src in srcs:
        chart = client_for(manager).get(src)
        assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
        assert chart.content.lstrip().startswith((b"<?xml", b"<svg"))
        assert "immutable" in chart["Cache-Control"]
    assert "data:image" not in html
    assert html.count("<caption>") >= 7
    assert 'alt=""' not in html
    # counts only: no person's name, no free text
    assert "住民テスト" not in html
    assert "（試験）" not in html
    # the CSP: no inline style or script (the base page's scripts are files)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)


def test_a_chart_is_its_citys_alone_and_drawn_again_if_let_go(
    activity: Activity, manager: User, counselor: User
) -> None:
    """Only those who may see the dashboard open its charts, of their own city: a counselor,
    another city's manager and anonymous get the not-found answer (or sign-in). A chart the
    cache let go is drawn again from the figures kept."""
    from django.core.cache import cache
    from django.test import Client

    from tsunagu.evaluation.dashboard_charts import _chart_cache_key

    _, html = _page(manager)
    src = re.findall(r'<img src="(/evaluation/dashboard/charts/\d+/([0-9a-f]+)\.svg)"', html)[0]
    assert client_for(manager).get(src[0]).status_code == 200
    missing = client_for(manager).get(src[0].replace(src[1], "0" * 32))
    assert missing.status_code == 404
    for user in (counselor, User.objects.get(username="north-manager")):
        response = client_for(user).get(src[0])
        assert response.status_code == 404 and b"<svg" not in response.content
    assert Client().get(src[0]).status_code == 302
    cache.delete(_chart_cache_key(_year(activity).municipality.pk, src[1]))
    again = client_for(manager).get(src[0])
    assert again.status_code == 200 and b"<svg" in again.content


def test_a_large_citys_flows_table_lists_the_largest_and_the_csv_all(
    activity: Activity, manager: User, counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A designated city has thousands of pairs of organizations with a つなぎ between them:
    the page's table lists the largest, and a CSV every flow (for those who may open the page)."""
    from tsunagu.evaluation import dashboard_views

    flows = d.referral_flows(_year(activity))
    assert len(flows.edges) >= 2
    everything = _page(manager)[1]
    assert "すべての流れをCSVで" not in everything
    monkeypatch.setattr(dashboard_views, "FLOWS_LISTED", 1)
    status, html = _page(manager)
    assert status == 200
    largest = max(flows.edges, key=lambda e: e[2])
    assert f"、多い順に1件（全{len(flows.edges)}件）" in html
    table = html[html.index("つなぎの流れ（依頼元から依頼先へ）") :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row">') == 1 and f'<td class="num">{largest[2]}</td>' in table
    response = client_for(manager).get(
        reverse("evaluation:dashboard"), {"fy": str(FY), "format": "flows.csv"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["依頼元", "依頼先", "件数"]
    assert [(a, b, int(n)) for a, b, n in rows[1:]] == flows.edges
    denied = client_for(counselor).get(
        reverse("evaluation:dashboard"), {"fy": str(FY), "format": "flows.csv"}
    )
    assert denied.status_code == 404


def test_an_empty_year_shows_zeros(activity: Activity, manager: User) -> None:
    status, html = _page(manager, fy="令和2年度")
    assert status == 200
    assert "令和2年度" in html
    assert "延べ 0件" in html
    assert "つなぎの流れ（0件）" in html
    assert "この年度の相談はありません（0件）" in html


def test_who_may_open_the_dashboard(
    activity: Activity,
    manager: User,
    admin_user: User,
    coordinator: User,
    counselor: User,
    receiver: User,
    other_city: Municipality,
) -> None:
    for user in (manager, admin_user, coordinator):
        assert _page(user)[0] == 200
    for user in (counselor, receiver):
        assert _page(user)[0] == 404
    anonymous = client_for(None).get(reverse("evaluation:dashboard"))
    assert anonymous.status_code == 302


def test_another_city_sees_only_its_own(activity: Activity) -> None:
    north = User.objects.get(username="north-manager")
    status, html = _page(north)
    assert status == 200
    assert "北市" in html
    # 北市 has one consultation in the year; none of 南市's records are counted
    assert "延べ 1件" in html
    for o in Organization.objects.filter(municipality=activity.city):
        assert o.name not in html
    north_year = d.year_of(municipality=north.organization.municipality, fiscal_year=FY)  # type: ignore[union-attr]
    assert d.resource_gaps(north_year).total == 1
    assert d.referral_flows(north_year).total == 0


def test_a_bad_year_falls_back_to_the_current_one(manager: User) -> None:
    status, html = _page(manager, fy="令和x年度")
    assert status == 200
    assert "評価ダッシュボード（令和" in html
