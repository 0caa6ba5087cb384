"""Reads of staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from tsunagu.accounts.models import AccountEvent, Role, RoleAssignment, User
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


# --- sign-in security: who must give a second factor, who manages whom, lockouts -----


def has_confirmed_device(user: User) -> bool:
    """Whether the user has enrolled an authenticator app (asked on every page by the second
    factor's middleware: a plain statement, as `User.active_roles`)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    table = connection.ops.quote_name(TOTPDevice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE user_id = %s AND confirmed LIMIT 1",  # noqa: S608
            [user.pk],
        )
        return cursor.fetchone() is not None


def two_factor_required(user: User) -> bool:
    """Every staff member reads personal data, so the city's setting applies to all roles; a
    bootstrap superuser without an organization always needs it, and so does anybody who has
    enrolled an authenticator app (enrolling is pointless otherwise)."""
    organization = user.organization
    if organization is None or organization.municipality.two_factor_required:
        return True
    return has_confirmed_device(user)


def can_manage(manager: User, staff: User) -> bool:
    """Managers and system administrators manage the accounts of their own city only."""
    if manager.organization is None:
        return bool(manager.is_superuser)
    if staff.organization is None:
        return False
    return (
        manager.has_role(Role.MANAGER, Role.ADMIN)
        and staff.organization.municipality_id == manager.organization.municipality_id
    )


def failed_logins(username: str) -> int:
    """Wrong passwords for `username` counted towards a lock (django-axes' rows), now."""
    from axes.models import AccessAttempt

    since = timezone.now() - _cool_off()
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def _cool_off() -> dt.timedelta:
    cool_off = settings.AXES_COOLOFF_TIME
    return cool_off if isinstance(cool_off, dt.timedelta) else dt.timedelta(days=3650)


def is_locked(username: str) -> bool:
    return failed_logins(username) >= settings.AXES_FAILURE_LIMIT


@dataclass
class AccountStatus:
    user: User
    locked: bool
    failures: int
    two_factor: bool
    sessions: int
    tokens: int


def account_status(user: User) -> AccountStatus:
    failures = failed_logins(user.username)
    return AccountStatus(
        user=user,
        locked=failures >= settings.AXES_FAILURE_LIMIT,
        failures=failures,
        two_factor=has_confirmed_device(user),
        sessions=user.sessions.filter(expire_date__gt=timezone.now()).count(),
        tokens=sum(1 for t in user.api_tokens.all() if t.is_live),
    )


def account_events(*, user: User, limit: int = 200) -> list[AccountEvent]:
    """A staff member's sign-in history, newest first: rows linked to the account and failed
    attempts made with its user name."""
    rows = (
        AccountEvent.objects.filter(Q(user=user) | Q(user__isnull=True, username=user.username))
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    return list(rows)


def city_staff(*, manager: User) -> QuerySet[User]:
    """The accounts a manager or administrator may manage: their city's staff."""
    if manager.organization is None:
        return (
            User.objects.filter(is_superuser=True) if manager.is_superuser else User.objects.none()
        )
    return (
        User.objects.filter(organization__municipality_id=manager.organization.municipality_id)
        .select_related("organization")
        .order_by("organization__sort_order", "organization__code", "username")
    )


def organization_staff(*, organization: Organization) -> QuerySet[User]:
    """The active staff of one organization, by name (who may be put in charge of something)."""
    return User.objects.filter(organization=organization, is_active=True).order_by(
        "last_name", "first_name", "pk"
    )
