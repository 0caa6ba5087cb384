"""Reads of the implementation plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from tsunagu.cityplan.models import (
    CLAUSE_PROGRAMS,
    VERSION_ORDER,
    Clause,
    Indicator,
    IndicatorValue,
    Milestone,
    PlanVersion,
    Program,
    ProgramCategory,
    ProgramOrganization,
)
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.meetings.models import MeetingBody, MeetingBodyMember
from tsunagu.organizations.models import Municipality, Organization, Site


def plan_current_version(*, municipality: Municipality) -> PlanVersion | None:
    """The newest loaded version of a city's plan (the one its structure reflects)."""
    return PlanVersion.objects.filter(municipality=municipality).order_by(*VERSION_ORDER).first()


def plan_versions(*, municipality: Municipality) -> list[PlanVersion]:
    """Every loaded version, newest first (without their documents)."""
    return list(
        PlanVersion.objects.filter(municipality=municipality)
        .defer("document")
        .order_by(*VERSION_ORDER)
    )


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


def plan_target_rows(
    *, municipality: Municipality, version: PlanVersion | None = None
) -> list[TargetRow]:
    """Every target and actual of a version of a city's plan (the current one unless given),
    in the plan's order."""
    version = version or plan_current_version(municipality=municipality)
    values = (
        IndicatorValue.objects.filter(indicator__plan_version=version)
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
class ProgramGroup:
    """Programs beside 第106条の4: cross-field windows, related non-statutory programs."""

    category: str
    label: str
    programs: list[Program] = field(default_factory=list)


@dataclass
class IndicatorTable:
    """Indicators with their values laid out by fiscal year, for the overview page."""

    fiscal_years: list[int]
    # each row: the indicator and, per fiscal year, its (target, actual)
    rows: list[tuple[Indicator, list[tuple[IndicatorValue | None, IndicatorValue | None]]]]


@dataclass
class TimelineRow:
    program: Program
    subject: str
    # per fiscal year of the plan period: the milestone of that year, if any
    cells: list[Milestone | None]


@dataclass
class Timeline:
    fiscal_years: list[int]
    rows: list[TimelineRow]


@dataclass
class OrganizationLine:
    """An organization of the overview with its grouped centres and its sites."""

    organization: Organization
    members: list[Organization]
    sites: list[Site]


@dataclass
class PlanOverview:
    municipality: Municipality
    version: PlanVersion | None
    earlier_versions: list[PlanVersion]
    has_ended: bool
    clauses: list[ClauseGroup]
    other_programs: list[ProgramGroup]
    ended_programs: list[Program]
    organizations: list[tuple[str, list[OrganizationLine]]]  # (kind label, lines)
    meeting_bodies: list[MeetingBody]
    ended_meeting_bodies: list[MeetingBody]
    indicators: IndicatorTable
    timeline: Timeline


def _indicator_table(version: PlanVersion | None) -> IndicatorTable:
    indicators = list(
        Indicator.objects.filter(plan_version=version)
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
    return IndicatorTable(fiscal_years=years, rows=rows)


def _timeline(version: PlanVersion | None) -> Timeline:
    if version is None:
        return Timeline(fiscal_years=[], rows=[])
    years = list(version.fiscal_years())
    rows: dict[tuple[int, str], TimelineRow] = {}
    for ms in (
        Milestone.objects.filter(plan_version=version)
        .select_related("program")
        .order_by("program__sort_order", "subject", "fiscal_year")
    ):
        key = (ms.program_id, ms.subject)
        if key not in rows:
            rows[key] = TimelineRow(
                program=ms.program, subject=ms.subject, cells=[None for _ in years]
            )
        rows[key].cells[years.index(ms.fiscal_year)] = ms
    return Timeline(fiscal_years=years, rows=list(rows.values()))


def plan_overview(*, municipality: Municipality) -> PlanOverview:
    """The city's system as its current plan draws it: programs 第1〜6号 and those beside the
    statute with their carriers, the organizations with their centres and sites, the meeting
    bodies with their legal basis, the roadmap, and the targets and actuals per fiscal year.
    A fixed number of queries."""
    versions = plan_versions(municipality=municipality)
    version = versions[0] if versions else None
    today_fy = fiscal_year_of(
        timezone.localdate(), start_month=municipality.fiscal_year_start_month
    )
    programs = Program.objects.filter(municipality=municipality).prefetch_related(
        "departments",
        "operations",
        Prefetch(
            "carriers",
            queryset=ProgramOrganization.objects.select_related("organization").prefetch_related(
                "organization__support_fields"
            ),
        ),
    )
    groups = {n: ClauseGroup(number=n, name=name) for n, name in CLAUSE_PROGRAMS.items()}
    others = {
        c: ProgramGroup(category=c, label=label)
        for c, label in ProgramCategory.choices
        if c != ProgramCategory.STATUTORY
    }
    ended_programs = []
    for p in programs.order_by("sort_order", "code"):
        if not p.is_active:
            ended_programs.append(p)
        elif p.category == ProgramCategory.STATUTORY:
            groups[Clause.number(p.clause)].programs.append(p)
        else:
            others[p.category].programs.append(p)
    for g in groups.values():
        g.programs.sort(key=lambda p: (p.clause, p.sort_order))

    active = list(
        Organization.objects.filter(municipality=municipality, is_active=True)
        .prefetch_related(
            "support_fields",
            Prefetch("sites", queryset=Site.objects.filter(is_active=True)),
        )
        .order_by("sort_order", "code")
    )
    members: dict[int, list[Organization]] = {}
    for org in active:
        if org.group_id is not None:
            members.setdefault(org.group_id, []).append(org)
    by_kind: dict[str, list[OrganizationLine]] = {
        label: [] for _, label in Organization.Kind.choices
    }
    for org in active:
        if org.group_id is None or org.group_id not in {o.pk for o in active}:
            by_kind[org.get_kind_display()].append(
                OrganizationLine(
                    organization=org,
                    members=members.get(org.pk, []),
                    sites=list(org.sites.all()),
                )
            )

    bodies = list(
        MeetingBody.objects.filter(municipality=municipality)
        .select_related("secretariat", "parent")
        .prefetch_related(
            Prefetch(
                "memberships", queryset=MeetingBodyMember.objects.select_related("organization")
            )
        )
    )
    return PlanOverview(
        municipality=municipality,
        version=version,
        earlier_versions=versions[1:],
        has_ended=version is not None and version.has_ended(fiscal_year=today_fy),
        clauses=[groups[n] for n in sorted(groups)],
        other_programs=[g for g in others.values() if g.programs],
        ended_programs=ended_programs,
        organizations=[(label, lines) for label, lines in by_kind.items() if lines],
        meeting_bodies=[b for b in bodies if b.is_active],
        ended_meeting_bodies=[b for b in bodies if not b.is_active],
        indicators=_indicator_table(version),
        timeline=_timeline(version),
    )


@dataclass
class VersionFigures:
    version: PlanVersion
    is_current: bool
    indicators: IndicatorTable
    timeline: Timeline


def plan_version_figures(*, municipality: Municipality, version_id: int) -> VersionFigures:
    """One version's targets, actuals and roadmap, as that version set them (an earlier year's
    evaluation stays readable after the next plan is loaded). 404 outside the city."""
    version = (
        PlanVersion.objects.filter(municipality=municipality, pk=version_id)
        .defer("document")
        .first()
    )
    if version is None:
        raise Http404
    current = plan_current_version(municipality=municipality)
    return VersionFigures(
        version=version,
        is_current=current is not None and current.pk == version.pk,
        indicators=_indicator_table(version),
        timeline=_timeline(version),
    )


# --- comparing two versions ----------------------------------------------------------------


@dataclass
class ItemChange:
    code: str
    name: str
    fields: list[str] = field(default_factory=list)  # the keys that changed


@dataclass
class SectionDiff:
    section: str
    label: str
    added: list[ItemChange]
    dropped: list[ItemChange]
    changed: list[ItemChange]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.dropped or self.changed)


@dataclass
class FigureChange:
    indicator: str
    organization: str
    kind: str
    fiscal_year: int
    old: Decimal | None
    new: Decimal | None


@dataclass
class VersionDiff:
    old: PlanVersion
    new: PlanVersion
    period_changed: bool
    sections: list[SectionDiff]
    figures: list[FigureChange]


_SECTIONS = [
    ("organizations", "支援関係機関・庁内課"),
    ("programs", "事業"),
    ("meeting_bodies", "会議体"),
    ("indicators", "指標"),
]


def _items(document: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in document.get(section, [])}


def _figures(document: dict[str, Any]) -> dict[tuple[str, str, int], tuple[str, str, Decimal]]:
    orgs = {o["code"]: o["name"] for o in document.get("organizations", [])}
    out = {}
    for ind in document.get("indicators", []):
        for kind in ("targets", "actuals"):
            for year, figure in ind.get(kind, {}).items():
                out[(ind["code"], kind, int(year))] = (
                    ind["name"],
                    orgs.get(ind.get("organization") or "", ""),
                    Decimal(str(figure["value"])),
                )
    return out


def plan_version_diff(*, municipality: Municipality, old_id: int, new_id: int) -> VersionDiff:
    """What changed from one version of a city's plan to another: items added, dropped or
    changed per section (by code), and every target or actual that differs."""
    found = {
        v.pk: v
        for v in PlanVersion.objects.filter(municipality=municipality, pk__in=[old_id, new_id])
    }
    if old_id not in found or new_id not in found or old_id == new_id:
        raise Http404
    old, new = found[old_id], found[new_id]
    sections = []
    for section, label in _SECTIONS:
        a, b = _items(old.document, section), _items(new.document, section)
        sections.append(
            SectionDiff(
                section=section,
                label=label,
                added=[ItemChange(c, b[c]["name"]) for c in b if c not in a],
                dropped=[ItemChange(c, a[c]["name"]) for c in a if c not in b],
                changed=[
                    ItemChange(
                        c,
                        b[c]["name"],
                        sorted(
                            k
                            for k in set(a[c]) | set(b[c])
                            if k not in {"targets", "actuals"} and a[c].get(k) != b[c].get(k)
                        ),
                    )
                    for c in b
                    if c in a
                    and any(
                        a[c].get(k) != b[c].get(k)
                        for k in set(a[c]) | set(b[c])
                        if k not in {"targets", "actuals"}
                    )
                ],
            )
        )
    fa, fb = _figures(old.document), _figures(new.document)
    figures = []
    for key in sorted(set(fa) | set(fb), key=lambda k: (k[0], k[2], k[1])):
        va, vb = fa.get(key), fb.get(key)
        if va is not None and vb is not None and va[2] == vb[2]:
            continue
        name, org, _ = vb or va  # type: ignore[misc]
        figures.append(
            FigureChange(
                indicator=name,
                organization=org,
                kind="目標" if key[1] == "targets" else "実績",
                fiscal_year=key[2],
                old=va[2] if va else None,
                new=vb[2] if vb else None,
            )
        )
    return VersionDiff(
        old=old,
        new=new,
        period_changed=(old.start_fiscal_year, old.end_fiscal_year)
        != (new.start_fiscal_year, new.end_fiscal_year),
        sections=sections,
        figures=figures,
    )


@dataclass
class YearTargets:
    """The targets a home page shows: the current version's, for the plan year nearest to the
    given fiscal year — none when the plan has ended (they would be stale) or has no period."""

    version: PlanVersion | None
    fiscal_year: int  # the plan year shown
    has_ended: bool
    values: list[IndicatorValue]


def plan_year_targets(*, municipality: Municipality, fiscal_year: int) -> YearTargets:
    version = plan_current_version(municipality=municipality)
    years = version.fiscal_years() if version is not None else range(0)
    if version is None or not years or version.has_ended(fiscal_year=fiscal_year):
        return YearTargets(
            version=version,
            fiscal_year=fiscal_year,
            has_ended=version is not None and version.has_ended(fiscal_year=fiscal_year),
            values=[],
        )
    year = min(max(fiscal_year, years.start), years.stop - 1)
    values = list(
        IndicatorValue.objects.filter(
            indicator__plan_version=version, fiscal_year=year, kind=IndicatorValue.Kind.TARGET
        )
        .select_related("indicator__program", "indicator__organization")
        .order_by("indicator__sort_order")
    )
    return YearTargets(version=version, fiscal_year=year, has_ended=False, values=values)


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
