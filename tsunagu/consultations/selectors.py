"""Reads of consultations. What a page or endpoint shows is logged here, one row per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.access import ConsultationAccess, consultations_shown
from tsunagu.consultations.models import Consultation
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.core.history import HistoryEntry, changes
from tsunagu.organizations.models import Organization
from tsunagu.people.access import PersonAccess

PAGE_SIZE = 50


def own_consultations(
    *,
    user: User,
    topic: str = "",
    channel: str = "",
    response: str = "",
    is_new: bool | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Consultation]:
    """The consultations the user's organization took, filtered, newest first."""
    qs = Consultation.objects.held_by(user)
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
    rows = (  # unscoped: numbers only, of one organization's own consultations
        Consultation.dangerously_unscoped.filter(
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


def consultation_page_for(
    *, user: User, consultations: QuerySet[Consultation], page: str | int | None
) -> Page[Consultation]:
    """One page of a list of consultations, logged (one row per person, naming the
    consultations of that person on the page)."""
    shown = Paginator(consultations, PAGE_SIZE).get_page(page)
    consultations_shown(
        user=user,
        consultations=shown.object_list,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
    )
    return shown


@dataclass(frozen=True)
class ConsultationSlice:
    count: int
    consultations: list[Consultation]


def visible_consultations_for(
    *, user: User, start: int, size: int, channel: AccessLog.Channel
) -> ConsultationSlice:
    """Consultations whose content the user may read (own, or shared with content), newest
    first, logged one row per person."""
    consultations = Consultation.objects.visible_to(user)
    shown = list(
        consultations.select_related("organization", "person")
        .prefetch_related("topics")
        .order_by("-received_at", "-pk")[start : start + size]
    )
    consultations_shown(
        user=user, consultations=shown, action=AccessLog.Action.LIST, channel=channel
    )
    return ConsultationSlice(count=consultations.count(), consultations=shown)


def person_consultations_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's 相談 section: the person's consultations whose content the user may
    read, logged."""
    consultations = list(
        Consultation.objects.visible_to(user)
        .filter(person=access.person)
        .select_related("organization", "received_by", "person")
        .order_by("-received_at", "-pk")
    )
    consultations_shown(
        user=user,
        consultations=consultations,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
    )
    return {"consultations": consultations}


def consultation_history(*, access: ConsultationAccess) -> list[HistoryEntry]:
    """A consultation's change history, for the window that took it only."""
    if not access.own:
        return []
    # unscoped: the historical rows of one consultation the user's organization holds
    return changes(access.consultation.history)
