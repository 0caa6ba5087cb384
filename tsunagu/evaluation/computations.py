"""The computations an indicator can be bound to: named counts over a city's records for one
fiscal year (April–March, Asia/Tokyo).

Each computation is a function of a `Context` (the city and the year, with the per-app count
selectors' results cached) and the binding's filters (codes, as the plan file writes them).
The counts come from the apps' own count selectors (`SiteCounts`,
`case_counts`, `meeting_counts`, `outreach_counts`, `participation_counts`, the resources'
counts); only what no selector counts yet (実人数 of consultations, referrals, case requests)
is counted here. They are numbers only: no record leaves this module. The list of records
behind a number (the drill-down) is `drilldown.py`, through the one door.

The names and filters are registered with `cityplan.bindings` at start-up, so the plan
file's loader refuses an unknown computation or filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from tsunagu.cases.models import CaseRequest, PlanKind
from tsunagu.cases.selectors import CaseCounts, case_counts
from tsunagu.cityplan.bindings import ComputationSpec, FilterKind, FilterSpec, register_computation
from tsunagu.consultations.models import Consultation, ConsultationTopic, Topic
from tsunagu.consultations.selectors import LineCounts, SiteCounts
from tsunagu.core.fiscal import fiscal_year_bounds, fiscal_year_span
from tsunagu.meetingrecords.selectors import MeetingCounts, meeting_counts
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Municipality, Organization
from tsunagu.outreach.models import ActivityKind, ContactMethod, NoticeSource
from tsunagu.outreach.selectors import OutreachCounts, outreach_counts
from tsunagu.participation.selectors import ParticipationCounts, participation_counts
from tsunagu.referrals.models import Referral, ReferralEvent
from tsunagu.resources.models import Activity, CommunityResource, CommunityWorker, Party
from tsunagu.resources.selectors import (
    AttendanceTotal,
    CountRow,
    MatchingCount,
    RosterCount,
    activity_kind_counts,
    attendance_totals,
    community_consultation_counts,
    matching_counts,
    roster_counts,
)

type Filters = dict[str, str]


class Context:
    """One city and fiscal year; each selector runs once however many indicators use it."""

    def __init__(self, *, municipality: Municipality, fiscal_year: int) -> None:
        self.municipality = municipality
        self.fiscal_year = fiscal_year
        self.first, self.last = fiscal_year_bounds(
            fiscal_year, start_month=municipality.fiscal_year_start_month
        )
        # the same year as instants [start, end), for the timestamp filters (index-friendly)
        self.start, self.end = fiscal_year_span(
            fiscal_year, start_month=municipality.fiscal_year_start_month
        )
        self._lines: dict[int, LineCounts] = {}
        self.distinct_persons: dict[tuple[frozenset[int], str], int] = {}

    @cached_property
    def organizations(self) -> dict[str, Organization]:
        return {o.code: o for o in Organization.objects.filter(municipality=self.municipality)}

    def organization(self, filters: Filters, key: str = "organization") -> Organization | None:
        code = filters.get(key)
        if not code:
            return None
        try:
            return self.organizations[code]
        except KeyError:
            raise UnknownFilter(f"組織コード {code!r} がありません") from None

    def centres(self, organization: Organization | None) -> list[Organization]:
        """The organization and the centres grouped under it (a plan line), or the whole city."""
        if organization is None:
            return list(self.organizations.values())
        return [
            organization,
            *(o for o in self.organizations.values() if o.group_id == organization.pk),
        ]

    @cached_property
    def site_counts(self) -> SiteCounts:
        """The year's consultations per organization and site of the whole city: one grouped
        query that every consultations-new/-total indicator reads."""
        return SiteCounts.of(
            organizations=sorted(self.organizations.values(), key=lambda o: (o.sort_order, o.code)),
            fiscal_year=self.fiscal_year,
            municipality=self.municipality,
        )

    def line(self, organization: Organization) -> LineCounts:
        if organization.pk not in self._lines:
            self._lines[organization.pk] = self.site_counts.line(organization)
        return self._lines[organization.pk]

    @cached_property
    def cases(self) -> list[CaseCounts]:
        return case_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)

    @cached_property
    def meetings(self) -> MeetingCounts:
        return meeting_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)

    @cached_property
    def outreach(self) -> OutreachCounts:
        return outreach_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)

    @cached_property
    def participation(self) -> ParticipationCounts:
        return participation_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)

    @cached_property
    def rosters(self) -> dict[str, RosterCount]:
        rows = roster_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)
        return {r.kind: r for r in rows}

    @cached_property
    def activity_kinds(self) -> dict[str, CountRow]:
        return activity_kind_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)

    @cached_property
    def community_consultations(self) -> dict[str, int]:
        return community_consultation_counts(
            municipality=self.municipality, fiscal_year=self.fiscal_year
        )

    @cached_property
    def matchings(self) -> dict[str, MatchingCount]:
        return matching_counts(municipality=self.municipality, fiscal_year=self.fiscal_year)

    @cached_property
    def attendance(self) -> list[AttendanceTotal]:
        return list(attendance_totals(municipality=self.municipality, fiscal_year=self.fiscal_year))

    @cached_property
    def bodies(self) -> dict[str, int]:
        return dict(
            MeetingBody.objects.filter(municipality=self.municipality).values_list("code", "pk")
        )


class UnknownFilter(ValueError):
    """A filter value that names nothing in this city (the file was checked; the city changed)."""


@dataclass(frozen=True)
class Computation:
    name: str
    label: str
    compute: Callable[[Context, Filters], Decimal]
    filters: dict[str, FilterSpec] = field(default_factory=dict)
    unit: str = "件"

    def spec(self) -> ComputationSpec:
        return ComputationSpec(name=self.name, label=self.label, filters=self.filters)


REGISTRY: dict[str, Computation] = {}


def _add(
    name: str, label: str, filters: dict[str, FilterSpec] | None = None, unit: str = "件"
) -> Callable[[Callable[[Context, Filters], Any]], Callable[[Context, Filters], Any]]:
    def wrap(fn: Callable[[Context, Filters], Any]) -> Callable[[Context, Filters], Any]:
        def compute(ctx: Context, filters: Filters) -> Decimal:
            return Decimal(fn(ctx, filters))

        REGISTRY[name] = Computation(
            name=name, label=label, compute=compute, filters=filters or {}, unit=unit
        )
        return fn

    return wrap


def compute(*, name: str, filters: Filters, context: Context) -> Decimal:
    """The value of one computation for the context's city and year."""
    return REGISTRY[name].compute(context, filters)


def register_all() -> None:
    for c in REGISTRY.values():
        register_computation(c.spec())


def _choice(label: str, choices: Any) -> FilterSpec:
    return FilterSpec(kind=FilterKind.CHOICE, label=label, choices=tuple(choices))


ORGANIZATION = FilterSpec(kind=FilterKind.ORGANIZATION, label="機関")
SITE = FilterSpec(kind=FilterKind.SITE, label="拠点")
TO_ORGANIZATION = FilterSpec(kind=FilterKind.ORGANIZATION, label="つなぎ先")
BODY = FilterSpec(kind=FilterKind.MEETING_BODY, label="会議体")
MEETING_KIND = _choice("会議の種別", MeetingBodyKind.values)
PLAN_KIND = _choice("プランの種別", PlanKind.values)
TOPIC = _choice("相談の内容", Topic.values)


# --- 相談 (consultations) ----------------------------------------------------------------------


def _consultations(ctx: Context, filters: Filters, which: str) -> int:
    if filters.get("topic"):  # no count selector has topics: counted from the rows
        return consultations_behind(ctx, filters, new_only=which == "new").count()
    organization = ctx.organization(filters)
    site = filters.get("site")
    if organization is None:
        lines = [o for o in ctx.organizations.values() if o.group_id is None]
        return sum(getattr(ctx.line(o), which) for o in lines)
    counts = ctx.line(organization)
    if site:
        return sum(
            getattr(b, which)
            for b in counts.branches
            if b.site.code == site and b.site.organization_id == organization.pk
        )
    return int(getattr(counts, which))


def consultations_behind(
    ctx: Context, filters: Filters, *, new_only: bool
) -> QuerySet[Consultation]:
    """The consultations a consultations-new/-total figure counts (for the drill-down, which
    reads them through `visible_to`; never read here)."""
    organization = ctx.organization(filters)
    # unscoped: the ids behind a count; the drill-down narrows them with visible_to
    qs = Consultation.dangerously_unscoped.filter(
        organization__municipality=ctx.municipality,
        received_at__gte=ctx.start,
        received_at__lt=ctx.end,
    )
    if organization is not None:
        qs = qs.filter(organization__in=ctx.centres(organization))
        if filters.get("site"):
            qs = qs.filter(site__organization=organization, site__code=filters["site"])
    if new_only:
        qs = qs.filter(is_new=True)
    return _about(qs, filters)


def _about(qs: QuerySet[Consultation], filters: Filters) -> QuerySet[Consultation]:
    """With `topic`: the consultations that concern it, as 主訴 or as one of the further
    相談の内容 (the 相談受付票's checkboxes), each consultation once."""
    topic = filters.get("topic")
    if not topic:
        return qs
    # unscoped: the ids of the consultations about the topic, counted, never read
    further = ConsultationTopic.dangerously_unscoped.filter(topic=topic).values("consultation_id")
    return qs.filter(Q(main_topic=topic) | Q(pk__in=further))


CONSULTATION_FILTERS = {"organization": ORGANIZATION, "site": SITE, "topic": TOPIC}


@_add("consultations-new", "相談件数（新規）", CONSULTATION_FILTERS)
def consultations_new(ctx: Context, filters: Filters) -> int:
    """新規: consultations of the year marked new, of an organization and the centres under its
    plan line (「6箇所合計」), or of one site; the whole city without a filter. `topic`: only
    the consultations about that topic (主訴 or a further 相談の内容)."""
    return _consultations(ctx, filters, "new")


@_add("consultations-total", "相談件数（延べ）", CONSULTATION_FILTERS)
def consultations_total(ctx: Context, filters: Filters) -> int:
    return _consultations(ctx, filters, "total")


@_add(
    "consultations-persons",
    "相談の実人数",
    {"organization": ORGANIZATION, "topic": TOPIC},
    unit="人",
)
def consultations_persons(ctx: Context, filters: Filters) -> int:
    """実人数: distinct person records with a consultation in the year (anonymous ones are not
    counted: they name no one)."""
    centres = frozenset(o.pk for o in ctx.centres(ctx.organization(filters)))
    key = (centres, filters.get("topic") or "")
    if key not in ctx.distinct_persons:
        # unscoped: a count of distinct persons; no record is read
        in_year = Consultation.dangerously_unscoped.filter(
            organization_id__in=sorted(centres),
            received_at__gte=ctx.start,
            received_at__lt=ctx.end,
            person__isnull=False,
        )
        ctx.distinct_persons[key] = _about(in_year, filters).values("person").distinct().count()
    return ctx.distinct_persons[key]


# --- つなぎ (referrals) ------------------------------------------------------------------------


def referrals_made_in(ctx: Context, filters: Filters) -> QuerySet[Referral]:
    """Referrals sent in the year (not cancelled), filtered by sender and receiver."""
    # unscoped: counted, never read (the drill-down goes through visible_to)
    qs = Referral.dangerously_unscoped.filter(
        from_organization__municipality=ctx.municipality,
        created_at__gte=ctx.start,
        created_at__lt=ctx.end,
    ).exclude(status=Referral.Status.CANCELLED)
    return _referral_filters(ctx, filters, qs)


def _referral_filters(ctx: Context, filters: Filters, qs: QuerySet[Referral]) -> QuerySet[Referral]:
    sender = ctx.organization(filters)
    receiver = ctx.organization(filters, "to_organization")
    if sender is not None:
        qs = qs.filter(from_organization__in=ctx.centres(sender))
    if receiver is not None:
        qs = qs.filter(to_organization__in=ctx.centres(receiver))
    return qs


def referrals_answered_in(ctx: Context, filters: Filters, status: str) -> QuerySet[Referral]:
    """Referrals that reached `status` in the year (its event's date)."""
    # unscoped: as above
    answered = ReferralEvent.dangerously_unscoped.filter(
        status=status, at__gte=ctx.start, at__lt=ctx.end
    ).values("referral_id")
    # unscoped: as above
    qs = Referral.dangerously_unscoped.filter(
        from_organization__municipality=ctx.municipality, pk__in=answered
    )
    return _referral_filters(ctx, filters, qs)


REFERRAL_FILTERS = {"organization": ORGANIZATION, "to_organization": TO_ORGANIZATION}


@_add("referrals-made", "つなぎの件数", REFERRAL_FILTERS)
def referrals_made(ctx: Context, filters: Filters) -> int:
    return referrals_made_in(ctx, filters).count()


@_add("referrals-accepted", "つなぎの受理件数", REFERRAL_FILTERS)
def referrals_accepted(ctx: Context, filters: Filters) -> int:
    return referrals_answered_in(ctx, filters, Referral.Status.ACCEPTED).count()


@_add("referrals-completed", "つなぎの対応完了件数", REFERRAL_FILTERS)
def referrals_completed(ctx: Context, filters: Filters) -> int:
    return referrals_answered_in(ctx, filters, Referral.Status.COMPLETED).count()


@_add("referrals-declined", "つなぎの辞退件数", REFERRAL_FILTERS)
def referrals_declined(ctx: Context, filters: Filters) -> int:
    return referrals_answered_in(ctx, filters, Referral.Status.DECLINED).count()


@_add("referrals-accepted-share", "つなぎの受理率", REFERRAL_FILTERS, unit="%")
def referrals_accepted_share(ctx: Context, filters: Filters) -> Decimal:
    """Of the referrals sent in the year, the share accepted (at any time since), in %."""
    made = referrals_made_in(ctx, filters)
    total = made.count()
    if not total:
        return Decimal(0)
    # unscoped: as above
    accepted = ReferralEvent.dangerously_unscoped.filter(
        referral__in=made, status=Referral.Status.ACCEPTED
    )
    n = accepted.values("referral_id").distinct().count()
    return (Decimal(n) * 100 / total).quantize(Decimal("0.1"))


@_add("referrals-days-to-accept", "受理までの日数（平均）", REFERRAL_FILTERS, unit="日")
def referrals_days_to_accept(ctx: Context, filters: Filters) -> Decimal:
    """Mean days from sending to the first acceptance, of the referrals accepted in the year."""
    rows = referrals_answered_in(ctx, filters, Referral.Status.ACCEPTED).annotate(
        accepted_at=Min("events__at", filter=Q(events__status=Referral.Status.ACCEPTED))
    )
    days = [
        (timezone.localdate(r.accepted_at) - timezone.localdate(r.created_at)).days
        for r in rows.only("created_at")
    ]
    if not days:
        return Decimal(0)
    return (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"))


# --- 多機関協働・支援プラン (cases) ------------------------------------------------------------


def _case_sum(ctx: Context, filters: Filters, figure: Callable[[CaseCounts], int]) -> int:
    organization = ctx.organization(filters)
    return sum(
        figure(c) for c in ctx.cases if organization is None or c.organization.pk == organization.pk
    )


CASE_FILTERS = {"organization": ORGANIZATION}


@_add("case-requests", "多機関協働への依頼件数", CASE_FILTERS)
def case_requests(ctx: Context, filters: Filters) -> int:
    """Case requests received in the year (by the coordinating organization filtered on)."""
    # unscoped: a count only
    qs = CaseRequest.dangerously_unscoped.filter(
        referral__to_organization__municipality=ctx.municipality,
        created_at__gte=ctx.start,
        created_at__lt=ctx.end,
    )
    organization = ctx.organization(filters)
    if organization is not None:
        qs = qs.filter(referral__to_organization=organization)
    return qs.count()


@_add("cases-opened", "多機関協働の受付件数（新規）", CASE_FILTERS)
def cases_opened(ctx: Context, filters: Filters) -> int:
    return _case_sum(ctx, filters, lambda c: c.opened)


@_add("cases-closed", "多機関協働の終結件数", CASE_FILTERS)
def cases_closed(ctx: Context, filters: Filters) -> int:
    return _case_sum(ctx, filters, lambda c: c.closed)


@_add("cases-ongoing", "年度末に継続中の事例", CASE_FILTERS)
def cases_ongoing(ctx: Context, filters: Filters) -> int:
    return _case_sum(ctx, filters, lambda c: c.ongoing)


@_add("assessments", "アセスメントの件数", CASE_FILTERS)
def assessments(ctx: Context, filters: Filters) -> int:
    return _case_sum(ctx, filters, lambda c: c.assessments)


@_add("plans-new", "プラン作成件数（新規）", {**CASE_FILTERS, "kind": PLAN_KIND})
def plans_new(ctx: Context, filters: Filters) -> int:
    kind = filters.get("kind")
    return _case_sum(
        ctx, filters, lambda c: c.plans_new[kind] if kind else sum(c.plans_new.values())
    )


@_add("plans-total", "プラン作成件数（延べ）", {**CASE_FILTERS, "kind": PLAN_KIND})
def plans_total(ctx: Context, filters: Filters) -> int:
    kind = filters.get("kind")
    return _case_sum(
        ctx, filters, lambda c: c.plans_total[kind] if kind else sum(c.plans_total.values())
    )


@_add("monitoring", "モニタリングの件数", CASE_FILTERS)
def monitoring(ctx: Context, filters: Filters) -> int:
    return _case_sum(ctx, filters, lambda c: c.monitoring)


@_add("closures-with-gap", "終結時に社会資源の不足があった事例", CASE_FILTERS)
def closures_with_gap(ctx: Context, filters: Filters) -> int:
    return _case_sum(ctx, filters, lambda c: c.closures_with_gap)


# --- 会議 (meetings) ---------------------------------------------------------------------------


def _meeting_rows(ctx: Context, filters: Filters) -> list[Any]:
    body = filters.get("body")
    if body and body not in ctx.bodies:
        raise UnknownFilter(f"会議体コード {body!r} がありません")
    kind = filters.get("kind")
    return [
        b
        for b in ctx.meetings.bodies
        if (not body or b.body_id == ctx.bodies[body]) and (not kind or b.kind == kind)
    ]


MEETING_FILTERS = {"body": BODY, "kind": MEETING_KIND}


@_add("meetings-held", "会議の開催回数", MEETING_FILTERS, unit="回")
def meetings_held(ctx: Context, filters: Filters) -> int:
    """Meetings held in the year (their date has come), by body and by the role it met in."""
    return sum(b.held for b in _meeting_rows(ctx, filters))


@_add("meeting-cases", "会議で検討した事例数", MEETING_FILTERS)
def meeting_cases(ctx: Context, filters: Filters) -> int:
    return sum(b.cases + b.persons for b in _meeting_rows(ctx, filters))


# --- アウトリーチ (outreach) -------------------------------------------------------------------

SOURCE = _choice("把握のきっかけ", NoticeSource.values)
METHOD = _choice("接触の方法", ContactMethod.values)
OUTREACH_ACTIVITY = _choice("活動の種別", ActivityKind.values)


@_add("outreach-targets", "アウトリーチ対象の把握件数", {"source": SOURCE})
def outreach_targets(ctx: Context, filters: Filters) -> int:
    source = filters.get("source")
    if not source:
        return ctx.outreach.targets_found
    return ctx.outreach.targets_by_source.get(str(NoticeSource(source).label), 0)


@_add("outreach-contacts", "接触の延べ回数", {"method": METHOD}, unit="回")
def outreach_contacts(ctx: Context, filters: Filters) -> int:
    method = filters.get("method")
    if not method:
        return ctx.outreach.contacts
    return ctx.outreach.contacts_by_method.get(str(ContactMethod(method).label), 0)


@_add("outreach-engaged-contacts", "本人と会えた・話せた接触", unit="回")
def outreach_engaged_contacts(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.engaged_contacts


@_add("outreach-engagements", "関係構築に至った件数（初回接触）")
def outreach_engagements(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.engagements


@_add("outreach-connected", "支援につながった件数")
def outreach_connected(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.connected


@_add("outreach-ended", "アウトリーチの終了件数")
def outreach_ended(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.ended


@_add(
    "outreach-activities",
    "出張相談・マッピング・アンケートの実施回数",
    {"kind": OUTREACH_ACTIVITY},
    unit="回",
)
def outreach_activities(ctx: Context, filters: Filters) -> int:
    kind = filters.get("kind")
    if not kind:
        return sum(ctx.outreach.activities.values())
    return ctx.outreach.activities.get(str(ActivityKind(kind).label), 0)


@_add("outreach-session-consultations", "出張相談会での相談件数")
def outreach_session_consultations(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.session_consultations


@_add("outreach-survey-answered", "実情アンケートの回答数")
def outreach_survey_answered(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.survey_answered


@_add("outreach-mapping-resources", "マッピング調査で見つけた社会資源", unit="か所")
def outreach_mapping_resources(ctx: Context, filters: Filters) -> int:
    return ctx.outreach.mapping_resources


# --- 参加支援 (participation) ------------------------------------------------------------------


def _participation(name: str, label: str, figure: str, unit: str = "件") -> None:
    def fn(ctx: Context, filters: Filters) -> int:
        return int(getattr(ctx.participation, figure))

    _add(name, label, unit=unit)(fn)


_participation("participation-matchings-new", "参加支援のマッチング件数（新規）", "matchings_new")
_participation("participation-matchings", "参加支援のマッチング件数（延べ）", "matchings_total")
_participation("participation-persons", "マッチングの実人数", "persons", unit="人")
_participation("participation-placements", "利用開始（定着）件数", "started")
_participation("participation-attendances", "参加の延べ回数", "attendances", unit="回")
_participation("participation-declined", "辞退件数", "declined")
_participation("participation-ended", "利用終了件数", "ended")
_participation("participation-follow-ups", "フォローアップ件数", "follow_ups_done")
_participation("participation-hosts", "受け入れ先（協力事業者）数", "hosts", unit="か所")
_participation("participation-host-supports", "受け入れ先への支援件数", "host_supports")


# --- 地域づくり (resources) --------------------------------------------------------------------

ACTIVITY_KIND = _choice("活動の種別", Activity.Kind.values)
PARTY = _choice("相手", Party.values)
WORKER_KIND = _choice("担い手の種別", CommunityWorker.Kind.values)


@_add("resources", "社会資源の数（年度末）", unit="か所")
def resources(ctx: Context, filters: Filters) -> int:
    """Resources existing at the year's end (created by then, not defunct)."""
    return (
        CommunityResource.objects.filter(municipality=ctx.municipality, created_at__lt=ctx.end)
        .exclude(status=CommunityResource.Status.DEFUNCT)
        .count()
    )


def _activities(ctx: Context, filters: Filters, figure: str) -> int:
    rows = ctx.activity_kinds
    kind = filters.get("kind")
    return sum(getattr(r, figure) for k, r in rows.items() if not kind or k == kind)


@_add("activities", "行事・講座・研修の開催回数", {"kind": ACTIVITY_KIND}, unit="回")
def activities(ctx: Context, filters: Filters) -> int:
    return _activities(ctx, filters, "count")


@_add(
    "activity-participants",
    "行事・講座・研修の参加者数（延べ）",
    {"kind": ACTIVITY_KIND},
    unit="人",
)
def activity_participants(ctx: Context, filters: Filters) -> int:
    return _activities(ctx, filters, "participants")


@_add("trainings", "研修・養成講座の開催回数", unit="回")
def trainings(ctx: Context, filters: Filters) -> int:
    return _activities(ctx, {"kind": Activity.Kind.STAFF_TRAINING}, "count") + _activities(
        ctx, {"kind": Activity.Kind.COURSE}, "count"
    )


@_add("roster", "担い手の数", {"kind": WORKER_KIND}, unit="人")
def roster(ctx: Context, filters: Filters) -> int:
    kind = filters.get("kind")
    return sum(r.active for k, r in ctx.rosters.items() if not kind or k == kind)


@_add("roster-trained", "研修を受けた担い手の数", {"kind": WORKER_KIND}, unit="人")
def roster_trained(ctx: Context, filters: Filters) -> int:
    kind = filters.get("kind")
    return sum(r.trained for k, r in ctx.rosters.items() if not kind or k == kind)


@_add("community-consultations", "地域づくりの相談件数", {"party": PARTY})
def community_consultations(ctx: Context, filters: Filters) -> int:
    rows = ctx.community_consultations
    party = filters.get("party")
    return sum(n for k, n in rows.items() if not party or k == party)


def _matchings(ctx: Context, filters: Filters, figure: str) -> int:
    rows = ctx.matchings
    party = filters.get("party")
    return sum(getattr(m, figure) for k, m in rows.items() if not party or k == party)


@_add("community-matchings-new", "地域づくりのマッチング件数（新規）", {"party": PARTY})
def community_matchings_new(ctx: Context, filters: Filters) -> int:
    return _matchings(ctx, filters, "new")


@_add("community-matchings", "地域づくりのマッチング件数（延べ）", {"party": PARTY})
def community_matchings(ctx: Context, filters: Filters) -> int:
    return _matchings(ctx, filters, "total")


@_add("attendance", "居場所の来所者数（延べ）", unit="人")
def attendance(ctx: Context, filters: Filters) -> int:
    return sum(r.visits for r in ctx.attendance)
