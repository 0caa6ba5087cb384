"""Reads of consultations. What a page or endpoint shows is logged here, one row per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Value
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.access import ConsultationAccess, consultations_shown
from tsunagu.consultations.models import Consultation
from tsunagu.core.fiscal import fiscal_year_bounds, fiscal_year_span
from tsunagu.core.history import HistoryEntry, changes
from tsunagu.core.paging import KeysetPage, cursor_page, keyset_page
from tsunagu.organizations.models import Municipality, Organization, Site
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
        # one row per consultation and topic (a unique pair): the join repeats no consultation
        qs = qs.filter(topics__topic=topic)
    if channel:
        qs = qs.filter(channel=channel)
    if response:
        qs = qs.filter(response=response)
    if is_new is not None:
        qs = qs.filter(is_new=is_new)
    # local days as a range of instants, so the (organization, received_at) index serves them
    if date_from:
        qs = qs.filter(received_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(received_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return (
        qs.select_related("person", "received_by")
        .prefetch_related("topics")
        .order_by("-received_at", "-pk")
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _next_month(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s."""
    return dt.date(day.year + (day.month // 12), day.month % 12 + 1, 1)


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
    days = []
    day = first
    while day <= last:
        days.append(day)
        day = _next_month(day)
    # One count per month, each over its range of instants (local midnights), all in one
    # statement (UNION ALL): each range is read from the (organization, received_at) index
    # alone, and no row's time is converted to find its month (a `date_trunc` of every row of
    # the year, grouped, cost several times more on a busy window).
    # unscoped: numbers only, of one organization's own consultations
    own = Consultation.dangerously_unscoped.filter(organization=organization)
    per_month = [
        own.filter(received_at__gte=_day_start(d), received_at__lt=_day_start(_next_month(d)))
        .annotate(month=Value(i))
        .values("month")
        .annotate(total=Count("*"), new=Count("is_new", filter=Q(is_new=True)))
        .order_by()
        for i, d in enumerate(days)
    ]
    by_month = {r["month"]: r for r in per_month[0].union(*per_month[1:], all=True).order_by()}
    months = [
        MonthCount(month=d, new=by_month[i]["new"], total=by_month[i]["total"])
        for i, d in enumerate(days)
    ]
    return YearCounts(
        fiscal_year=fiscal_year,
        months=months,
        new=sum(m.new for m in months),
        total=sum(m.total for m in months),
    )


def consultation_page_for(
    *,
    user: User,
    consultations: QuerySet[Consultation],
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage[Consultation]:
    """One page of a list of consultations, newest first, after (or before) a cursor of
    `core.paging` (the list is not counted); logged (one row per person, naming the
    consultations of that person on the page)."""
    shown = keyset_page(
        consultations, order=("received_at", "pk"), size=PAGE_SIZE, after=after, before=before
    )
    consultations_shown(
        user=user,
        consultations=shown.object_list,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
    )
    return shown


def visible_consultation_page_for(
    *, user: User, cursor: str | None, size: int, channel: AccessLog.Channel
) -> KeysetPage[Consultation]:
    """A page of the consultations whose content the user may read (own, or shared with
    content), newest first, after `cursor` (`core.paging.cursor_page`; not counted), logged one
    row per person."""
    # the person by id only (the answer and the log name no more of them)
    consultations = (
        Consultation.objects.visible_to(user)
        .select_related("organization")
        .prefetch_related("topics")
    )
    shown = cursor_page(
        consultations,
        order=("received_at", "pk"),
        size=size,
        cursor=cursor,
        # own and shared found apart, each by its own index (`visibility_parts`)
        parts=Consultation.objects.visible_parts_to(user),
    )
    consultations_shown(
        user=user, consultations=shown.object_list, action=AccessLog.Action.LIST, channel=channel
    )
    return shown


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


@dataclass(frozen=True)
class SiteCount:
    organization: Organization
    new: int
    total: int


@dataclass(frozen=True)
class BranchCount:
    """Counts taken at one site (拠点・出張所) of a centre, out of that centre's counts."""

    site: Site
    new: int
    total: int


@dataclass(frozen=True)
class LineCounts:
    """A plan line's consultation counts: per centre and rolled up (「6箇所合計」), and per
    site where a centre takes consultations at several."""

    line: Organization
    fiscal_year: int
    sites: list[SiteCount]
    branches: list[BranchCount]
    new: int
    total: int


def consultation_counts_by_site(*, line: Organization, fiscal_year: int) -> LineCounts:
    """新規・延べ件数 of a fiscal year for each centre grouped under a plan line (and the line
    itself), their sum, and each site's share. Numbers only: no person or consultation is
    read. A fixed number of queries (centres, counts, sites)."""
    centres = [
        line,
        *Organization.objects.filter(group=line, is_active=True).order_by("sort_order", "code"),
    ]
    counts = SiteCounts.of(
        organizations=centres, fiscal_year=fiscal_year, municipality=line.municipality
    )
    return counts.line(line)


@dataclass(frozen=True)
class SiteCounts:
    """新規・延べ件数 of a fiscal year per organization and site, counted in one grouped query,
    from which any plan line's `LineCounts` is built without another query."""

    fiscal_year: int
    organizations: list[Organization]  # sort order
    by_organization: dict[int, dict[str, int]]
    by_site: dict[int, dict[str, int]]
    sites: list[Site]  # the active sites of the organizations, in display order

    @classmethod
    def of(
        cls, *, organizations: list[Organization], fiscal_year: int, municipality: Municipality
    ) -> SiteCounts:
        start, end = fiscal_year_span(fiscal_year, start_month=municipality.fiscal_year_start_month)
        by_organization: dict[int, dict[str, int]] = {}
        by_site: dict[int, dict[str, int]] = {}
        for r in (  # unscoped: numbers only, no record is read
            Consultation.dangerously_unscoped.filter(
                # the organizations' ids and a range of instants: the (organization,
                # received_at) index serves it
                organization_id__in=[o.pk for o in organizations],
                received_at__gte=start,
                received_at__lt=end,
            )
            .values("organization", "site")
            # not a count of the id: it is not in the index, and PostgreSQL can count
            # from the index alone
            .annotate(total=Count("*"), new=Count("is_new", filter=Q(is_new=True)))
            .order_by()
        ):
            row = by_organization.setdefault(r["organization"], {"new": 0, "total": 0})
            row["new"] += r["new"]
            row["total"] += r["total"]
            if r["site"] is not None:
                by_site[r["site"]] = {"new": r["new"], "total": r["total"]}
        sites = list(
            Site.objects.filter(organization__in=organizations, is_active=True)
            .select_related("organization")
            .order_by("organization__sort_order", "sort_order", "code")
        )
        return cls(
            fiscal_year=fiscal_year,
            organizations=organizations,
            by_organization=by_organization,
            by_site=by_site,
            sites=sites,
        )

    def line(self, line: Organization) -> LineCounts:
        """The line and the active centres grouped under it (all among `organizations`)."""
        centres = [
            line,
            *(o for o in self.organizations if o.group_id == line.pk and o.is_active),
        ]
        ids = {o.pk for o in centres}
        branches = [
            BranchCount(
                site=site,
                new=self.by_site.get(site.pk, {"new": 0})["new"],
                total=self.by_site.get(site.pk, {"total": 0})["total"],
            )
            for site in self.sites
            if site.organization_id in ids
        ]
        sites = [
            SiteCount(
                organization=o,
                new=self.by_organization.get(o.pk, {"new": 0})["new"],
                total=self.by_organization.get(o.pk, {"total": 0})["total"],
            )
            for o in centres
        ]
        return LineCounts(
            line=line,
            fiscal_year=self.fiscal_year,
            sites=sites,
            branches=branches,
            new=sum(s.new for s in sites),
            total=sum(s.total for s in sites),
        )
