"""A year (and its edges) of activity in 南市, the test city, written as raw rows: every kind of
record a computation counts, with dates spread over the fiscal years 2024–2026 and placed on
the edges (31 March late at night and 1 April just after midnight, Tokyo time)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    Assessment,
    Case,
    CaseClosure,
    CaseRequest,
    Monitoring,
    SupportPlan,
)
from tsunagu.consultations.models import Consultation
from tsunagu.meetingrecords.models import AgendaItem, Meeting
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization, Site
from tsunagu.outreach.models import (
    ContactAttempt,
    OutreachActivity,
    OutreachTarget,
    SessionConsultation,
)
from tsunagu.participation.models import Attendance, FollowUp, HostOffer, HostSupport, Placement
from tsunagu.people.models import Person
from tsunagu.referrals.models import Referral, ReferralEvent
from tsunagu.resources.models import (
    Activity,
    AttendanceCount,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Matching,
    Provider,
)

TOKYO = ZoneInfo("Asia/Tokyo")
YEAR = 2025  # the fiscal year under test: 2025-04-01 … 2026-03-31


@dataclass
class Activity_:
    municipality: Municipality
    line: Organization  # hokatsu-kita, a plan line with a centre grouped under it
    centre: Organization
    site: Site


def _day(rng: random.Random) -> dt.date:
    """A day in FY2024–FY2026, a third of them on the edges of FY2025."""
    edges = [
        dt.date(2025, 3, 31),
        dt.date(2025, 4, 1),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 1),
    ]
    if rng.random() < 0.3:
        return rng.choice(edges)
    return dt.date(2024, 4, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))


def _moment(rng: random.Random) -> dt.datetime:
    """A time, in Tokyo, whose UTC date differs from its Tokyo date now and then."""
    day = _day(rng)
    hour = rng.choice([0, 1, 8, 13, 23])
    return dt.datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=TOKYO)


def build(
    *, municipality: Municipality, counselor: User, coordinator: User, receiver: User, seed: int = 3
) -> Activity_:
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    org = {o.code: o for o in Organization.objects.filter(municipality=municipality)}
    line = org["hokatsu-kita"]
    centre = Organization.objects.create(
        municipality=municipality,
        code="hokatsu-kita-2",
        name="北第二地域包括支援センター",
        kind=Organization.Kind.AGENCY,
        group=line,
    )
    site = Site.objects.create(organization=line, code="branch", name="北出張所", kind="branch")
    windows = [line, centre, org["jiritsu-soudan"], org["shogai-soudan"]]
    persons = [
        Person.dangerously_unscoped.create(
            organization=rng.choice(windows[:3]), family_name="試験", given_name=f"太郎{i}"
        )
        for i in range(25)
    ]

    # 相談
    consultations = []
    for i in range(160):
        organization = rng.choice(windows)
        person = rng.choice(persons + [None] * 5)
        consultations.append(
            Consultation.dangerously_unscoped.create(
                organization=organization,
                site=site if organization == line and rng.random() < 0.4 else None,
                person=person,
                anonymous_label="" if person else f"匿名{i}",
                received_at=_moment(rng),
                received_by=counselor,
                channel="window",
                requester="self",
                main_topic="care",
                content="相談",
                response="information",
                is_new=rng.random() < 0.5,
            )
        )

    # つなぎ, with their events
    for i in range(60):
        c = rng.choice(consultations)
        to = rng.choice([o for o in windows if o != c.organization])
        status = rng.choice(["requested", "accepted", "declined", "completed", "cancelled"])
        referral = Referral.dangerously_unscoped.create(
            consultation=c,
            person=c.person,
            from_organization=c.organization,
            to_organization=to,
            reason="つなぐ",
            basis="statute",
            statute="社会福祉法",
            status=status,
            decline_reason="対象外" if status == "declined" else "",
            outcome="対応済み" if status == "completed" else "",
            due_date=dt.date(2025, 12, 1),
            created_by=counselor,
        )
        sent = _moment(rng)
        Referral.dangerously_unscoped.filter(pk=referral.pk).update(created_at=sent)
        steps = {
            "requested": [],
            "accepted": ["accepted"],
            "declined": ["declined"],
            "completed": ["accepted", "completed"],
            "cancelled": ["cancelled"],
        }[status]
        at = sent
        for step in steps:
            at += dt.timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 20))
            event = ReferralEvent.dangerously_unscoped.create(
                referral=referral, status=step, by=counselor
            )
            ReferralEvent.dangerously_unscoped.filter(pk=event.pk).update(at=at)
        if i % 3 == 0:
            request = CaseRequest.dangerously_unscoped.create(referral=referral, note="依頼")
            CaseRequest.dangerously_unscoped.filter(pk=request.pk).update(created_at=sent)

    # 多機関協働: cases, assessments, plans, monitoring, closures
    coordinating = org["chiiki-fukushi-ka"]
    for i in range(30):
        opened = _day(rng)
        closed = opened + dt.timedelta(days=rng.randint(0, 300)) if rng.random() < 0.5 else None
        case = Case.dangerously_unscoped.create(
            organization=coordinating,
            title=f"事例{i}",
            subject="household",
            origin="other",
            lead_coordinator=coordinator,
            created_by=coordinator,
            opened_on=opened,
            closed_on=closed,
            status="closed" if closed else "supporting",
        )
        for v in range(1, rng.randint(1, 3) + 1):
            Assessment.dangerously_unscoped.create(
                case=case,
                version=v,
                urgency="medium",
                assessed_on=_day(rng),
                organization=coordinating,
                created_by=coordinator,
            )
        for kind in rng.sample(["multi_agency", "outreach", "participation"], 2):
            for v in range(1, rng.randint(1, 3) + 1):
                plan = SupportPlan.dangerously_unscoped.create(
                    case=case,
                    kind=kind,
                    version=v,
                    wishes="希望",
                    goals="目標",
                    issues="課題",
                    monitoring_on=dt.date(2026, 6, 1),
                    review_on=dt.date(2026, 9, 1),
                    created_by=coordinator,
                    status="conferred",
                    conferred_on=_day(rng),
                )
                for _ in range(rng.randint(0, 2)):
                    Monitoring.dangerously_unscoped.create(
                        plan=plan,
                        monitored_on=_day(rng),
                        organization=coordinating,
                        created_by=coordinator,
                    )
        if closed:
            sufficient = rng.random() < 0.5
            CaseClosure.dangerously_unscoped.create(
                case=case,
                closed_on=closed,
                outcome="closed",
                goals_met="met",
                person_changes="変化",
                existing_services_sufficient=sufficient,
                why_not="" if sufficient else "資源がない",
                organization=coordinating,
                created_by=coordinator,
            )

    # 会議
    bodies = list(MeetingBody.objects.filter(municipality=municipality))
    cases = list(Case.dangerously_unscoped.filter(organization=coordinating))
    for _ in range(40):
        body = rng.choice(bodies)
        held = _day(rng)
        meeting = Meeting.dangerously_unscoped.create(
            municipality=municipality,
            body=body,
            kind=body.kind,
            held_on=held,
            secretariat=coordinating,
            share_until=held + dt.timedelta(days=30),
            created_by=coordinator,
        )
        for position in range(rng.randint(0, 3)):
            AgendaItem.dangerously_unscoped.create(
                meeting=meeting,
                position=position + 1,
                kind="case",
                case=rng.choice(cases),
                created_by=coordinator,
            )

    # アウトリーチ
    for i in range(40):
        noticed = _day(rng)
        stage = rng.choice(["noticed", "contacted", "building", "connected", "ongoing", "ended"])
        engaged = noticed + dt.timedelta(days=rng.randint(0, 90)) if rng.random() < 0.6 else None
        target = OutreachTarget.dangerously_unscoped.create(
            organization=rng.choice(windows),
            label=f"対象{i}",
            noticed_on=noticed,
            source=rng.choice(["minsei", "resident", "mapping", "session"]),
            created_by=counselor,
            stage=stage,
            engaged_on=engaged,
            ended_on=noticed + dt.timedelta(days=rng.randint(0, 200)) if stage == "ended" else None,
        )
        for _ in range(rng.randint(0, 3)):
            ContactAttempt.dangerously_unscoped.create(
                target=target,
                contacted_on=_day(rng),
                method=rng.choice(["visit", "phone", "letter"]),
                staff=counselor,
                outcome=rng.choice(["absent", "met", "talked", "refused"]),
            )
    free = list(consultations)
    for i in range(15):
        kind = rng.choice(["session", "mapping", "survey"])
        activity = OutreachActivity.objects.create(
            municipality=municipality,
            organization=line,
            kind=kind,
            title=f"活動{i}",
            held_on=_day(rng),
            created_by=counselor,
            asked_count=20 if kind == "survey" else None,
            answered_count=rng.randint(0, 20) if kind == "survey" else None,
            resources_found=rng.randint(0, 9) if kind == "mapping" else None,
        )
        if kind == "session":
            for c in (free.pop() for _ in range(3)):
                SessionConsultation.dangerously_unscoped.create(activity=activity, consultation=c)

    # 地域づくり: resources, activities, consultations, matchings, attendance, rosters
    provider = Provider.objects.create(municipality=municipality, name="運営団体")
    resources = []
    for i in range(12):
        resource = CommunityResource.objects.create(
            municipality=municipality,
            provider=provider,
            name=f"居場所{i}",
            description="集いの場",
            is_host=i < 6,
            status=rng.choice(["active", "active", "defunct"]),
        )
        CommunityResource.objects.filter(pk=resource.pk).update(created_at=_moment(rng))
        resources.append(resource)
    activities = []
    for i in range(30):
        activities.append(
            Activity.objects.create(
                municipality=municipality,
                kind=rng.choice(["event", "course", "staff_training", "council"]),
                title=f"講座{i % 4}",
                held_on=_day(rng),
                participants=rng.randint(0, 40),
            )
        )
    for _ in range(25):
        CommunityConsultation.objects.create(
            municipality=municipality,
            received_on=_day(rng),
            party=rng.choice(["resident", "group", "company"]),
            summary="相談",
        )
    for _ in range(25):
        Matching.objects.create(
            municipality=municipality,
            matched_on=_day(rng),
            party=rng.choice(["resident", "group", "company"]),
            resource=rng.choice(resources),
            status=rng.choice(["matched", "matched", "arranging"]),
            is_new=rng.random() < 0.5,
        )
    for resource in resources[:4]:
        for month in range(24):
            start = dt.date(2024 + (3 + month) // 12, (3 + month) % 12 + 1, 1)
            end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1) - dt.timedelta(
                days=1
            )
            AttendanceCount.objects.create(
                resource=resource, period_start=start, period_end=end, visits=rng.randint(0, 50)
            )
    for i in range(20):
        started = _day(rng) if rng.random() < 0.8 else None
        worker = CommunityWorker.objects.create(
            municipality=municipality,
            kind=rng.choice(["commissioner_helper", "life_supporter", "volunteer"]),
            name=f"担い手{i}",
            started_on=started,
            ended_on=started + dt.timedelta(days=rng.randint(0, 400))
            if started and rng.random() < 0.4
            else None,
        )
        worker.trainings.set(rng.sample(activities, 2))

    # 参加支援
    offers = [
        HostOffer.objects.create(
            municipality=municipality,
            resource=r,
            kind="place",
            title=f"受け入れ{i}",
            capacity=3,
            created_by=counselor,
            is_active=i != 1,
        )
        for i, r in enumerate(resources[:4])
    ]
    for _ in range(10):
        HostSupport.objects.create(
            municipality=municipality,
            resource=rng.choice(resources[:4]),
            organization=line,
            supported_on=_day(rng),
            kind="visit",
            note="訪問",
            created_by=counselor,
        )
    for _ in range(30):
        proposed = _day(rng)
        stage = rng.choice(["proposed", "trial", "active", "ended", "declined"])
        begun: dt.date | None = (
            proposed + dt.timedelta(days=rng.randint(0, 60))
            if stage in ("active", "ended")
            else None
        )
        ended: dt.date | None = (
            begun + dt.timedelta(days=rng.randint(0, 90))
            if begun is not None and stage == "ended"
            else None
        )
        placement = Placement.dangerously_unscoped.create(
            organization=line,
            person=rng.choice(persons),
            offer=rng.choice(offers),
            proposed_on=proposed,
            created_by=counselor,
            stage=stage,
            is_new=rng.random() < 0.5,
            started_on=begun,
            ended_on=ended,
            declined_on=proposed + dt.timedelta(days=3) if stage == "declined" else None,
            decline_reason="合わない" if stage == "declined" else "",
        )
        for day in {_day(rng) for _ in range(rng.randint(0, 4))}:
            Attendance.dangerously_unscoped.create(
                placement=placement,
                attended_on=day,
                attended=rng.random() < 0.8,
                created_by=counselor,
            )
        if stage == "ended":
            done = rng.random() < 0.7
            FollowUp.dangerously_unscoped.create(
                placement=placement,
                due_on=_day(rng),
                done_on=_day(rng) if done else None,
                result=FollowUp.Result.values[0] if done else "",
            )
    return Activity_(municipality=municipality, line=line, centre=centre, site=site)
