"""A stand-in for `evaluation.actuals.fiscal_year_rows` (evalcore's), with the same signature,
so the annual report can be built before the computed actuals land. It reads the plan's
recorded targets and actuals (`IndicatorValue`); an actual not recorded counts as zero.
Delete this module when `actuals.py` is merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tsunagu.cityplan.models import Indicator, IndicatorValue, PlanVersion
from tsunagu.organizations.models import Municipality


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
    rate: Decimal | None
    source: str
    note: str
    history: dict[int, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)


def fiscal_year_rows(*, municipality: Municipality, fiscal_year: int) -> list[IndicatorRow]:
    version = (
        PlanVersion.objects.filter(
            municipality=municipality,
            start_fiscal_year__lte=fiscal_year,
            end_fiscal_year__gte=fiscal_year,
        )
        .order_by("-start_fiscal_year", "-pk")
        .first()
    )
    if version is None:
        return []
    indicators = list(
        Indicator.objects.filter(plan_version=version)
        .select_related("program", "organization")
        .order_by("sort_order", "code")
    )
    values: dict[tuple[int, int, str], IndicatorValue] = {
        (v.indicator_id, v.fiscal_year, v.kind): v
        for v in IndicatorValue.objects.filter(indicator__in=indicators)
    }
    rows = []
    for ind in indicators:

        def value(year: int, kind: str, ind: Indicator = ind) -> Decimal | None:
            found = values.get((ind.pk, year, kind))
            return found.value if found else None

        target = value(fiscal_year, "target")
        actual = value(fiscal_year, "actual") or Decimal(0)
        rate = (actual * 100 / target).quantize(Decimal("0.1")) if target else None
        history = {
            y: (value(y, "target"), value(y, "actual"))
            for y in sorted({k[1] for k in values if k[0] == ind.pk})
            if y < fiscal_year
        }
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
                rate=rate,
                source="manual",
                note=ind.note,
                history=history,
            )
        )
    return rows
