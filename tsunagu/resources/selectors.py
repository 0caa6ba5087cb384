"""Reads of the community's resources: search (staff and public), the stale list for the yearly
加除, and the counts per fiscal year that the evaluation reports."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.core.history import FieldChange, HistoryEntry, changes
from tsunagu.organizations.models import Area, Municipality
from tsunagu.resources.models import (
    Activity,
    AttendanceCount,
    Category,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Matching,
    Provider,
    PublicInterestInitiative,
    ResourceLocation,
    Schedule,
)
from tsunagu.resources.recurrence import WEEKDAYS
from tsunagu.resources.search import query_terms

# an entry not verified for this long is listed for the yearly 加除
STALE_AFTER_DAYS = 365
# statuses a resident still sees (a resource on a break says so on its page)
PUBLIC_STATUSES = (CommunityResource.Status.ACTIVE, CommunityResource.Status.TEMPORARILY_CLOSED)


@dataclass(frozen=True)
class ResourceQuery:
    """What a search asks for; empty means any."""

    text: str = ""
    category: str = ""  # Category.code
    area: str = ""  # Area.code
    weekday: str = ""  # MO .. SU
    at: dt.time | None = None  # open at this time of day
    host_only: bool = False
    stale_only: bool = False


def _with_details(resources: QuerySet[CommunityResource]) -> QuerySet[CommunityResource]:
    return resources.select_related("provider", "municipality").prefetch_related(
        "categories",
        Prefetch(
            "resource_locations",
            queryset=ResourceLocation.objects.select_related("location", "location__area"),
        ),
        Prefetch("schedules", queryset=Schedule.objects.select_related("location")),
    )


def stale_before(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) - dt.timedelta(days=STALE_AFTER_DAYS)


def resource_search(
    *, resources: QuerySet[CommunityResource], query: ResourceQuery
) -> QuerySet[CommunityResource]:
    """Filter `resources` (already limited to what the reader may see) by the query.

    Days: a weekly or monthly schedule on that weekday (listed dates are not searched by day).
    """
    for term in query_terms(query.text):
        resources = resources.filter(search_text__contains=term)
    if query.category:
        resources = resources.filter(categories__code=query.category)
    if query.area:
        resources = resources.filter(resource_locations__location__area__code=query.area)
    if query.weekday in WEEKDAYS:
        resources = resources.filter(schedules__weekdays__contains=query.weekday)
    if query.at is not None:
        resources = resources.filter(
            Q(schedules__opens_at__lte=query.at, schedules__closes_at__gt=query.at)
        )
    if query.host_only:
        resources = resources.filter(is_host=True)
    if query.stale_only:
        resources = resources.filter(
            Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=stale_before())
        )
    return _with_details(resources.distinct()).order_by("name_kana", "name", "pk")


def public_resources(*, municipality: Municipality) -> QuerySet[CommunityResource]:
    """What residents see: published entries that are running or on a break."""
    return CommunityResource.objects.filter(
        municipality=municipality, is_public=True, status__in=PUBLIC_STATUSES
    )


def public_resource_get(
    *, municipality: Municipality, hsds_id: uuid.UUID
) -> CommunityResource | None:
    resource = (
        _with_details(public_resources(municipality=municipality))
        .prefetch_related("contacts")
        .filter(hsds_id=hsds_id)
        .first()
    )
    return resource


def public_activities_upcoming(
    *, municipality: Municipality, today: dt.date | None = None, limit: int = 10
) -> list[Activity]:
    """Public events from today on: only those marked public, and at a resource only when that
    resource is public too."""
    day = today or timezone.localdate()
    return list(
        Activity.objects.filter(municipality=municipality, is_public=True, held_on__gte=day)
        .filter(
            Q(resource__isnull=True)
            | Q(resource__is_public=True, resource__status__in=PUBLIC_STATUSES)
        )
        .select_related("resource")
        .order_by("held_on", "starts_at", "pk")[:limit]
    )


def categories_in_use(*, resources: QuerySet[CommunityResource]) -> list[Category]:
    return list(
        Category.objects.filter(resources__in=resources.values("pk"))
        .distinct()
        .order_by("sort_order", "code")
    )


def areas_of(*, municipality: Municipality) -> list[Area]:
    return list(Area.objects.filter(municipality=municipality).order_by("sort_order", "code"))


def resource_detail(*, resource: CommunityResource) -> CommunityResource:
    return (
        _with_details(CommunityResource.objects.filter(pk=resource.pk))
        .prefetch_related("contacts")
        .get()
    )


def resource_history(*, resource: CommunityResource) -> list[HistoryEntry]:
    """Every previous version of a resource, newest first (shown to its editors). Categories
    are named; a save that changed no field of its own (a schedule or contact added or
    removed) says so."""
    # unscoped: the history of structure data, read by those who may edit the resource
    entries = changes(resource.history.all())
    names = dict(Category.objects.values_list("pk", "name"))

    def named(value: object) -> str:
        if isinstance(value, list):
            return "、".join(
                names.get(int(v.get("category") or 0), "?") for v in value if isinstance(v, dict)
            )
        return str(value)

    out = []
    for entry in entries:
        fixed = [
            FieldChange(field=c.field, old=named(c.old), new=named(c.new))
            if isinstance(c.old, list) or isinstance(c.new, list)
            else c
            for c in entry.changes
        ]
        if not fixed and entry.kind == "変更":
            fixed = [FieldChange(field="開催日時・連絡先", old="", new="変更あり")]
        out.append(replace(entry, changes=fixed))
    return out


def providers_of(*, municipality: Municipality) -> QuerySet[Provider]:
    return (
        Provider.objects.filter(municipality=municipality)
        .select_related("organization")
        .annotate(resource_count=Count("resources"))
        .order_by("name_kana", "name")
    )


# --- counts per fiscal year, for the evaluation (issue 13) ----------------------------------


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int
    participants: int = 0


def _fy(municipality: Municipality, fiscal_year: int) -> tuple[dt.date, dt.date]:
    return fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)


def resource_counts_by_category(
    *, municipality: Municipality, fiscal_year: int, public_only: bool = False
) -> list[CountRow]:
    """Resources that existed at the end of the fiscal year (created by then, not defunct),
    per category: 集いの場 14→15か所 is the count of `tsudoi` at each year's end."""
    _, last = _fy(municipality, fiscal_year)
    resources = CommunityResource.objects.filter(
        municipality=municipality, created_at__date__lte=last
    ).exclude(status=CommunityResource.Status.DEFUNCT)
    if public_only:
        resources = resources.filter(is_public=True)
    rows = (
        Category.objects.filter(resources__in=resources.values("pk"))
        .annotate(n=Count("resources", filter=Q(resources__in=resources.values("pk"))))
        .order_by("sort_order")
    )
    return [CountRow(label=c.name, count=c.n) for c in rows]


def resource_counts_by_area(*, municipality: Municipality) -> list[CountRow]:
    rows = (
        CommunityResource.objects.filter(municipality=municipality)
        .exclude(status=CommunityResource.Status.DEFUNCT)
        .values("resource_locations__location__area__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("resource_locations__location__area__name")
    )
    return [
        CountRow(
            label=r["resource_locations__location__area__name"] or "場所を定めない", count=r["n"]
        )
        for r in rows
    ]


def activity_counts(*, municipality: Municipality, fiscal_year: int) -> list[CountRow]:
    """Per kind and title (生活支援サポーター養成講座 …): sessions held and participants (延べ)."""
    first, last = _fy(municipality, fiscal_year)
    rows = (
        Activity.objects.filter(municipality=municipality, held_on__range=(first, last))
        .values("kind", "title")
        .annotate(n=Count("pk"), people=Sum("participants"))
        .order_by("kind", "title")
    )
    kinds = dict(Activity.Kind.choices)
    return [
        CountRow(
            label=f"{kinds[r['kind']]}: {r['title']}", count=r["n"], participants=r["people"] or 0
        )
        for r in rows
    ]


def activity_kind_counts(*, municipality: Municipality, fiscal_year: int) -> dict[str, CountRow]:
    """Per kind only: the sessions and participants of all events, courses, trainings …"""
    first, last = _fy(municipality, fiscal_year)
    rows = (
        Activity.objects.filter(municipality=municipality, held_on__range=(first, last))
        .values("kind")
        .annotate(n=Count("pk"), people=Sum("participants"))
    )
    kinds = dict(Activity.Kind.choices)
    return {
        r["kind"]: CountRow(label=kinds[r["kind"]], count=r["n"], participants=r["people"] or 0)
        for r in rows
    }


def community_consultation_counts(
    *, municipality: Municipality, fiscal_year: int
) -> dict[str, int]:
    """地域づくり相談 per party: 市民130件・団体600件、企業相談70件."""
    first, last = _fy(municipality, fiscal_year)
    rows = (
        CommunityConsultation.objects.filter(
            municipality=municipality, received_on__range=(first, last)
        )
        .values("party")
        .annotate(n=Count("pk"))
    )
    return {r["party"]: r["n"] for r in rows}


@dataclass(frozen=True)
class MatchingCount:
    new: int
    total: int


def matching_counts(*, municipality: Municipality, fiscal_year: int) -> dict[str, MatchingCount]:
    """マッチング per party that came about (成立): 新規 and 延べ (企業マッチング 新規5・延10)."""
    first, last = _fy(municipality, fiscal_year)
    rows = (
        Matching.objects.filter(
            municipality=municipality,
            matched_on__range=(first, last),
            status=Matching.Status.MATCHED,
        )
        .values("party")
        .annotate(total=Count("pk"), new=Count("pk", filter=Q(is_new=True)))
    )
    return {r["party"]: MatchingCount(new=r["new"], total=r["total"]) for r in rows}


@dataclass(frozen=True)
class AttendanceTotal:
    resource: str
    visits: int
    unique_visitors: int | None


def attendance_totals(*, municipality: Municipality, fiscal_year: int) -> list[AttendanceTotal]:
    """来所者 per resource over the fiscal year: 延べ summed; 実人数 only when the year has one
    count covering it (実人数 of months cannot be added up)."""
    first, last = _fy(municipality, fiscal_year)
    counts = AttendanceCount.objects.filter(
        resource__municipality=municipality, period_start__gte=first, period_end__lte=last
    ).select_related("resource")
    totals: dict[int, tuple[str, int, list[AttendanceCount]]] = {}
    for c in counts:
        name, visits, rows = totals.get(c.resource_id, (c.resource.name, 0, []))
        totals[c.resource_id] = (name, visits + c.visits, [*rows, c])
    out = []
    for name, visits, rows in totals.values():
        whole_year = [r for r in rows if r.period_start == first and r.period_end == last]
        unique = whole_year[0].unique_visitors if whole_year else None
        out.append(AttendanceTotal(resource=name, visits=visits, unique_visitors=unique))
    return sorted(out, key=lambda t: t.resource)


@dataclass(frozen=True)
class RosterCount:
    kind: str
    label: str
    active: int
    trained: int  # of the active, those who attended a course in the fiscal year


def roster_counts(*, municipality: Municipality, fiscal_year: int) -> list[RosterCount]:
    """Roster sizes per kind of 担い手 (民生委員協力員, 生活支援サポーター …): those active at
    some time in the fiscal year, and of them those who attended a training in it."""
    first, last = _fy(municipality, fiscal_year)
    # unscoped: counts per kind for the city's evaluation; no roster row leaves this function
    active = CommunityWorker.dangerously_unscoped.filter(municipality=municipality).filter(
        Q(started_on__isnull=True) | Q(started_on__lte=last),
        Q(ended_on__isnull=True) | Q(ended_on__gte=first),
    )
    rows = {
        r["kind"]: r
        for r in active.values("kind").annotate(
            n=Count("pk", distinct=True),
            trained=Count("pk", distinct=True, filter=Q(trainings__held_on__range=(first, last))),
        )
    }
    return [
        RosterCount(
            kind=code,
            label=label,
            active=rows[code]["n"] if code in rows else 0,
            trained=rows[code]["trained"] if code in rows else 0,
        )
        for code, label in CommunityWorker.Kind.choices
    ]


def roster_by_area(*, workers: QuerySet[CommunityWorker], kind: str) -> list[CountRow]:
    """民生委員協力員 per 地区 (伊勢市: 12地区): the current ones."""
    rows = (
        workers.filter(kind=kind, ended_on__isnull=True)
        .values("area__name")
        .annotate(n=Count("pk"))
        .order_by("area__name")
    )
    return [CountRow(label=r["area__name"] or "地区の指定なし", count=r["n"]) for r in rows]


def record_history(*, record: Any) -> list[HistoryEntry]:
    """The previous versions of a 地域づくり record (相談, マッチング, 来所者数, 担い手), newest
    first, shown to those who may edit it."""
    # unscoped: the history of a record the caller may edit (checked by the view's access)
    return changes(record.history.all())


@dataclass(frozen=True)
class PublicInterestCount:
    corporations: int  # 公益的取組3法人: the corporations with an initiative in the year
    initiatives: int
    participants: int


def public_interest_counts(*, municipality: Municipality, fiscal_year: int) -> PublicInterestCount:
    """社会福祉法人の公益的な取組 under way in the fiscal year (begun by its end, not ended before
    its start): how many corporations, how many initiatives, and their participants."""
    first, last = _fy(municipality, fiscal_year)
    rows = PublicInterestInitiative.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=first),
        municipality=municipality,
        started_on__lte=last,
    )
    totals = rows.aggregate(
        corporations=Count("corporation", distinct=True),
        initiatives=Count("pk"),
        participants=Sum("participants"),
    )
    return PublicInterestCount(
        corporations=totals["corporations"],
        initiatives=totals["initiatives"],
        participants=totals["participants"] or 0,
    )
