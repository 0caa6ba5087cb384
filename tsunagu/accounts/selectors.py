"""Reads of staff."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from tsunagu.accounts.models import RoleAssignment, User
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.organizations.models import Municipality, Organization


@dataclass
class RosterEntry:
    organization: Organization
    assignments: list[RoleAssignment]


def staff_roster(*, municipality: Municipality, fiscal_year: int) -> list[RosterEntry]:
    """業務担当名簿: who holds which role at which organization during a fiscal year."""
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
    return list(entries.values())


def organization_staff(*, organization: Organization) -> QuerySet[User]:
    """The active staff of one organization, by name (who may be put in charge of something)."""
    return User.objects.filter(organization=organization, is_active=True).order_by(
        "last_name", "first_name", "pk"
    )
