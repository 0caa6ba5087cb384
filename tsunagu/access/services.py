"""Writes of grants and of the access log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.selectors import PersonAccess, user_organization
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.referrals.models import Basis, Referral


@dataclass(frozen=True)
class LogEntry:
    """One row for `access_log_many`: what was read or written, whose, and on what basis."""

    obj: models.Model
    person: Person | None
    via: str
    grant: AccessGrant | None = None


def _log_rows(
    *,
    user: User | None,
    organization: Organization | None,
    action: str,
    entries: Iterable[LogEntry],
    channel: str,
    operator: str = "",
) -> int:
    created = AccessLog.objects.bulk_create(
        (
            AccessLog(
                user=user,
                organization=organization,
                operator=operator[:150],
                action=action,
                person=e.person,
                object_type=e.obj._meta.label_lower,
                object_id=str(e.obj.pk),
                via=e.via,
                grant=e.grant,
                channel=channel,
            )
            for e in entries
        ),
        batch_size=500,
    )
    return len(created)


def access_log(
    *,
    user: User,
    action: str,
    obj: models.Model,
    person: Person | None,
    via: str,
    grant: AccessGrant | None = None,
    channel: str = "web",
) -> None:
    """Record one read or write of personal data."""
    access_log_many(
        user=user, action=action, entries=[LogEntry(obj, person, via, grant)], channel=channel
    )


def access_log_many(
    *, user: User, action: str, entries: Iterable[LogEntry], channel: str = "web"
) -> None:
    """Record many reads or writes at once (one insert per batch): a batch import."""
    _log_rows(
        user=user,
        organization=user_organization(user),
        action=action,
        entries=entries,
        channel=channel,
    )


def access_log_persons(
    *, user: User, action: str, accesses: Iterable[PersonAccess], channel: str = "web"
) -> None:
    """Record that a list or search result showed these persons (one row each)."""
    access_log_many(
        user=user,
        action=action,
        entries=(
            LogEntry(obj=a.person, person=a.person, via=a.via, grant=a.grant) for a in accesses
        ),
        channel=channel,
    )


def access_log_command(
    *, operator: str, user: User | None, action: str, persons: Iterable[Person]
) -> int:
    """Record that an administrator's command read these persons (one row each).

    `operator` is the operating-system login that ran it; `user`, when the command was given a
    staff account, the member of staff it ran for. Returns the number of rows written.
    """
    if not operator and user is None:
        raise ValueError("a command's access needs an operator or a user")
    return _log_rows(
        user=user,
        organization=user_organization(user) if user is not None else None,
        operator=operator,
        action=action,
        entries=(LogEntry(obj=p, person=p, via=AccessLog.Via.ROLE) for p in persons),
        channel="cli",
    )


def grant_for_referral(*, referral: Referral, user: User) -> AccessGrant | None:
    """The grant a referral opens for the receiving organization (none without a person)."""
    if referral.person is None:
        return None
    valid_until: dt.date | None = None
    if referral.basis == Basis.CONSENT and referral.consent is not None:
        valid_until = referral.consent.valid_until
    return AccessGrant.objects.create(
        person=referral.person,
        organization=referral.to_organization,
        consultation=referral.consultation,
        includes_content=referral.share_content,
        includes_contact=referral.share_contact,
        includes_address=referral.share_address,
        basis=referral.basis,
        consent=referral.consent,
        referral=referral,
        meeting_body=referral.meeting_body,
        statute=referral.statute,
        valid_from=timezone.now(),
        valid_until=valid_until,
        created_by=user,
    )


def grants_end(*, grants: models.QuerySet[AccessGrant], reason: str) -> int:
    """End grants now (they stay as history)."""
    return grants.filter(ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)


def grants_end_for_consent(*, consent: Consent, reason: str) -> int:
    return grants_end(grants=AccessGrant.objects.filter(consent=consent), reason=reason)


def consent_covers(*, consent: Consent, organization: Organization, on: dt.date) -> bool:
    """Whether a consent allows sharing with `organization` on a day."""
    if consent.withdrawn_at is not None:
        return False
    if consent.valid_from > on or (consent.valid_until is not None and consent.valid_until < on):
        return False
    return consent.scope_organizations.filter(pk=organization.pk).exists()
