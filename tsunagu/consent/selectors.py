"""Reads of consents: those the user's organization obtained (nobody else reads them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from tsunagu.access.models import AccessLog
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.people.access import PersonAccess
from tsunagu.people.models import Person


def consents_in_force(*, user: User, person: Person, on: dt.date) -> QuerySet[Consent]:
    """The user's organization's consents of a person that are in force on a day (to choose a
    basis from; the choice itself is logged by the referral that uses it)."""
    return (
        Consent.objects.held_by(user)
        .filter(person=person, withdrawn_at__isnull=True, valid_from__lte=on)
        .exclude(valid_until__lt=on)
    )


def person_consents_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's 本人同意 section: for the holder only, logged."""
    if not access.own:
        return None
    consents = list(
        Consent.objects.held_by(user)
        .filter(person=access.person)
        .prefetch_related("scope_organizations")
    )
    access_log_shown(
        user=user,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
        shown=[Shown(obj=c, person=access.person, via=AccessLog.Via.OWN) for c in consents],
    )
    return {"consents": consents}
