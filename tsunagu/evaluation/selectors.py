"""Reads of the evaluation: the fiscal-year table and one indicator with the records behind
its number. Records are read only through their app's scoped queryset and logged there;
what the user may not see is a count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.cityplan.models import Indicator, PlanVersion
from tsunagu.consultations.access import consultations_shown
from tsunagu.consultations.models import Consultation
from tsunagu.evaluation.actuals import (
    IndicatorRow,
    NoPlanVersion,
    Pair,
    fiscal_year_rows,
    plan_version_for,
)
from tsunagu.evaluation.computations import (
    Context,
    consultations_behind,
    referrals_answered_in,
    referrals_made_in,
)
from tsunagu.organizations.models import Municipality
from tsunagu.referrals.models import Referral
from tsunagu.referrals.selectors import ReferralView, referrals_shown

PAGE_SIZE = 50

# The computations whose number is a list of records the drill-down can open.
CONSULTATION_DRILLS = {"consultations-new": True, "consultations-total": False}
REFERRAL_DRILLS = {
    "referrals-made": "",
    "referrals-accepted": Referral.Status.ACCEPTED,
    "referrals-completed": Referral.Status.COMPLETED,
    "referrals-declined": Referral.Status.DECLINED,
}


@dataclass
class Drilldown:
    """The records behind a computed number, as far as the user may see them."""

    kind: str  # "consultations" | "referrals" | "" (counts only)
    total: int = 0
    visible: int = 0
    page: Page[Any] | None = None
    referrals: list[ReferralView] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return max(self.total - self.visible, 0)


@dataclass(frozen=True)
class YearTable:
    version: PlanVersion
    years: list[int]  # the earlier years shown beside the year
    rows: list[tuple[IndicatorRow, list[Pair]]]  # each row with its earlier years' figures
    computed_at: dt.datetime | None = None  # 集計時点: when the oldest computed actual was counted


def fiscal_year_table(*, municipality: Municipality, fiscal_year: int) -> YearTable:
    """The year's rows with the earlier years as columns (射水市's 5年度・6年度・7年度); the
    computed actuals as counted up to `ACTUALS_TTL` seconds ago."""
    rows = fiscal_year_rows(municipality=municipality, fiscal_year=fiscal_year, cached=True)
    version = plan_version_for(municipality=municipality, fiscal_year=fiscal_year)
    if version is None:  # fiscal_year_rows raised already; keeps the type narrow
        raise NoPlanVersion(municipality=municipality, fiscal_year=fiscal_year)
    earlier = [r.previous_years for r in rows]
    years = sorted({y for h in earlier for y in h})
    return YearTable(
        version=version,
        years=years,
        rows=[
            (r, [h.get(y, (None, None)) for y in years]) for r, h in zip(rows, earlier, strict=True)
        ],
        computed_at=min((r.computed_at for r in rows if r.computed_at), default=None),
    )


def indicator_row(
    *, municipality: Municipality, fiscal_year: int, indicator_id: int
) -> IndicatorRow:
    """One indicator of the year's table; 404 when it is not the city's indicator in force."""
    for row in fiscal_year_rows(municipality=municipality, fiscal_year=fiscal_year, cached=True):
        if row.indicator_id == indicator_id:
            return row
    raise Http404


def indicator_of(*, municipality: Municipality, indicator_id: int) -> Indicator:
    indicator = Indicator.objects.filter(municipality=municipality, pk=indicator_id).first()
    if indicator is None:
        raise Http404
    return indicator


def drilldown_for(
    *, user: User, municipality: Municipality, row: IndicatorRow, page: str | int | None
) -> Drilldown:
    """The records behind a computed number: those the user may see (a page, logged as a list
    through the app's door) and how many others there are (a count)."""
    if row.source != "computed" or not (
        row.computation in CONSULTATION_DRILLS or row.computation in REFERRAL_DRILLS
    ):
        return Drilldown(kind="")
    context = Context(municipality=municipality, fiscal_year=row.fiscal_year)
    filters = dict(row.filters)
    if row.computation in CONSULTATION_DRILLS:
        behind = consultations_behind(
            context, filters, new_only=CONSULTATION_DRILLS[row.computation]
        )
        visible = (
            Consultation.objects.visible_to(user)
            .filter(pk__in=behind.values("pk"))
            .select_related("organization", "person")
            .prefetch_related("topics")
            .order_by("-received_at", "-pk")
        )
        shown = Paginator(visible, PAGE_SIZE).get_page(page)
        consultations_shown(
            user=user,
            consultations=list(shown.object_list),
            action=AccessLog.Action.LIST,
            channel=AccessLog.Channel.WEB,
        )
        return Drilldown(
            kind="consultations", total=behind.count(), visible=shown.paginator.count, page=shown
        )
    status = REFERRAL_DRILLS[row.computation]
    behind_referrals = (
        referrals_answered_in(context, filters, status)
        if status
        else referrals_made_in(context, filters)
    )
    visible_referrals = (
        Referral.objects.visible_to(user)
        .filter(pk__in=behind_referrals.values("pk"))
        .select_related("from_organization", "to_organization", "person", "consultation")
        .order_by("-created_at", "-pk")
    )
    shown_referrals = Paginator(visible_referrals, PAGE_SIZE).get_page(page)
    views = referrals_shown(
        user=user,
        referrals=list(shown_referrals.object_list),
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
    )
    return Drilldown(
        kind="referrals",
        total=behind_referrals.count(),
        visible=shown_referrals.paginator.count,
        page=shown_referrals,
        referrals=views,
    )
