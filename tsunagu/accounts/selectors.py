"""Reads of staff."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tsunagu.accounts.models import Role, RoleAssignment
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.organizations.models import Municipality, Organization


@dataclass
class RosterEntry:
    organization: Organization
    assignments: list[RoleAssignment]


@dataclass
class LiaisonEntry:
    """A 課 that names a 庁内連携担当 (相談支援推進員・コネクター…), and who holds it."""

    department: Organization
    assignments: list[RoleAssignment]


@dataclass
class Roster:
    entries: list[RosterEntry]
    liaisons: list[LiaisonEntry]


def staff_roster(*, municipality: Municipality, fiscal_year: int) -> Roster:
    """業務担当名簿: who holds which role at which organization during a fiscal year, and each
    課's 庁内連携担当 under the city's title (empty when nobody is registered yet)."""
    first, last = fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)
    assignments = (
        RoleAssignment.objects.filter(
            user__organization__municipality=municipality,
            user__is_active=True,
            start_date__lte=last,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .select_related("user__organization")
        .order_by(
            "user__organization__kind",
            "user__organization__sort_order",
            "user__organization__code",
            "role",
            "user__last_name",
            "user__first_name",
        )
    )
    entries: dict[int, RosterEntry] = {}
    for a in assignments:
        org = a.user.organization
        if org is None:  # excluded by the query; keeps the type checker honest
            continue
        entries.setdefault(org.pk, RosterEntry(organization=org, assignments=[]))
        entries[org.pk].assignments.append(a)
    liaisons = [
        LiaisonEntry(
            department=department,
            assignments=[a for a in entries[department.pk].assignments if a.role == Role.LIAISON]
            if department.pk in entries
            else [],
        )
        for department in Organization.objects.filter(
            municipality=municipality,
            kind=Organization.Kind.DEPARTMENT,
            is_active=True,
        )
        .exclude(liaison_title="")
        .order_by("sort_order", "code")
    ]
    return Roster(entries=list(entries.values()), liaisons=liaisons)
