"""Reads of the implementation plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from tsunagu.cityplan.models import (
    CLAUSE_PROGRAMS,
    Clause,
    Indicator,
    IndicatorValue,
    Program,
    ProgramOrganization,
)
from tsunagu.meetings.models import MeetingBody, MeetingBodyMember
from tsunagu.organizations.models import Municipality, Organization


@dataclass(frozen=True)
class TargetRow:
    program: str
    organization: str
    indicator: str
    fiscal_year: int
    kind: str
    value: Decimal
    unit: str
    note: str

    def as_output(self) -> dict[str, object]:
        """The row as `plan-targets` prints it: the value as a plain number."""
        value: int | float = (
            int(self.value) if self.value == self.value.to_integral_value() else float(self.value)
        )
        return {
            "program": self.program,
            "organization": self.organization,
            "indicator": self.indicator,
            "fiscal_year": self.fiscal_year,
            "kind": self.kind,
            "value": value,
            "unit": self.unit,
        }


def plan_target_rows(*, municipality: Municipality) -> list[TargetRow]:
    """Every target and actual of a city's plan, in the plan's order."""
    values = (
        IndicatorValue.objects.filter(indicator__municipality=municipality)
        .select_related("indicator__program", "indicator__organization")
        .order_by("indicator__sort_order", "indicator__code", "kind", "fiscal_year")
    )
    return [
        TargetRow(
            program=v.indicator.program.name if v.indicator.program else "",
            organization=v.indicator.organization.name if v.indicator.organization else "",
            indicator=v.indicator.name,
            fiscal_year=v.fiscal_year,
            kind=v.kind,
            value=v.value,
            unit=v.indicator.unit,
            note=v.note,
        )
        for v in values
    ]


@dataclass
class ClauseGroup:
    number: int
    name: str
    programs: list[Program] = field(default_factory=list)


@dataclass
class IndicatorTable:
    """Indicators with their values laid out by fiscal year, for the overview page."""

    fiscal_years: list[int]
    # each row: the indicator and, per fiscal year, its (target, actual)
    rows: list[tuple[Indicator, list[tuple[IndicatorValue | None, IndicatorValue | None]]]]


@dataclass
class PlanOverview:
    municipality: Municipality
    clauses: list[ClauseGroup]
    organizations: list[tuple[str, list[Organization]]]  # (kind label, organizations)
    meeting_bodies: list[MeetingBody]
    indicators: IndicatorTable


def plan_overview(*, municipality: Municipality) -> PlanOverview:
    """The city's system as the plans draw it: programs 第1〜6号 with their carriers, the
    meeting bodies, and the targets and actuals per fiscal year. A fixed number of queries."""
    programs = Program.objects.filter(municipality=municipality).prefetch_related(
        "departments",
        Prefetch(
            "carriers",
            queryset=ProgramOrganization.objects.select_related("organization").prefetch_related(
                "organization__support_fields"
            ),
        ),
    )
    groups = {n: ClauseGroup(number=n, name=name) for n, name in CLAUSE_PROGRAMS.items()}
    for p in programs:
        groups[Clause.number(p.clause)].programs.append(p)

    by_kind: dict[str, list[Organization]] = {label: [] for _, label in Organization.Kind.choices}
    for org in (
        Organization.objects.filter(municipality=municipality, is_active=True)
        .prefetch_related("support_fields")
        .order_by("sort_order", "code")
    ):
        by_kind[org.get_kind_display()].append(org)

    bodies = list(
        MeetingBody.objects.filter(municipality=municipality)
        .select_related("secretariat", "parent")
        .prefetch_related(
            Prefetch(
                "memberships", queryset=MeetingBodyMember.objects.select_related("organization")
            )
        )
    )

    indicators = list(
        Indicator.objects.filter(municipality=municipality)
        .select_related("program", "organization")
        .prefetch_related("values")
    )
    years = sorted({v.fiscal_year for i in indicators for v in i.values.all()})
    rows = []
    for ind in indicators:
        by_key: dict[tuple[str, int], IndicatorValue] = {
            (v.kind, v.fiscal_year): v for v in ind.values.all()
        }
        rows.append(
            (
                ind,
                [
                    (
                        by_key.get((IndicatorValue.Kind.TARGET, y)),
                        by_key.get((IndicatorValue.Kind.ACTUAL, y)),
                    )
                    for y in years
                ],
            )
        )
    return PlanOverview(
        municipality=municipality,
        clauses=[groups[n] for n in sorted(groups)],
        organizations=[(label, orgs) for label, orgs in by_kind.items() if orgs],
        meeting_bodies=bodies,
        indicators=IndicatorTable(fiscal_years=years, rows=rows),
    )


def programs_carried(*, municipality: Municipality) -> dict[int, list[str]]:
    """Organization id → the names of the programs it carries (多機関協働事業, 参加支援事業 …)."""
    out: dict[int, list[str]] = {}
    for org_id, name in (
        ProgramOrganization.objects.filter(program__municipality=municipality)
        .order_by("program__clause", "program__sort_order")
        .values_list("organization_id", "program__name")
    ):
        names = out.setdefault(org_id, [])
        if name not in names:
            names.append(name)
    return out
