"""Reads of organizations and areas."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tsunagu.core.text import fold_for_search, normalize_address
from tsunagu.organizations.models import Area, Municipality, Organization, Site


def organization_search(
    *,
    organizations: QuerySet[Organization],
    query: str = "",
    kind: str = "",
    field: str = "",
    area: str = "",
) -> QuerySet[Organization]:
    """Filter a (already access-scoped) set of organizations for the directory.

    Every word of the query must appear in the name, an alias (略称: 社協), the operator, address,
    target group or description, folded by ``core.text.fold_for_search``: width, ひらがな and
    カタカナ, 異体字 and case do not matter (ステップ finds すてっぷ).
    """
    qs = organizations
    words = [w for w in (fold_for_search(x) for x in query.split()) if w]
    if kind:
        qs = qs.filter(kind=kind)
    if field:
        qs = qs.filter(support_fields__field=field)
    if area:
        qs = qs.filter(areas__code=area)
    if words:
        # A city has hundreds of organizations, not millions: folding in Python lets every
        # spelling match, which a database icontains cannot.
        texts = qs.values_list(
            "pk", "name", "aliases", "operator", "address", "target_group", "description"
        ).distinct()
        found = [
            pk
            for pk, name, aliases, *rest in texts
            if _all_in(words, fold_for_search("|".join([name, *(aliases or []), *rest])))
        ]
        qs = qs.filter(pk__in=found)
    return (
        qs.distinct()
        .prefetch_related("support_fields", "areas", "departments")
        .order_by("kind", "sort_order", "code")
    )


def _all_in(words: list[str], text: str) -> bool:
    return all(w in text for w in words)


def municipality_areas(*, municipality: Municipality) -> QuerySet[Area]:
    return Area.objects.filter(municipality=municipality).order_by("sort_order", "code")


# Which organizations' fields fit a consultation topic (routing help at intake).
TOPIC_FIELDS: dict[str, set[str]] = {
    "health": {"health", "disability"},
    "housing": {"housing", "poverty"},
    "income": {"poverty"},
    "rent_loan": {"poverty", "housing"},
    "tax_utilities": {"poverty"},
    "debt": {"poverty"},
    "job_search": {"employment", "poverty"},
    "work_worries": {"employment"},
    "community": {"general"},
    "family": {"general"},
    "childcare": {"children"},
    "care": {"elderly"},
    "hikikomori": {"general", "education"},
    "dv_abuse": {"children", "general"},
    "no_food": {"poverty"},
    "other": {"general"},
    "8050": {"elderly", "general"},
    "double_care": {"elderly", "children"},
    "young_carer": {"children", "education"},
    "self_neglect": {"elderly", "general"},
    "hoarding": {"elderly", "general"},
    "isolation": {"general"},
    "suicide_risk": {"health"},
}


def _fold(text: str) -> str:
    """An address or a 町名 as ``core.text.normalize_address`` writes it (霞ヶ丘 = 霞ケ丘,
    三丁目 = 3-, 髙砂 = 高砂)."""
    return normalize_address(text)


def _locality_names(locality: str) -> list[str]:
    """A plan's 「太閤山地区」 also matches an address that says 「太閤山3丁目」."""
    name = _fold(locality)
    names = [name] if name else []
    for suffix in ("地区", "地域"):
        stem = name.removesuffix(suffix)
        if stem != name and len(stem) >= 2:
            names.append(stem)
    return names


def _names(locality: str, address: str) -> bool:
    """The address names the locality: 本町1 (一丁目) is in 本町1-4-2, not in 本町12."""
    start = address.find(locality)
    while start >= 0:
        end = start + len(locality)
        if not (locality[-1].isdigit() and address[end : end + 1].isdigit()):
            return True
        start = address.find(locality, start + 1)
    return False


def areas_for_address(*, municipality: Municipality, address: str) -> list[Area]:
    """The areas whose 町名・地区名 appear in an address (the longest matching name wins)."""
    folded = _fold(address)
    if not folded:
        return []
    found: list[tuple[int, Area]] = []
    for area in Area.objects.filter(municipality=municipality):
        lengths = [len(n) for x in area.localities for n in _locality_names(x) if _names(n, folded)]
        if lengths:
            found.append((max(lengths), area))
    found.sort(key=lambda pair: -pair[0])
    best = found[0][0] if found else 0
    return [area for length, area in found if length == best]


def organizations_for_address(
    *, municipality: Municipality, address: str
) -> QuerySet[Organization]:
    """The organizations whose 担当地区 covers an address (e.g. which 地域包括支援センター)."""
    areas = areas_for_address(municipality=municipality, address=address)
    return (
        Organization.objects.filter(municipality=municipality, is_active=True, areas__in=areas)
        .distinct()
        .order_by("sort_order", "code")
    )


def organizations_for_topics(
    *, municipality: Municipality, topics: list[str]
) -> QuerySet[Organization]:
    """Agencies whose fields fit the topics of a consultation."""
    fields = set().union(*(TOPIC_FIELDS.get(t, set()) for t in topics)) if topics else set()
    return (
        Organization.objects.filter(
            municipality=municipality,
            is_active=True,
            kind=Organization.Kind.AGENCY,
            support_fields__field__in=fields,
        )
        .distinct()
        .order_by("sort_order", "code")
    )


def organization_lines(*, organization: Organization) -> list[Organization]:
    """The plan lines whose figures an organization may see summed per centre: the line it is
    (伊勢市 「地域包括支援センター」 with its 6 centres), the lines it supervises as 所管課, or
    else itself alone. A centre grouped under a line sees only itself: its siblings are other
    受託法人."""
    lines = list(
        Organization.objects.filter(
            Q(pk=organization.pk) | Q(departments=organization),
            municipality_id=organization.municipality_id,
            is_active=True,
            group_members__is_active=True,
        )
        .distinct()
        .order_by("sort_order", "code")
    )
    return lines or [organization]


def organization_sites(*, organization: Organization) -> list[tuple[int, str]]:
    """(id, name) of the active sites where an organization takes consultations."""
    return list(
        Site.objects.filter(organization=organization, is_active=True)
        .order_by("sort_order", "code")
        .values_list("pk", "name")
    )


def referral_suggestions(
    *, municipality: Municipality, topics: list[str], address: str, exclude: int | None = None
) -> tuple[list[Organization], list[Organization]]:
    """Where to refer a consultation: (the organizations whose 担当地区 covers the address,
    the agencies whose fields fit the topics). Centres bound to other districts are left out
    of the second list when the address says which district the person lives in; the first
    list comes first everywhere it is shown."""
    by_area = (
        [
            o
            for o in organizations_for_address(municipality=municipality, address=address)
            if o.pk != exclude
        ]
        if address
        else []
    )
    topic_orgs = organizations_for_topics(municipality=municipality, topics=topics).exclude(
        pk=exclude or 0
    )
    matched = areas_for_address(municipality=municipality, address=address) if address else []
    if matched:
        # the areas that cover the address: its district, the zones above it, the whole city
        parents = dict(
            Area.objects.filter(municipality=municipality).values_list("pk", "parent_id")
        )
        allowed: set[int] = set(
            Area.objects.filter(municipality=municipality, kind=Area.Kind.CITY).values_list(
                "pk", flat=True
            )
        )
        for area in matched:
            current: int | None = area.pk
            while current is not None and current not in allowed:
                allowed.add(current)
                current = parents.get(current)
        elsewhere = Organization.objects.filter(
            municipality=municipality, areas__isnull=False
        ).exclude(areas__in=allowed)
        topic_orgs = topic_orgs.exclude(pk__in=elsewhere.values("pk"))
    area_ids = {o.pk for o in by_area}
    return by_area, [o for o in topic_orgs[:12] if o.pk not in area_ids][:8]
