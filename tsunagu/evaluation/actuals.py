"""A fiscal year's indicators with their targets, actuals and 達成率: what the fiscal-year view
shows and the annual report prints.

The actual of an indicator for a year comes from, in order:
- bound to a computation (`computed:` in the plan file): the actual the plan file records for
  that year (`recorded`: years before the system, 見込), else the computation over the records
  (`computed`; not for years that have not begun);
- not bound (`manual: true`, or nothing): what a manager entered (`manual`), else the actual the
  plan file records (`recorded`).
Targets come from the plan version in force that year, else from any version that set one
(newest first), so earlier years sit beside the current one across plan versions.

The computed actuals of a city's year are counts over every record of the year (on a city of
a million residents, hundreds of thousands of rows a year, five years a page): the pages
(`cached=True`) keep them for `ACTUALS_TTL` seconds in Django's cache under the city's id and
the year, and show when they were counted (「集計時点」, `IndicatorRow.computed_at`). Targets,
manual actuals and the plan's recorded actuals are read afresh every time, so an entry shows
at once. The annual report counts afresh.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from tsunagu.cityplan.models import VERSION_ORDER, Indicator, IndicatorValue, PlanVersion
from tsunagu.core.fiscal import fiscal_year_of, wareki_fiscal_year
from tsunagu.evaluation.computations import REGISTRY, Context, UnknownFilter, compute
from tsunagu.evaluation.models import ManualActual
from tsunagu.organizations.models import Municipality

# How many earlier years are shown beside the year (射水市 prints three columns).
HISTORY_YEARS = 4

# How long the pages keep a city's computed actuals of a year (seconds): the figures can lag
# the records by this much, and the page says when they were counted.
ACTUALS_TTL = 300

SOURCE_LABELS = {"computed": "記録から計算", "manual": "手入力", "recorded": "計画書の記載"}

type Pair = tuple[Decimal | None, Decimal | None]


class NoPlanVersion(Exception):
    """No version of the city's plan covers the fiscal year."""

    def __init__(self, *, municipality: Municipality, fiscal_year: int) -> None:
        self.fiscal_year = fiscal_year
        super().__init__(
            f"{wareki_fiscal_year(fiscal_year)}の実施計画が{municipality.name}にはありません"
            "（計画期間にこの年度を含む版が読み込まれていません）"
        )


@dataclass(frozen=True)
class IndicatorRow:
    program: str
    program_code: str
    organization: str
    indicator: str
    code: str
    fiscal_year: int
    target: Decimal | None
    actual: Decimal | None
    unit: str
    rate: Decimal | None  # 達成率, % of the target (one decimal)
    source: str  # "computed" | "manual" | "recorded"
    note: str
    previous_years: dict[int, Pair] = field(default_factory=dict)  # earlier years, oldest first
    indicator_id: int = 0
    computation: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    actual_note: str = ""  # 見込, who entered a manual actual and when, or why none
    entered_by: str = ""
    entered_at: dt.datetime | None = None
    # when the oldest computed actual of the row (the year's or an earlier year's) was counted
    computed_at: dt.datetime | None = None

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, "")

    @property
    def fiscal_year_label(self) -> str:
        return wareki_fiscal_year(self.fiscal_year)


def plan_version_for(*, municipality: Municipality, fiscal_year: int) -> PlanVersion | None:
    """The version in force in the year: the newest whose period covers it; for a city whose
    documents state no period (三田市), the newest such document with figures for the year."""
    versions = PlanVersion.objects.filter(municipality=municipality).order_by(*VERSION_ORDER)
    covering = versions.filter(
        start_fiscal_year__lte=fiscal_year, end_fiscal_year__gte=fiscal_year
    ).first()
    if covering is not None:
        return covering
    return (
        versions.filter(start_fiscal_year__isnull=True, indicators__values__fiscal_year=fiscal_year)
        .distinct()
        .first()
    )


def rate_of(target: Decimal | None, actual: Decimal | None) -> Decimal | None:
    """達成率: the actual as a percentage of the target, one decimal; none without a target."""
    if target is None or actual is None or target <= 0:
        return None
    return (actual * 100 / target).quantize(Decimal("0.1"))


type ComputedKey = tuple[str, tuple[tuple[str, str], ...]]  # computation, sorted filters


@dataclass
class _Counted:
    """A year's computed actuals as counted at `at` (what the cache keeps)."""

    at: dt.datetime
    values: dict[ComputedKey, Decimal]


def _cache_key(municipality: Municipality, year: int) -> str:
    # the city's id is in every key: no city is ever shown another city's figures
    return f"evaluation:actuals:{municipality.pk}:{year}"


class _Resolver:
    """Targets and actuals of a city's indicators by code, across all its plan versions."""

    def __init__(self, *, municipality: Municipality, current_year: int, cached: bool) -> None:
        self.municipality = municipality
        self.current_year = current_year
        self.cached = cached
        self.counted: dict[int, _Counted] = {}
        self.changed: set[int] = set()
        order = {
            pk: i
            for i, pk in enumerate(
                PlanVersion.objects.filter(municipality=municipality)
                .order_by(*VERSION_ORDER)
                .values_list("pk", flat=True)
            )
        }
        # (code, kind, year) → [(version rank, value, note)], newest version first
        self.values: dict[tuple[str, str, int], list[tuple[int, Decimal, str]]] = defaultdict(list)
        for v in IndicatorValue.objects.filter(indicator__municipality=municipality).values(
            "indicator__code", "indicator__plan_version_id", "kind", "fiscal_year", "value", "note"
        ):
            key = (v["indicator__code"], v["kind"], v["fiscal_year"])
            rank = order.get(v["indicator__plan_version_id"], len(order))
            self.values[key].append((rank, v["value"], v["note"]))
        for rows in self.values.values():
            rows.sort(key=lambda r: r[0])
        self.manual = {
            (m.indicator_code, m.fiscal_year): m
            for m in ManualActual.objects.filter(municipality=municipality).select_related(
                "entered_by"
            )
        }
        self.contexts: dict[int, Context] = {}

    def years_of(self, code: str) -> set[int]:
        years = {y for (c, _, y) in self.values if c == code}
        return years | {y for (c, y) in self.manual if c == code}

    def _value(
        self, code: str, kind: str, year: int, version_rank: int | None = None
    ) -> tuple[Decimal, str] | None:
        rows = self.values.get((code, kind, year))
        if not rows:
            return None
        if version_rank is not None:
            for rank, value, note in rows:
                if rank == version_rank:
                    return value, note
        return rows[0][1], rows[0][2]

    def target(self, code: str, year: int) -> Decimal | None:
        found = self._value(code, IndicatorValue.Kind.TARGET, year)
        return found[0] if found else None

    def _counted(self, year: int) -> _Counted:
        if year not in self.counted:
            found = cache.get(_cache_key(self.municipality, year)) if self.cached else None
            self.counted[year] = (
                found if isinstance(found, _Counted) else _Counted(at=timezone.now(), values={})
            )
        return self.counted[year]

    def computed(self, indicator: Indicator, year: int) -> tuple[Decimal, dt.datetime]:
        """The computation's value for the year and when it was counted (cached or counted
        now). Raises UnknownFilter."""
        counted = self._counted(year)
        key: ComputedKey = (indicator.computation, tuple(sorted(indicator.filters.items())))
        if key not in counted.values:
            context = self.contexts.get(year)
            if context is None:
                context = Context(municipality=self.municipality, fiscal_year=year)
                self.contexts[year] = context
            counted.values[key] = compute(
                name=indicator.computation, filters=dict(indicator.filters), context=context
            )
            self.changed.add(year)
        return counted.values[key], counted.at

    def save(self) -> None:
        """Keep what was counted for the next page (cached pages only)."""
        if not self.cached:
            return
        now = timezone.now()
        for year in self.changed:
            counted = self.counted[year]
            # an entry found in the cache and added to expires when it would have
            age = int((now - counted.at).total_seconds())
            if age < ACTUALS_TTL:
                cache.set(_cache_key(self.municipality, year), counted, ACTUALS_TTL - age)

    def actual(
        self, indicator: Indicator, year: int
    ) -> tuple[Decimal | None, str, str, object, dt.datetime | None]:
        """(value, source, note, manual entry or None, when a computed value was counted)."""
        recorded = self._value(indicator.code, IndicatorValue.Kind.ACTUAL, year)
        if indicator.computation and indicator.computation in REGISTRY:
            if recorded is not None:
                return recorded[0], "recorded", recorded[1], None, None
            if year > self.current_year:
                return None, "computed", "", None, None
            try:
                value, at = self.computed(indicator, year)
            except UnknownFilter as exc:
                return None, "computed", f"計算できません: {exc}", None, None
            return value, "computed", "", None, at
        entry = self.manual.get((indicator.code, year))
        if entry is not None:
            return entry.value, "manual", entry.note, entry, None
        if recorded is not None:
            return recorded[0], "recorded", recorded[1], None, None
        return None, "manual", "", None, None


def fiscal_year_rows(
    *, municipality: Municipality, fiscal_year: int, cached: bool = False
) -> list[IndicatorRow]:
    """Every indicator of the plan version in force in the fiscal year, in the plan's order,
    with its target, actual, 達成率 and the earlier years. Raises `NoPlanVersion` when no
    version covers the year. A year with no records gives zeros for computed indicators.
    `cached`: computed actuals counted up to `ACTUALS_TTL` seconds ago may be used (pages);
    without it everything is counted now (the report, tests)."""
    version = plan_version_for(municipality=municipality, fiscal_year=fiscal_year)
    if version is None:
        raise NoPlanVersion(municipality=municipality, fiscal_year=fiscal_year)
    resolver = _Resolver(
        municipality=municipality,
        current_year=fiscal_year_of(
            timezone.localdate(), start_month=municipality.fiscal_year_start_month
        ),
        cached=cached,
    )
    indicators = (
        Indicator.objects.filter(plan_version=version)
        .select_related("program", "organization")
        .order_by("sort_order", "code")
    )
    period = set(version.fiscal_years())
    rows = []
    for ind in indicators:
        earlier = sorted(y for y in (resolver.years_of(ind.code) | period) if y < fiscal_year)[
            -HISTORY_YEARS:
        ]
        history: dict[int, Pair] = {}
        counted_at: list[dt.datetime] = []
        for year in earlier:
            value, *_, at = resolver.actual(ind, year)
            history[year] = (resolver.target(ind.code, year), value)
            counted_at += [at] if at else []
        target = resolver.target(ind.code, fiscal_year)
        actual, source, note, entry, computed_at = resolver.actual(ind, fiscal_year)
        counted_at += [computed_at] if computed_at else []
        rows.append(
            IndicatorRow(
                program=ind.program.name if ind.program else "",
                program_code=ind.program.code if ind.program else "",
                organization=ind.organization.name if ind.organization else "",
                indicator=ind.name,
                code=ind.code,
                fiscal_year=fiscal_year,
                target=target,
                actual=actual,
                unit=ind.unit,
                rate=rate_of(target, actual),
                source=source,
                note=ind.note,
                previous_years=history,
                indicator_id=ind.pk,
                computation=ind.computation,
                filters=tuple(sorted(ind.filters.items())),
                actual_note=note,
                entered_by=(
                    entry.entered_by.get_full_name() or entry.entered_by.username
                    if isinstance(entry, ManualActual)
                    else ""
                ),
                entered_at=entry.entered_at if isinstance(entry, ManualActual) else None,
                computed_at=min(counted_at, default=None),
            )
        )
    resolver.save()
    return rows
