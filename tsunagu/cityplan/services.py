"""Writes of the city's structure. `plan_load` is the only way a plan file reaches the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tsunagu.cityplan.models import Indicator, IndicatorValue, Program, ProgramOrganization
from tsunagu.cityplan.planfile import PlanFile
from tsunagu.meetings.models import MeetingBody, MeetingBodyMember
from tsunagu.organizations.models import Area, Municipality, Organization, OrganizationField


class PlanLoadError(Exception):
    """The file is well-formed but cannot be loaded into this database."""


@dataclass(frozen=True)
class LoadReport:
    municipality: Municipality
    areas: int
    organizations: int
    programs: int
    meeting_bodies: int
    indicators: int
    values: int


@transaction.atomic
def plan_load(*, plan: PlanFile) -> LoadReport:
    """Make the database hold exactly the structure in `plan` for its municipality.

    Loading the same file twice changes nothing. Rows that the file no longer lists are removed,
    except organizations, which staff and records refer to: those are marked inactive.
    """
    m = plan.municipality
    clash = Municipality.objects.filter(code=m.code).exclude(slug=m.slug).first()
    if clash is not None:
        raise PlanLoadError(
            f"全国地方公共団体コード {m.code} は既に {clash.name}（{clash.slug}）のものです"
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

    orgs: dict[str, Organization] = {}
    for order, o in enumerate(plan.organizations):
        orgs[o.code], _ = Organization.objects.update_or_create(
            municipality=municipality,
            code=o.code,
            defaults={
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
                "staffing": o.staffing,
                "sort_order": order,
                "is_active": True,
            },
        )
    for o in plan.organizations:
        org = orgs[o.code]
        org.departments.set([orgs[c] for c in o.departments])
        org.areas.set([areas[c] for c in o.areas])
        OrganizationField.objects.filter(organization=org).exclude(field__in=o.fields).delete()
        for f in o.fields:
            OrganizationField.objects.get_or_create(organization=org, field=f)
    Organization.objects.filter(municipality=municipality).exclude(code__in=orgs).update(
        is_active=False
    )

    programs: dict[str, Program] = {}
    for order, p in enumerate(plan.programs):
        programs[p.code], _ = Program.objects.update_or_create(
            municipality=municipality,
            code=p.code,
            defaults={
                "clause": p.clause,
                "name": p.name,
                "existing_scheme": p.existing_scheme,
                "legal_basis": p.legal_basis,
                "target_group": p.target_group,
                "description": p.description,
                "area_description": p.area_description,
                "start_fiscal_year": p.start_fiscal_year,
                "sort_order": order,
            },
        )
        programs[p.code].departments.set([orgs[c] for c in p.departments])
        ProgramOrganization.objects.filter(program=programs[p.code]).delete()
        ProgramOrganization.objects.bulk_create(
            ProgramOrganization(
                program=programs[p.code],
                organization=orgs[c.organization],
                role=c.role,
                sort_order=j,
            )
            for j, c in enumerate(p.organizations)
        )

    bodies: dict[str, MeetingBody] = {}
    for order, b in enumerate(plan.meeting_bodies):
        bodies[b.code], _ = MeetingBody.objects.update_or_create(
            municipality=municipality,
            code=b.code,
            defaults={
                "name": b.name,
                "kind": b.kind,
                "parent": None,
                "purpose": b.purpose,
                "members_description": b.members_description,
                "frequency": b.frequency,
                "secretariat": orgs[b.secretariat] if b.secretariat else None,
                "sort_order": order,
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

    Indicator.objects.filter(municipality=municipality).delete()
    value_count = 0
    for order, ind in enumerate(plan.indicators):
        indicator = Indicator.objects.create(
            municipality=municipality,
            code=ind.code,
            name=ind.name,
            unit=ind.unit,
            program=programs[ind.program] if ind.program else None,
            organization=orgs[ind.organization] if ind.organization else None,
            note=ind.note,
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

    # What the file no longer lists goes (organizations stay, inactive: records point at them).
    MeetingBody.objects.filter(municipality=municipality).exclude(code__in=bodies).update(
        parent=None
    )
    MeetingBody.objects.filter(municipality=municipality).exclude(code__in=bodies).delete()
    Program.objects.filter(municipality=municipality).exclude(code__in=programs).delete()
    Area.objects.filter(municipality=municipality).exclude(code__in=areas).update(parent=None)
    Area.objects.filter(municipality=municipality).exclude(code__in=areas).delete()

    return LoadReport(
        municipality=municipality,
        areas=len(areas),
        organizations=len(orgs),
        programs=len(programs),
        meeting_bodies=len(bodies),
        indicators=len(plan.indicators),
        values=value_count,
    )
