"""The generated city's structure: a seed city's plan, scaled to the number of residents.

The seed plan's organizations, programs, meeting bodies and indicators are kept as they are;
what a plan gives per 圏域 (the 地域包括支援センター grouped under one plan line) is repeated
so that each centre serves about as many residents as in the seed city. Consultation volumes
come from the seed plan's own 相談件数 indicators (新規・延べ), per resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tsunagu.cityplan.planfile import (
    AreaEntry,
    IndicatorEntry,
    OrganizationEntry,
    PlanFile,
    plan_file_path,
    read_plan_file,
)
from tsunagu.organizations.models import Area

# Residents of the seed cities (rounded, 住民基本台帳 around the plans' dates). The plans do not
# state them; the generator only needs the order of magnitude to turn counts into rates.
SEED_POPULATION: dict[str, int] = {
    "ise": 122_000,
    "imizu": 91_000,
    "inzai": 108_000,
    "sanda": 108_000,
    "toyokawa": 185_000,
}


@dataclass(frozen=True)
class Volume:
    """Consultations an organization takes per resident and year."""

    new: float
    total: float


def municipality_code(seed_code: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A valid 全国地方公共団体コード in the unused 99xxxx range, derived from the seed's,
    and not one of `taken`."""
    number = int(seed_code[2:5])
    code = _with_check_digit(f"99{number:03d}")
    while code in taken:
        number = (number + 1) % 1000
        code = _with_check_digit(f"99{number:03d}")
    return code


def _with_check_digit(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, (6, 5, 4, 3, 2), strict=True))
    return body + str((11 - total % 11) % 10)


def scaled_plan(
    *, seed: str, residents: int, slug: str, taken_codes: frozenset[str] = frozenset()
) -> PlanFile:
    """The seed city's plan as a city of `residents`, under its own code, slug and name."""
    plan = read_plan_file(plan_file_path(seed))
    population = SEED_POPULATION.get(seed, 100_000)
    factor = residents / population
    m = plan.municipality
    municipality = m.model_copy(
        update={
            "code": municipality_code(m.code, taken_codes),
            "slug": slug,
            "name": f"生成市（{m.name}型）"[:50],
        }
    )
    areas = list(plan.areas)
    organizations = list(plan.organizations)
    by_code = {a.code: a for a in areas}
    groups: dict[str, list[OrganizationEntry]] = {}
    for org in organizations:
        if org.group:
            groups.setdefault(org.group, []).append(org)
    for parent, children in groups.items():
        wanted = max(len(children), round(len(children) * factor))
        template = children[0]
        zone_parent = None
        if template.areas and template.areas[0] in by_code:
            zone_parent = by_code[template.areas[0]].parent
        for i in range(len(children) + 1, wanted + 1):
            area_codes: list[str] = list(template.areas)
            if zone_parent is not None:
                area = AreaEntry(
                    code=f"{parent}-zone-{i}",
                    name=f"第{i}圏域",
                    kind=Area.Kind.ZONE,
                    parent=zone_parent,
                )
                areas.append(area)
                area_codes = [area.code]
            organizations.append(
                template.model_copy(
                    update={
                        "code": f"{parent}-{i}",
                        "name": f"{template.name.split('（')[0]}（第{i}圏域）",
                        "areas": area_codes,
                        "sites": [],
                    }
                )
            )
    return plan.model_copy(
        update={"municipality": municipality, "areas": areas, "organizations": organizations}
    )


def _figure(entry: IndicatorEntry) -> Decimal | None:
    """The newest actual, else the newest target."""
    if entry.actuals:
        return entry.actuals[max(entry.actuals)].value
    if entry.targets:
        return entry.targets[max(entry.targets)].value
    return None


def consultation_volumes(plan: PlanFile, *, seed: str) -> dict[str, Volume]:
    """Per organization code: consultations per resident and year, from the plan's 相談件数
    indicators. A plan line with grouped centres (hokatsu: 6箇所合計) is spread over them."""
    population = SEED_POPULATION.get(seed, 100_000)
    new: dict[str, float] = {}
    total: dict[str, float] = {}
    for entry in plan.indicators:
        if "相談" not in entry.name or entry.organization is None or entry.unit != "件":
            continue
        value = _figure(entry)
        if value is None:
            continue
        if "新規" in entry.name or "実" in entry.name:
            new[entry.organization] = new.get(entry.organization, 0.0) + float(value)
        elif "延" in entry.name:
            total[entry.organization] = total.get(entry.organization, 0.0) + float(value)
    volumes: dict[str, Volume] = {}
    if not new and not total:
        # a plan that states no counts: 伊勢市's rates (about 11,000 new and 40,000 in all per
        # 100,000 residents a year), shared by its agencies
        agencies = [o.code for o in plan.organizations if o.kind == "agency" and not o.group]
        for code in agencies:
            volumes[code] = Volume(new=0.11 / len(agencies), total=0.40 / len(agencies))
        return volumes
    for code in sorted(set(new) | set(total)):
        n = new.get(code, total.get(code, 0.0) / 3)
        t = max(total.get(code, n * 2.5), n)
        volumes[code] = Volume(new=n / population, total=t / population)
    return volumes
