"""Writes of the city's structure. `plan_load` is the only way a plan file reaches the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from tsunagu.accounts.models import User
from tsunagu.cityplan.models import (
    VERSION_ORDER,
    Indicator,
    IndicatorValue,
    Milestone,
    PlanVersion,
    Program,
    ProgramOperation,
    ProgramOrganization,
)
from tsunagu.cityplan.planfile import PlanFile, meeting_body_flags
from tsunagu.meetings.models import MeetingBody, MeetingBodyMember
from tsunagu.organizations.models import (
    Area,
    Municipality,
    Organization,
    OrganizationField,
    Site,
)


class PlanLoadError(Exception):
    """The file is well-formed but cannot be loaded into this database."""


@dataclass(frozen=True)
class LoadReport:
    municipality: Municipality
    version: PlanVersion
    created_version: bool
    areas: int
    organizations: int
    programs: int
    meeting_bodies: int
    indicators: int
    values: int
    # what this version no longer lists and was therefore ended (names)
    ended: list[str] = field(default_factory=list)


def _latest_version(municipality: Municipality) -> PlanVersion | None:
    return PlanVersion.objects.filter(municipality=municipality).order_by(*VERSION_ORDER).first()


@transaction.atomic
def plan_load(*, plan: PlanFile) -> LoadReport:
    """Load a plan file as a version of its city's plan.

    The same file loaded twice changes nothing. A revised file (another period or adoption)
    adds a version: the targets, actuals and roadmap of earlier versions stay as they were.
    Organizations, sites, programs and meeting bodies the file no longer lists are ended
    (inactive), never deleted, because records and earlier versions point at them. Refused
    with a `PlanFileError` naming the line: a file older than the newest loaded version (it
    would turn the structure back), and dropping an organization active staff belong to.
    """
    m = plan.municipality
    clash = Municipality.objects.filter(code=m.code).exclude(slug=m.slug).first()
    if clash is not None:
        raise PlanLoadError(
            f"全国地方公共団体コード {m.code} は既に {clash.name}（{clash.slug}）のものです"
        )
    existing = Municipality.objects.filter(slug=m.slug).first()
    key = {
        "start_fiscal_year": m.plan.start_fiscal_year,
        "end_fiscal_year": m.plan.end_fiscal_year,
        "published": m.plan.published,
    }
    if existing is not None:
        latest = _latest_version(existing)
        is_same = latest is not None and all(getattr(latest, k) == v for k, v in key.items())
        if (
            latest is not None
            and not is_same
            and latest.start_fiscal_year is not None
            and m.plan.start_fiscal_year is not None
            and latest.start_fiscal_year > m.plan.start_fiscal_year
        ):
            raise plan.error(
                ("municipality", "plan", "start_fiscal_year"),
                f"より新しい版（{latest}）が読み込まれています。古い版は読み込めません",
            )
    municipality, _ = Municipality.objects.update_or_create(
        slug=m.slug,
        defaults={
            "code": m.code,
            "name": m.name,
            "prefecture": m.prefecture,
            "fiscal_year_start_month": m.fiscal_year_start_month,
            "plan_name": m.plan.name,
            "plan_nickname": m.plan.nickname,
            "plan_start_fiscal_year": m.plan.start_fiscal_year,
            "plan_end_fiscal_year": m.plan.end_fiscal_year,
            "plan_published": m.plan.published,
            "plan_department": m.plan.department,
        },
    )
    municipality.full_clean()

    version = PlanVersion.objects.filter(municipality=municipality, **key).first()
    created_version = version is None
    if version is None:
        version = PlanVersion(municipality=municipality, **key)
    version.name = m.plan.name
    version.nickname = m.plan.nickname
    version.adopted_on = m.plan.adopted_on
    version.department = m.plan.department
    version.document = plan.model_dump(mode="json")
    version.full_clean()
    version.save()

    areas = _load_areas(plan, municipality)
    orgs, ended = _load_organizations(plan, municipality, areas)
    programs, ended_programs = _load_programs(plan, municipality, orgs, version)
    bodies, ended_bodies = _load_meeting_bodies(plan, municipality, orgs)
    value_count = _load_indicators(plan, municipality, version, programs, orgs)

    # Areas describe the current structure only; nothing outside it points at them.
    Area.objects.filter(municipality=municipality).exclude(code__in=areas).update(parent=None)
    Area.objects.filter(municipality=municipality).exclude(code__in=areas).delete()

    return LoadReport(
        municipality=municipality,
        version=version,
        created_version=created_version,
        areas=len(areas),
        organizations=len(orgs),
        programs=len(programs),
        meeting_bodies=len(bodies),
        indicators=len(plan.indicators),
        values=value_count,
        ended=ended + ended_programs + ended_bodies,
    )


def _load_areas(plan: PlanFile, municipality: Municipality) -> dict[str, Area]:
    areas: dict[str, Area] = {}
    for order, a in enumerate(plan.areas):
        areas[a.code], _ = Area.objects.update_or_create(
            municipality=municipality,
            code=a.code,
            defaults={
                "name": a.name,
                "kind": a.kind,
                "localities": a.localities,
                "sort_order": order,
                "parent": None,
            },
        )
    for a in plan.areas:
        if a.parent:
            Area.objects.filter(pk=areas[a.code].pk).update(parent=areas[a.parent])
    return areas


def _save_changed(obj: Organization | Site, values: dict[str, object]) -> None:
    """Create `obj`, or save only the fields that differ: reloading the same file writes
    nothing (and adds no change-history row)."""
    if obj.pk is None:
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        return
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)


def _load_organizations(
    plan: PlanFile, municipality: Municipality, areas: dict[str, Area]
) -> tuple[dict[str, Organization], list[str]]:
    existing = {o.code: o for o in Organization.objects.filter(municipality=municipality)}
    orgs: dict[str, Organization] = {}
    for order, o in enumerate(plan.organizations):
        org = existing.get(o.code) or Organization(municipality=municipality, code=o.code)
        _save_changed(
            org,
            {
                "name": o.name,
                "aliases": o.aliases,
                "kind": o.kind,
                "operation": o.operation or "",
                "operator": o.operator,
                "target_group": o.target_group,
                "description": o.description,
                "postal_code": o.postal_code,
                "address": o.address,
                "phone": o.phone,
                "email": o.email,
                "site_count": o.site_count,
                "sites_unnamed": o.sites_unnamed,
                "liaison_title": o.liaison_title,
                "staffing": o.staffing,
                "sort_order": order,
                "is_active": True,
            },
        )
        orgs[o.code] = org
    sites = {
        (site.organization_id, site.code): site
        for site in Site.objects.filter(organization__municipality=municipality)
    }
    kept_sites: list[int] = []
    for o in plan.organizations:
        org = orgs[o.code]
        group = orgs[o.group] if o.group else None
        if org.group_id != (group.pk if group else None):
            org.group = group
            org.full_clean()
            org.save(update_fields=["group"])
        org.departments.set([orgs[c] for c in o.departments])
        org.areas.set([areas[c] for c in o.areas])
        OrganizationField.objects.filter(organization=org).exclude(field__in=o.fields).delete()
        for f in o.fields:
            OrganizationField.objects.get_or_create(organization=org, field=f)
        for order, s in enumerate(o.sites):
            site = sites.get((org.pk, s.code)) or Site(organization=org, code=s.code)
            _save_changed(
                site,
                {
                    "name": s.name,
                    "kind": s.kind,
                    "address": s.address,
                    "phone": s.phone,
                    "sort_order": order,
                    "is_active": True,
                },
            )
            site.areas.set([areas[c] for c in s.areas])
            kept_sites.append(site.pk)
    # Sites no longer listed (or of organizations no longer listed) are ended.
    Site.objects.filter(organization__municipality=municipality, is_active=True).exclude(
        pk__in=kept_sites
    ).update(is_active=False)

    dropped = list(
        Organization.objects.filter(municipality=municipality, is_active=True)
        .exclude(code__in=orgs)
        .order_by("sort_order")
    )
    staffed = (
        User.objects.filter(organization__in=dropped, is_active=True)
        .values_list("organization__name", flat=True)
        .distinct()
    )
    if staffed:
        raise plan.error(
            ("organizations",),
            f"{'・'.join(sorted(staffed))} がありませんが、有効な職員が所属しています。"
            "職員の所属を移してから外してください",
        )
    for org in dropped:  # one by one: each ending is a row of the organization's history
        _save_changed(org, {"is_active": False, "group": None})
    return orgs, [f"機関 {o.name}" for o in dropped]


def _load_programs(
    plan: PlanFile,
    municipality: Municipality,
    orgs: dict[str, Organization],
    version: PlanVersion,
) -> tuple[dict[str, Program], list[str]]:
    programs: dict[str, Program] = {}
    Milestone.objects.filter(plan_version=version).delete()
    for order, p in enumerate(plan.programs):
        program, _ = Program.objects.update_or_create(
            municipality=municipality,
            code=p.code,
            defaults={
                "category": p.category,
                "clause": p.clause or "",
                "name": p.name,
                "status": p.status or "",
                "existing_scheme": p.existing_scheme,
                "legal_basis": p.legal_basis,
                "target_group": p.target_group,
                "description": p.description,
                "area_description": p.area_description,
                "start_fiscal_year": p.start_fiscal_year,
                "sort_order": order,
                "is_active": True,
            },
        )
        programs[p.code] = program
        program.departments.set([orgs[c] for c in p.departments])
        ProgramOperation.objects.filter(program=program).exclude(operation__in=p.operation).delete()
        for op in p.operation:
            ProgramOperation.objects.get_or_create(program=program, operation=op)
        ProgramOrganization.objects.filter(program=program).delete()
        ProgramOrganization.objects.bulk_create(
            ProgramOrganization(
                program=program, organization=orgs[c.organization], role=c.role, sort_order=j
            )
            for j, c in enumerate(p.organizations)
        )
        Milestone.objects.bulk_create(
            Milestone(
                plan_version=version,
                program=program,
                subject=ms.subject,
                fiscal_year=ms.year,
                stage=ms.stage,
                note=ms.note,
            )
            for ms in p.milestones
        )
    dropped = Program.objects.filter(municipality=municipality, is_active=True).exclude(
        code__in=programs
    )
    ended = [f"事業 {p.name}" for p in dropped.order_by("sort_order")]
    dropped.update(is_active=False)
    return programs, ended


def _load_meeting_bodies(
    plan: PlanFile, municipality: Municipality, orgs: dict[str, Organization]
) -> tuple[dict[str, MeetingBody], list[str]]:
    bodies: dict[str, MeetingBody] = {}
    for order, b in enumerate(plan.meeting_bodies):
        basis, individuals, consent, duty = meeting_body_flags(b)
        bodies[b.code], _ = MeetingBody.objects.update_or_create(
            municipality=municipality,
            code=b.code,
            defaults={
                "name": b.name,
                "kind": b.kind,
                "second_kind": b.second_kind or "",
                "legal_basis": basis,
                "discusses_individuals": individuals,
                "requires_consent": consent,
                "confidentiality_duty": duty,
                "parent": None,
                "purpose": b.purpose,
                "members_description": b.members_description,
                "frequency": b.frequency,
                "secretariat": orgs[b.secretariat] if b.secretariat else None,
                "sort_order": order,
                "is_active": True,
            },
        )
        MeetingBodyMember.objects.filter(meeting_body=bodies[b.code]).delete()
        MeetingBodyMember.objects.bulk_create(
            MeetingBodyMember(
                meeting_body=bodies[b.code], organization=orgs[c.organization], role=c.role
            )
            for c in b.members
        )
    for b in plan.meeting_bodies:
        if b.parent:
            MeetingBody.objects.filter(pk=bodies[b.code].pk).update(parent=bodies[b.parent])
    dropped = MeetingBody.objects.filter(municipality=municipality, is_active=True).exclude(
        code__in=bodies
    )
    ended = [f"会議体 {b.name}" for b in dropped.order_by("sort_order")]
    # An ended body keeps its members: referrals and grants made under it still name them.
    dropped.update(is_active=False)
    return bodies, ended


def _load_indicators(
    plan: PlanFile,
    municipality: Municipality,
    version: PlanVersion,
    programs: dict[str, Program],
    orgs: dict[str, Organization],
) -> int:
    """Replace this version's targets and actuals; other versions' are not touched."""
    Indicator.objects.filter(plan_version=version).delete()
    value_count = 0
    for order, ind in enumerate(plan.indicators):
        indicator = Indicator.objects.create(
            municipality=municipality,
            plan_version=version,
            code=ind.code,
            name=ind.name,
            unit=ind.unit,
            program=programs[ind.program] if ind.program else None,
            organization=orgs[ind.organization] if ind.organization else None,
            note=ind.note,
            computation=ind.computed.computation if ind.computed else "",
            filters=dict(ind.computed.filters) if ind.computed else {},
            sort_order=order,
        )
        rows = [
            IndicatorValue(
                indicator=indicator, fiscal_year=fy, kind=kind, value=f.value, note=f.note
            )
            for kind, figures in (
                (IndicatorValue.Kind.TARGET, ind.targets),
                (IndicatorValue.Kind.ACTUAL, ind.actuals),
            )
            for fy, f in sorted(figures.items())
        ]
        IndicatorValue.objects.bulk_create(rows)
        value_count += len(rows)
    return value_count
