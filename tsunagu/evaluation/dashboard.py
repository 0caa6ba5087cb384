"""The evaluation dashboard's figures for one city and fiscal year: counts only, never a name.

Each function reads the records of every organization of the city without a user's scope (the
numbers are the city's, and none of the rows leaves this module), so each unscoped read says why.
Who may see the dashboard at all is `dashboard_allowed`. A year with no records gives zeros.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import CharField, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, TruncMonth
from django.utils import timezone

from tsunagu.accounts.models import Role, User
from tsunagu.cases.models import Case, CaseStatus, ResourceGap
from tsunagu.cityplan.models import Milestone, MilestoneStage, PlanVersion
from tsunagu.consultations.models import Consultation, ConsultationTopic, Topic
from tsunagu.core.fiscal import fiscal_year_bounds, wareki_fiscal_year
from tsunagu.organizations.models import Area, Municipality, Organization, SupportField
from tsunagu.referrals.models import Referral, ReferralEvent

# Who sees the city's dashboard: managers and administrators (as for the access log and the
# records' retention), and the 多機関協働 coordinators, who see the plan's targets on their
# home page. For other staff the page does not exist (404); no one sees another city's.
DASHBOARD_ROLES = (Role.MANAGER, Role.ADMIN, Role.COORDINATOR)

NO_AREA = "地域の指定なし"


def dashboard_allowed(user: User) -> bool:
    return user.organization_id is not None and user.has_role(*DASHBOARD_ROLES)


@dataclass(frozen=True)
class Year:
    municipality: Municipality
    fiscal_year: int
    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return wareki_fiscal_year(self.fiscal_year)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=_tz())

    @property
    def end(self) -> dt.datetime:
        """The first moment after the year."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=_tz())

    @property
    def months(self) -> list[dt.date]:
        out = []
        month = self.first.replace(day=1)
        while month <= self.last:
            out.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return out


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def year_of(*, municipality: Municipality, fiscal_year: int) -> Year:
    first, last = fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)
    return Year(municipality=municipality, fiscal_year=fiscal_year, first=first, last=last)


def _organizations(municipality: Municipality) -> QuerySet[Organization]:
    return Organization.objects.filter(municipality=municipality).order_by("sort_order", "code")


# --- consultations per month -------------------------------------------------------------------


@dataclass
class Monthly:
    """Rows (organizations or topics) × the year's months; each row's numbers and total."""

    months: list[dt.date]
    rows: list[tuple[str, list[int]]]
    idle: int = 0  # organizations with no row (none in the year)

    @property
    def month_labels(self) -> list[str]:
        return [f"{m.month}月" for m in self.months]

    @property
    def rows_with_total(self) -> list[tuple[str, list[int], int]]:
        return [(name, values, sum(values)) for name, values in self.rows]

    @property
    def totals(self) -> list[int]:
        return [sum(values) for values in zip(*(v for _n, v in self.rows), strict=True)] or [
            0 for _m in self.months
        ]

    @property
    def total(self) -> int:
        return sum(self.totals)


def _consultations(year: Year) -> QuerySet[Consultation]:
    # unscoped: the city's numbers per month; no row leaves this module
    return Consultation.dangerously_unscoped.filter(
        organization__municipality=year.municipality,
        received_at__gte=year.start,
        received_at__lt=year.end,
    )


def consultations_by_organization(year: Year) -> Monthly:
    """延べ consultations per month for each organization of the city that took any; `idle`
    counts the city's active organizations that took none."""
    counts = Counter[tuple[int, dt.date]]()
    rows = (
        _consultations(year)
        .annotate(month=TruncMonth("received_at", tzinfo=_tz()))
        .values_list("organization_id", "month")
        .annotate(n=Count("id"))
    )
    for organization_id, month, n in rows:
        counts[(organization_id, _as_date(month))] += n
    months = year.months
    organizations = list(_organizations(year.municipality))
    taking = {pk for pk, _m in counts}
    return Monthly(
        months=months,
        rows=[
            (o.name, [counts[(o.pk, m)] for m in months]) for o in organizations if o.pk in taking
        ],
        idle=sum(1 for o in organizations if o.is_active and o.pk not in taking),
    )


def _further_topics(year: Year) -> QuerySet[ConsultationTopic]:
    """The further topics of the year's consultations, without those equal to the 主訴 (a
    consultation counts once per topic)."""
    # unscoped: the topics of the consultations counted by `_consultations`; no row leaves here
    return ConsultationTopic.dangerously_unscoped.filter(
        consultation__organization__municipality=year.municipality,
        consultation__received_at__gte=year.start,
        consultation__received_at__lt=year.end,
    ).exclude(topic=F("consultation__main_topic"))


def consultations_by_topic(year: Year) -> Monthly:
    """Consultations per month for each topic they concern (the 主訴 and every further topic,
    each consultation counted once per topic), topics that occur only. Counted by the database
    (a year of a big city has hundreds of thousands of consultations)."""
    months = year.months
    counts = Counter[tuple[str, dt.date]]()
    tz = _tz()
    mains = (
        _consultations(year)
        .annotate(month=TruncMonth("received_at", tzinfo=tz))
        .values_list("main_topic", "month")
        .annotate(n=Count("id"))
    )
    further = (
        _further_topics(year)
        .annotate(month=TruncMonth("consultation__received_at", tzinfo=tz))
        .values_list("topic", "month")
        .annotate(n=Count("id"))
    )
    for rows in (mains, further):
        for topic, month, n in rows:
            counts[(topic, _as_date(month))] += n
    present = {topic for topic, _m in counts}
    return Monthly(
        months=months,
        rows=[
            (Topic(t).label, [counts[(t, m)] for m in months]) for t in Topic.values if t in present
        ],
    )


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, _tz()).date() if timezone.is_aware(value) else value.date()
    return value


# --- compound issues ---------------------------------------------------------------------------


@dataclass
class CoOccurrence:
    """Which topics occur together in one household (or one person outside a household, or one
    anonymous consultation) over the year. `matrix[i][j]`: units with both topics; the diagonal
    is units with the topic at all."""

    topics: list[str]
    matrix: list[list[int]]
    units: int
    compound_units: int
    patterns: list[tuple[str, int]]


# The situations the plans name, as the topics that make them up in one household. A unit
# counts when it has the named topic itself or all the topics of one of its combinations.
PATTERNS: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...] = (
    (Topic.PROBLEM_8050.label, Topic.PROBLEM_8050, ((Topic.CARE, Topic.HIKIKOMORI),)),
    (Topic.DOUBLE_CARE.label, Topic.DOUBLE_CARE, ((Topic.CARE, Topic.CHILDCARE),)),
    (Topic.YOUNG_CARER.label, Topic.YOUNG_CARER, ()),
)


def _unit() -> models.Case:
    """What topics are gathered by: the household of the consultation's person, else the person,
    else the (anonymous) consultation itself."""
    return models.Case(
        When(
            person__household_membership__isnull=False,
            then=Concat(
                Value("h"), Cast("person__household_membership__household_id", CharField())
            ),
        ),
        When(person__isnull=False, then=Concat(Value("p"), Cast("person_id", CharField()))),
        default=Concat(Value("c"), Cast("id", CharField())),
        output_field=CharField(),
    )


def compound_issues(year: Year) -> CoOccurrence:
    # one row per unit (household, person or anonymous consultation) with a 0/1 column per
    # topic (its 主訴 or a further topic of any of the unit's consultations), streamed: the
    # units of a big city's year are not held in memory
    topics = list(Topic.values)
    flags = {
        f"t{i}": Max(
            models.Case(When(Q(main_topic=t) | Q(topics__topic=t), then=Value(1)), default=Value(0))
        )
        for i, t in enumerate(topics)
    }
    rows = (
        _consultations(year)
        .annotate(unit=_unit())
        .values("unit")
        .annotate(**flags)
        .values_list(*flags)
        .order_by()
    )
    size = len(topics)
    matrix_all = [[0] * size for _t in topics]
    units = compound_units = 0
    pattern_counts = [0] * len(PATTERNS)
    wanted = [
        (topics.index(itself), [[topics.index(t) for t in c] for c in combos])
        for _label, itself, combos in PATTERNS
    ]
    for row in rows.iterator(chunk_size=5000):
        present = [i for i, flag in enumerate(row) if flag]
        if not present:
            continue
        units += 1
        if len(present) >= 2:
            compound_units += 1
        for i in present:
            matrix_all[i][i] += 1
        for a, b in combinations(present, 2):
            matrix_all[a][b] += 1
            matrix_all[b][a] += 1
        has = set(present)
        for n, (itself, combos) in enumerate(wanted):
            if itself in has or any(all(t in has for t in c) for c in combos):
                pattern_counts[n] += 1
    shown = [i for i in range(size) if matrix_all[i][i]]
    return CoOccurrence(
        topics=[Topic(topics[i]).label for i in shown],
        matrix=[[matrix_all[a][b] for b in shown] for a in shown],
        units=units,
        compound_units=compound_units,
        patterns=[(label, n) for (label, _i, _c), n in zip(PATTERNS, pattern_counts, strict=True)],
    )


# --- referrals ---------------------------------------------------------------------------------


@dataclass
class ReceiverRow:
    organization: str
    received: int
    accepted: int
    median_days: float | None
    open: int
    overdue: int


@dataclass
class Flows:
    """The organizations that sent or received a referral in the year (`nodes`, `receivers`),
    the flows between them, and the city's active organizations with none (`isolated`)."""

    nodes: list[str]
    edges: list[tuple[str, str, int]]
    receivers: list[ReceiverRow]
    total: int
    within_field: int
    across_field: int
    isolated: list[str] = field(default_factory=list)


def referral_flows(year: Year, *, today: dt.date | None = None) -> Flows:
    """つなぎ made in the year: from which organization to which, how long each receiver took to
    accept (days from the request to its acceptance), and what is still open or overdue today."""
    today = today or timezone.localdate()
    # unscoped: the city's referral numbers; no row leaves this module
    referrals = Referral.dangerously_unscoped.filter(
        from_organization__municipality=year.municipality,
        created_at__gte=year.start,
        created_at__lt=year.end,
    )
    rows = list(
        referrals.values_list(
            "id", "from_organization_id", "to_organization_id", "status", "due_date", "created_at"
        )
    )
    accepted_at: dict[int, dt.datetime] = {}
    # unscoped: when each counted referral was accepted (its first acceptance)
    for referral_id, at in (
        ReferralEvent.dangerously_unscoped.filter(
            referral__in=referrals, status=Referral.Status.ACCEPTED
        )
        .order_by("at")
        .values_list("referral_id", "at")
    ):
        accepted_at.setdefault(referral_id, at)
    organizations = list(_organizations(year.municipality).prefetch_related("support_fields"))
    names = {o.pk: o.name for o in organizations}
    fields = {o.pk: {f.field for f in o.support_fields.all()} for o in organizations}
    flows = Counter[tuple[int, int]]()
    received = Counter[int]()
    days: defaultdict[int, list[float]] = defaultdict(list)
    still_open = Counter[int]()
    overdue = Counter[int]()
    within = 0
    for pk, source, target, status, due, created in rows:
        flows[(source, target)] += 1
        received[target] += 1
        if pk in accepted_at:
            days[target].append((accepted_at[pk] - created).total_seconds() / 86400)
        if status in (Referral.Status.REQUESTED, Referral.Status.ACCEPTED):
            still_open[target] += 1
        if status == Referral.Status.REQUESTED and due < today:
            overdue[target] += 1
        if fields[source] & fields[target]:
            within += 1
    involved = {o for pair in flows for o in pair}
    shown = [o for o in organizations if o.pk in involved]
    return Flows(
        nodes=[o.name for o in shown],
        edges=[(names[s], names[t], n) for (s, t), n in sorted(flows.items())],
        receivers=[
            ReceiverRow(
                organization=o.name,
                received=received[o.pk],
                accepted=len(days[o.pk]),
                median_days=round(statistics.median(days[o.pk]), 1) if days[o.pk] else None,
                open=still_open[o.pk],
                overdue=overdue[o.pk],
            )
            for o in shown
        ],
        total=len(rows),
        within_field=within,
        across_field=len(rows) - within,
        isolated=[o.name for o in organizations if o.is_active and o.pk not in involved],
    )


# --- cases, resource gaps, milestones ----------------------------------------------------------


def cases_status_day(year: Year, *, today: dt.date | None = None) -> dt.date:
    """The day the cases' status is counted on: the year's last day, or today in the current
    year."""
    return min(year.last, today or timezone.localdate())


def cases_by_status(year: Year, *, today: dt.date | None = None) -> list[tuple[str, int]]:
    """Cases open at some time in the year (opened by its end, not closed before its start), by
    their status at the end of the year (`cases_status_day`): today's status in the current
    year; for an earlier year, the status each case's change history (every save of a case
    keeps one) had at the end of its last day. A case whose history starts after that day
    (entered later with an earlier 受付日, or its history erased by retention) counts with the
    first status recorded for it; one without any history row, with its status now."""
    day = cases_status_day(year, today=today)
    # unscoped: the city's case numbers by status
    cases = Case.dangerously_unscoped.filter(
        organization__municipality=year.municipality, opened_on__lte=year.last
    ).exclude(closed_on__lt=year.first)
    status = dict(cases.values_list("pk", "status"))
    if day < (today or timezone.localdate()):
        moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=_tz())
        then: dict[int, str] = {}
        first: dict[int, str] = {}
        # unscoped: the counted cases' recorded statuses (change history), numbers only
        for pk, value, at in (
            Case.history.filter(id__in=list(status))
            .order_by("id", "history_date", "history_id")
            .values_list("id", "status", "history_date")
        ):
            first.setdefault(pk, value)
            if at < moment:
                then[pk] = value
        status = {pk: then.get(pk, first.get(pk, now)) for pk, now in status.items()}
    counts = Counter(status.values())
    return [(label, counts.get(value, 0)) for value, label in CaseStatus.choices]


@dataclass
class Gaps:
    fields: list[str]
    areas: list[str]
    matrix: list[list[int]]  # fields × areas
    by_status: list[tuple[str, int]]
    total: int


def resource_gaps(year: Year) -> Gaps:
    """Resource gaps registered in the year, by 分野 and 地域 (the gap's area, or none)."""
    # unscoped: the register's numbers; a gap names no one
    gaps = ResourceGap.dangerously_unscoped.filter(
        municipality=year.municipality, created_at__gte=year.start, created_at__lt=year.end
    )
    pairs = Counter[tuple[str, int | None]](gaps.values_list("field", "area_id"))
    statuses = Counter(gaps.values_list("status", flat=True))
    areas = list(Area.objects.filter(municipality=year.municipality).order_by("sort_order", "code"))
    area_keys: list[int | None] = [a.pk for a in areas if any(k[1] == a.pk for k in pairs)]
    area_names = [a.name for a in areas if a.pk in area_keys]
    if any(k[1] is None for k in pairs):
        area_keys.append(None)
        area_names.append(NO_AREA)
    field_keys = [f for f in SupportField.values if any(k[0] == f for k in pairs)]
    return Gaps(
        fields=[SupportField(f).label for f in field_keys],
        areas=area_names,
        matrix=[[pairs[(f, a)] for a in area_keys] for f in field_keys],
        by_status=[(label, statuses.get(value, 0)) for value, label in ResourceGap.Status.choices],
        total=sum(pairs.values()),
    )


@dataclass
class Roadmap:
    plan: str
    fiscal_years: list[int]
    rows: list[tuple[str, list[str]]]  # program (項目) → the stage in each fiscal year, or ""

    @property
    def year_labels(self) -> list[str]:
        return [wareki_fiscal_year(y) for y in self.fiscal_years]


def plan_in_force(year: Year) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(
            municipality=year.municipality,
            start_fiscal_year__lte=year.fiscal_year,
            end_fiscal_year__gte=year.fiscal_year,
        )
        .order_by("-start_fiscal_year", "-pk")
        .first()
    )


def milestones(year: Year) -> Roadmap | None:
    """The roadmap of the plan version in force in the year: each program's stage per year."""
    plan = plan_in_force(year)
    if plan is None:
        return None
    first = plan.start_fiscal_year or year.fiscal_year
    fiscal_years = list(range(first, (plan.end_fiscal_year or first) + 1))
    stages: dict[str, dict[int, str]] = {}
    for milestone in Milestone.objects.filter(plan_version=plan).select_related("program"):
        label = milestone.program.name + (f"（{milestone.subject}）" if milestone.subject else "")
        stages.setdefault(label, {})[milestone.fiscal_year] = MilestoneStage(milestone.stage).label
    return Roadmap(
        plan=plan.name,
        fiscal_years=fiscal_years,
        rows=[(label, [s.get(y, "") for y in fiscal_years]) for label, s in stages.items()],
    )


# --- all of it, kept for a few minutes --------------------------------------------------------

# How long the dashboard's figures of a city's year are current (seconds); the page says when
# they were counted. Older figures are shown while the worker counts them again, and kept for
# the rest of the day (the figures are as of a day: the key names it).
FIGURES_TTL = 300
FIGURES_KEPT = 24 * 60 * 60


@dataclass
class Figures:
    """Every figure of the dashboard for one city, year and day, and when they were counted."""

    by_org: Monthly
    by_topic: Monthly
    compound: CoOccurrence
    flows: Flows
    statuses: list[tuple[str, int]]
    gaps: Gaps
    roadmap: Roadmap | None
    computed_at: dt.datetime

    def current(self, now: dt.datetime | None = None) -> bool:
        """Counted at most `FIGURES_TTL` seconds ago."""
        age = (now or timezone.now()) - self.computed_at
        return age <= dt.timedelta(seconds=FIGURES_TTL)


def _figures_key(year: Year, today: dt.date) -> str:
    return f"evaluation:dashboard:{year.municipality.pk}:{year.fiscal_year}:{today.isoformat()}"


def figures_kept(year: Year, *, today: dt.date) -> Figures | None:
    """The dashboard's figures as last counted today (`Figures.current` says whether they are
    still current), or None when they are not counted (`figures_count`). Kept in Django's cache
    (shared by every server process) under the city's id (no city is ever shown another's), the
    year and the day (open and overdue referrals are as of today)."""
    found = cache.get(_figures_key(year, today))
    return found if isinstance(found, Figures) else None


def figures_count(year: Year, *, today: dt.date) -> Figures:
    """Count the dashboard's figures now and keep them for the day."""
    counted = Figures(
        by_org=consultations_by_organization(year),
        by_topic=consultations_by_topic(year),
        compound=compound_issues(year),
        flows=referral_flows(year, today=today),
        statuses=cases_by_status(year, today=today),
        gaps=resource_gaps(year),
        roadmap=milestones(year),
        computed_at=timezone.now(),
    )
    cache.set(_figures_key(year, today), counted, FIGURES_KEPT)
    return counted
