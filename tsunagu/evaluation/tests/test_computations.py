"""Every computation equals a count made here, in Python, from the raw rows (not through the
selectors the computations use)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    Assessment,
    Case,
    CaseClosure,
    CaseRequest,
    Monitoring,
    SupportPlan,
)
from tsunagu.consultations.models import Consultation, ConsultationTopic, Topic
from tsunagu.evaluation.computations import REGISTRY, Context, compute
from tsunagu.evaluation.tests.activity import YEAR, build
from tsunagu.meetingrecords.models import AgendaItem, Meeting
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality
from tsunagu.outreach.models import (
    ContactAttempt,
    OutreachActivity,
    OutreachTarget,
    SessionConsultation,
)
from tsunagu.participation.models import Attendance, FollowUp, HostOffer, HostSupport, Placement
from tsunagu.referrals.models import Referral, ReferralEvent
from tsunagu.resources.models import (
    Activity,
    AttendanceCount,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Matching,
)

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST, LAST = dt.date(YEAR, 4, 1), dt.date(YEAR + 1, 3, 31)


def in_year(day: dt.date | dt.datetime | None) -> bool:
    if day is None:
        return False
    if isinstance(day, dt.datetime):
        day = day.astimezone(TOKYO).date()
    return FIRST <= day <= LAST


def rows(model: Any) -> list[Any]:
    manager = getattr(model, "dangerously_unscoped", None) or model.objects
    return list(manager.all())


def expected(city: Municipality) -> list[tuple[str, dict[str, str], Decimal]]:
    """(computation, filters, the count made here)."""
    consultations = rows(Consultation)
    line_codes = {"hokatsu-kita", "hokatsu-kita-2"}
    further: dict[int, set[str]] = {}
    for t in rows(ConsultationTopic):
        further.setdefault(t.consultation_id, set()).add(t.topic)

    def about(c: Consultation, topic: str | None) -> bool:
        return topic is None or c.main_topic == topic or topic in further.get(c.pk, set())

    def cons(
        which: str, org: str | None = None, site: str | None = None, topic: str | None = None
    ) -> int:
        out = [c for c in consultations if in_year(c.received_at) and about(c, topic)]
        if which == "new":
            out = [c for c in out if c.is_new]
        if org == "hokatsu-kita":
            out = [c for c in out if c.organization.code in line_codes]
        elif org:
            out = [c for c in out if c.organization.code == org]
        if site:
            out = [c for c in out if c.site is not None and c.site.code == site]
        return len(out)

    def persons(org: str | None = None, topic: str | None = None) -> int:
        codes = line_codes if org == "hokatsu-kita" else {org} if org else None
        return len(
            {
                c.person_id
                for c in consultations
                if in_year(c.received_at)
                and about(c, topic)
                and c.person_id
                and (codes is None or c.organization.code in codes)
            }
        )

    referrals = [r for r in rows(Referral) if r.from_organization.municipality_id == city.pk]
    events = rows(ReferralEvent)

    def sent(sender: str | None = None) -> list[Referral]:
        out = [r for r in referrals if in_year(r.created_at) and r.status != "cancelled"]
        if sender == "hokatsu-kita":
            out = [r for r in out if r.from_organization.code in line_codes]
        elif sender:
            out = [r for r in out if r.from_organization.code == sender]
        return out

    def reached(status: str, receiver: str | None = None) -> list[Referral]:
        ids = {e.referral_id for e in events if e.status == status and in_year(e.at)}
        out = [r for r in referrals if r.pk in ids]
        if receiver:
            out = [r for r in out if r.to_organization.code == receiver]
        return out

    made = sent()
    accepted_ever = {e.referral_id for e in events if e.status == "accepted"}
    share = (
        (Decimal(sum(1 for r in made if r.pk in accepted_ever)) * 100 / len(made)).quantize(
            Decimal("0.1")
        )
        if made
        else Decimal(0)
    )
    waits = []
    for r in reached("accepted"):
        first = min(e.at for e in events if e.referral_id == r.pk and e.status == "accepted")
        waits.append((first.astimezone(TOKYO).date() - r.created_at.astimezone(TOKYO).date()).days)
    mean_wait = (Decimal(sum(waits)) / len(waits)).quantize(Decimal("0.1")) if waits else 0

    cases = rows(Case)
    plans = [p for p in rows(SupportPlan) if in_year(p.conferred_on)]
    closures = [c for c in rows(CaseClosure) if in_year(c.closed_on)]
    ongoing_end = LAST
    meetings = [m for m in rows(Meeting) if in_year(m.held_on)]
    bodies = {b.pk: b for b in rows(MeetingBody) if b.municipality_id == city.pk}
    agenda = [a for a in rows(AgendaItem) if in_year(a.meeting.held_on)]
    targets = rows(OutreachTarget)
    noticed = [t for t in targets if in_year(t.noticed_on)]
    contacts = [c for c in rows(ContactAttempt) if in_year(c.contacted_on)]
    o_activities = [a for a in rows(OutreachActivity) if in_year(a.held_on)]
    placements = rows(Placement)
    proposed = [p for p in placements if in_year(p.proposed_on)]
    activities = [a for a in rows(Activity) if in_year(a.held_on)]
    c_consultations = [c for c in rows(CommunityConsultation) if in_year(c.received_on)]
    matchings = [m for m in rows(Matching) if in_year(m.matched_on) and m.status == "matched"]
    workers = [
        w
        for w in rows(CommunityWorker)
        if (w.started_on is None or w.started_on <= LAST)
        and (w.ended_on is None or w.ended_on >= FIRST)
    ]

    def trained(w: CommunityWorker) -> bool:
        return any(in_year(a.held_on) for a in w.trainings.all())

    out: list[tuple[str, dict[str, str], Any]] = [
        ("consultations-new", {}, cons("new")),
        ("consultations-new", {"organization": "hokatsu-kita"}, cons("new", "hokatsu-kita")),
        ("consultations-new", {"organization": "jiritsu-soudan"}, cons("new", "jiritsu-soudan")),
        (
            "consultations-new",
            {"organization": "hokatsu-kita", "site": "branch"},
            cons("new", "hokatsu-kita", "branch"),
        ),
        ("consultations-total", {}, cons("total")),
        ("consultations-total", {"organization": "hokatsu-kita"}, cons("total", "hokatsu-kita")),
        (
            "consultations-total",
            {"organization": "hokatsu-kita-2"},
            cons("total", "hokatsu-kita-2"),
        ),
        (
            "consultations-total",
            {"organization": "hokatsu-kita", "site": "branch"},
            cons("total", "hokatsu-kita", "branch"),
        ),
        ("consultations-persons", {}, persons()),
        ("consultations-persons", {"organization": "hokatsu-kita"}, persons("hokatsu-kita")),
        # by topic: the 主訴 or a further 相談の内容 (the fixture spreads both)
        ("consultations-new", {"topic": "hikikomori"}, cons("new", topic="hikikomori")),
        ("consultations-total", {"topic": "care"}, cons("total", topic="care")),
        ("consultations-total", {"topic": "8050"}, cons("total", topic="8050")),
        (
            "consultations-new",
            {"organization": "hokatsu-kita", "topic": "care"},
            cons("new", "hokatsu-kita", topic="care"),
        ),
        (
            "consultations-total",
            {"organization": "hokatsu-kita", "site": "branch", "topic": "hikikomori"},
            cons("total", "hokatsu-kita", "branch", topic="hikikomori"),
        ),
        ("consultations-persons", {"topic": "hikikomori"}, persons(topic="hikikomori")),
        (
            "consultations-persons",
            {"organization": "hokatsu-kita", "topic": "care"},
            persons("hokatsu-kita", topic="care"),
        ),
        ("referrals-made", {}, len(made)),
        ("referrals-made", {"organization": "hokatsu-kita"}, len(sent("hokatsu-kita"))),
        ("referrals-accepted", {}, len(reached("accepted"))),
        (
            "referrals-accepted",
            {"to_organization": "shogai-soudan"},
            len(reached("accepted", "shogai-soudan")),
        ),
        ("referrals-completed", {}, len(reached("completed"))),
        ("referrals-declined", {}, len(reached("declined"))),
        ("referrals-accepted-share", {}, share),
        ("referrals-days-to-accept", {}, mean_wait),
        (
            "case-requests",
            {},
            sum(
                1
                for r in rows(CaseRequest)
                if in_year(r.created_at) and r.referral.to_organization.municipality_id == city.pk
            ),
        ),
        ("cases-opened", {}, sum(1 for c in cases if in_year(c.opened_on))),
        ("cases-closed", {}, sum(1 for c in cases if in_year(c.closed_on))),
        (
            "cases-ongoing",
            {},
            sum(
                1
                for c in cases
                if c.opened_on <= ongoing_end and (c.closed_on is None or c.closed_on > ongoing_end)
            ),
        ),
        ("assessments", {}, sum(1 for a in rows(Assessment) if in_year(a.assessed_on))),
        ("plans-new", {}, sum(1 for p in plans if p.version == 1)),
        ("plans-total", {}, len(plans)),
        ("monitoring", {}, sum(1 for m in rows(Monitoring) if in_year(m.monitored_on))),
        (
            "closures-with-gap",
            {},
            sum(1 for c in closures if not c.existing_services_sufficient),
        ),
        ("meetings-held", {}, len(meetings)),
        (
            "meeting-cases",
            {},
            sum(len({a.case_id for a in agenda if a.meeting.body_id == b}) for b in bodies),
        ),
        ("outreach-targets", {}, len(noticed)),
        ("outreach-contacts", {}, len(contacts)),
        (
            "outreach-engaged-contacts",
            {},
            sum(1 for c in contacts if c.outcome in ("met", "talked")),
        ),
        ("outreach-engagements", {}, sum(1 for t in targets if in_year(t.engaged_on))),
        (
            "outreach-connected",
            {},
            sum(
                1
                for t in noticed
                if t.stage in ("connected", "ongoing") or (t.stage == "ended" and t.engaged_on)
            ),
        ),
        ("outreach-ended", {}, sum(1 for t in targets if in_year(t.ended_on))),
        ("outreach-activities", {}, len(o_activities)),
        (
            "outreach-session-consultations",
            {},
            sum(1 for s in rows(SessionConsultation) if in_year(s.activity.held_on)),
        ),
        (
            "outreach-survey-answered",
            {},
            sum(a.answered_count or 0 for a in o_activities if a.kind == "survey"),
        ),
        (
            "outreach-mapping-resources",
            {},
            sum(a.resources_found or 0 for a in o_activities if a.kind == "mapping"),
        ),
        ("participation-matchings-new", {}, sum(1 for p in proposed if p.is_new)),
        ("participation-matchings", {}, len(proposed)),
        ("participation-persons", {}, len({p.person_id for p in proposed})),
        ("participation-placements", {}, sum(1 for p in placements if in_year(p.started_on))),
        (
            "participation-attendances",
            {},
            sum(1 for a in rows(Attendance) if a.attended and in_year(a.attended_on)),
        ),
        (
            "participation-declined",
            {},
            sum(1 for p in placements if p.stage == "declined" and in_year(p.declined_on)),
        ),
        ("participation-ended", {}, sum(1 for p in placements if in_year(p.ended_on))),
        ("participation-follow-ups", {}, sum(1 for f in rows(FollowUp) if in_year(f.done_on))),
        (
            "participation-hosts",
            {},
            len(
                {
                    o.resource_id
                    for o in rows(HostOffer)
                    if o.is_active and o.resource.is_host and o.municipality_id == city.pk
                }
            ),
        ),
        (
            "participation-host-supports",
            {},
            sum(1 for s in rows(HostSupport) if in_year(s.supported_on)),
        ),
        (
            "resources",
            {},
            sum(
                1
                for r in rows(CommunityResource)
                if r.municipality_id == city.pk
                and r.created_at.astimezone(TOKYO).date() <= LAST
                and r.status != "defunct"
            ),
        ),
        ("activities", {}, len(activities)),
        ("activities", {"kind": "course"}, sum(1 for a in activities if a.kind == "course")),
        ("activity-participants", {}, sum(a.participants or 0 for a in activities)),
        (
            "activity-participants",
            {"kind": "event"},
            sum(a.participants or 0 for a in activities if a.kind == "event"),
        ),
        (
            "trainings",
            {},
            sum(1 for a in activities if a.kind in ("course", "staff_training")),
        ),
        ("roster", {}, len(workers)),
        (
            "roster",
            {"kind": "volunteer"},
            sum(1 for w in workers if w.kind == "volunteer"),
        ),
        ("roster-trained", {}, sum(1 for w in workers if trained(w))),
        ("community-consultations", {}, len(c_consultations)),
        (
            "community-consultations",
            {"party": "company"},
            sum(1 for c in c_consultations if c.party == "company"),
        ),
        ("community-matchings-new", {}, sum(1 for m in matchings if m.is_new)),
        ("community-matchings", {}, len(matchings)),
        (
            "community-matchings",
            {"party": "resident"},
            sum(1 for m in matchings if m.party == "resident"),
        ),
        (
            "attendance",
            {},
            sum(
                a.visits
                for a in rows(AttendanceCount)
                if a.period_start >= FIRST and a.period_end <= LAST
            ),
        ),
    ]
    # by body and by kind
    for body in bodies.values():
        n = sum(1 for m in meetings if m.body_id == body.pk)
        out.append(("meetings-held", {"body": body.code}, n))
        out.append(
            ("meetings-held", {"kind": body.kind}, sum(1 for m in meetings if m.kind == body.kind))
        )
    for kind in ("multi_agency", "outreach", "participation"):
        out.append(
            (
                "plans-new",
                {"kind": kind},
                sum(1 for p in plans if p.kind == kind and p.version == 1),
            )
        )
        out.append(("plans-total", {"kind": kind}, sum(1 for p in plans if p.kind == kind)))
    for source in ("minsei", "mapping"):
        out.append(
            ("outreach-targets", {"source": source}, sum(1 for t in noticed if t.source == source))
        )
    out.append(
        ("outreach-contacts", {"method": "visit"}, sum(1 for c in contacts if c.method == "visit"))
    )
    for kind in ("session", "mapping", "survey"):
        out.append(
            ("outreach-activities", {"kind": kind}, sum(1 for a in o_activities if a.kind == kind))
        )
    return [(name, filters, Decimal(value)) for name, filters, value in out]


@pytest.fixture
def year(city: Municipality, counselor: User, coordinator: User, receiver: User) -> Municipality:
    build(municipality=city, counselor=counselor, coordinator=coordinator, receiver=receiver)
    _spread_topics()
    return city


def _spread_topics() -> None:
    """Give the generated consultations other 主訴 and further 相談の内容 (some repeating the
    主訴, which must still count the consultation once)."""
    rng = random.Random(5)  # noqa: S311  (test data, not secrets)
    choices = [Topic.CARE, Topic.HIKIKOMORI, Topic.PROBLEM_8050, Topic.INCOME]
    for c in rows(Consultation):
        main = rng.choice(choices)
        Consultation.dangerously_unscoped.filter(pk=c.pk).update(main_topic=main)
        for topic in rng.sample(choices, rng.randint(0, 2)):
            ConsultationTopic.dangerously_unscoped.create(consultation=c, topic=topic)


@pytest.mark.django_db
def test_every_computation_equals_an_independent_count(year: Municipality) -> None:
    context = Context(municipality=year, fiscal_year=YEAR)
    checks = expected(year)
    assert {name for name, _, _ in checks} == set(REGISTRY), "a computation without a check"
    wrong = [
        (name, filters, compute(name=name, filters=filters, context=context), value)
        for name, filters, value in checks
        if compute(name=name, filters=filters, context=context) != value
    ]
    assert wrong == []
    # the year is not empty: the edges and the spread put records in it
    assert all(
        v > 0 for n, f, v in checks if n in ("consultations-total", "referrals-made") and not f
    )
    # a topic narrows the count, and not to nothing
    topical = [v for n, f, v in checks if n == "consultations-total" and set(f) == {"topic"}]
    everything = next(v for n, f, v in checks if n == "consultations-total" and not f)
    assert all(0 < v < everything for v in topical)


@pytest.mark.django_db
def test_a_year_without_records_is_zero(city: Municipality) -> None:
    context = Context(municipality=city, fiscal_year=2019)
    values: dict[str, Decimal] = {
        name: compute(name=name, filters={}, context=context) for name in REGISTRY
    }
    assert set(values.values()) == {Decimal(0)}
