"""Reads of consultations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from tsunagu.consultations.models import Consultation
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.organizations.models import Organization


def organization_consultations(
    *,
    organization: Organization,
    topic: str = "",
    channel: str = "",
    response: str = "",
    is_new: bool | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Consultation]:
    """An organization's own consultations, filtered, newest first."""
    qs = Consultation.objects.filter(organization=organization)
    if topic:
        qs = qs.filter(topics__topic=topic)
    if channel:
        qs = qs.filter(channel=channel)
    if response:
        qs = qs.filter(response=response)
    if is_new is not None:
        qs = qs.filter(is_new=is_new)
    if date_from:
        qs = qs.filter(received_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(received_at__date__lte=date_to)
    return (
        qs.distinct()
        .select_related("person", "received_by")
        .prefetch_related("topics")
        .order_by("-received_at", "-pk")
    )


@dataclass(frozen=True)
class MonthCount:
    month: dt.date
    new: int
    total: int


@dataclass(frozen=True)
class YearCounts:
    fiscal_year: int
    months: list[MonthCount]
    new: int
    total: int


def consultation_counts(*, organization: Organization, fiscal_year: int) -> YearCounts:
    """新規件数 and 延べ件数 per month of a fiscal year, and for the year."""
    first, last = fiscal_year_bounds(
        fiscal_year, start_month=organization.municipality.fiscal_year_start_month
    )
    rows = (
        Consultation.objects.filter(
            organization=organization, received_at__date__gte=first, received_at__date__lte=last
        )
        .annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(total=Count("pk"), new=Count("pk", filter=Q(is_new=True)))
    )
    by_month = {
        r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]: r for r in rows
    }
    months = []
    day = first
    while day <= last:
        r = by_month.get(day, {"new": 0, "total": 0})
        months.append(MonthCount(month=day, new=r["new"], total=r["total"]))
        day = dt.date(day.year + (day.month // 12), day.month % 12 + 1, 1)
    return YearCounts(
        fiscal_year=fiscal_year,
        months=months,
        new=sum(m.new for m in months),
        total=sum(m.total for m in months),
    )


@dataclass(frozen=True)
class SiteCount:
    organization: Organization
    new: int
    total: int


@dataclass(frozen=True)
class LineCounts:
    """A plan line's consultation counts: per centre and rolled up (「6箇所合計」)."""

    line: Organization
    fiscal_year: int
    sites: list[SiteCount]
    new: int
    total: int


def consultation_counts_by_site(*, line: Organization, fiscal_year: int) -> LineCounts:
    """新規・延べ件数 of a fiscal year for each centre grouped under a plan line (and the line
    itself), and their sum. Numbers only: no person or consultation is read. One query for the
    centres, one for the counts."""
    first, last = fiscal_year_bounds(
        fiscal_year, start_month=line.municipality.fiscal_year_start_month
    )
    centres = [line, *Organization.objects.filter(group=line).order_by("sort_order", "code")]
    rows: dict[int, dict[str, int]] = {
        r["organization"]: {"new": r["new"], "total": r["total"]}
        for r in Consultation.objects.filter(
            organization__in=centres,
            received_at__date__gte=first,
            received_at__date__lte=last,
        )
        .values("organization")
        .annotate(total=Count("pk"), new=Count("pk", filter=Q(is_new=True)))
    }
    sites = [
        SiteCount(
            organization=o,
            new=rows.get(o.pk, {"new": 0})["new"],
            total=rows.get(o.pk, {"total": 0})["total"],
        )
        for o in centres
    ]
    return LineCounts(
        line=line,
        fiscal_year=fiscal_year,
        sites=sites,
        new=sum(s.new for s in sites),
        total=sum(s.total for s in sites),
    )
