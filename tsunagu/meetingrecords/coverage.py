"""Whether a consent covers a meeting: the rule of the 重層的支援会議 (a case or person goes on
its agenda only with a consent effective on the meeting date covering every attending
organization). Used by the services (refusing) and the selectors (offering the cases that can
move from a 支援会議)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from tsunagu.cases.models import Case, CaseMember
from tsunagu.consent.models import Consent
from tsunagu.meetingrecords.models import Meeting, MeetingAttendee
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person


def _effective_on(on: dt.date) -> Q:
    """A consent effective on `on`: begun, not yet ended, and not withdrawn by the day's end."""
    return (
        Q(valid_from__lte=on)
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        & (
            Q(withdrawn_at__isnull=True)
            | Q(withdrawn_at__gt=timezone.make_aware(dt.datetime.combine(on, dt.time.max)))
        )
    )


def consent_on(person: Person, organization: Organization, on: dt.date) -> Consent | None:
    """The newest consent of this person record effective on `on` (not withdrawn by then) that
    covers `organization`."""
    # unscoped: the basis of a share is decided from the person's consents, whoever holds them
    return (
        Consent.dangerously_unscoped.filter(
            _effective_on(on), person=person, scope_organizations=organization
        )
        .order_by("-valid_from", "-pk")
        .first()
    )


def consent_recorded(persons: list[Person], on: dt.date) -> bool:
    """Whether any of these person records has a consent effective on `on` (any scope)."""
    # unscoped: whether a consent exists, to say that a case can move; nothing is shown
    return Consent.dangerously_unscoped.filter(_effective_on(on), person__in=persons).exists()


def persons_of(item_case: Case | None, item_person: Person | None) -> list[Person]:
    if item_person is not None:
        return [item_person]
    if item_case is None:
        return []
    # unscoped: the members of a case the secretariat may see, to decide the basis of a share
    return [
        m.person
        for m in CaseMember.dangerously_unscoped.filter(
            case=item_case, removed_at__isnull=True
        ).select_related("person__household_membership__household")
    ]


def consent_gaps(
    persons: list[Person], organizations: list[Organization | None], on: dt.date
) -> tuple[list[str], Consent | None]:
    """The reasons a consent does not cover these attendees, and the principal's consent."""
    reasons: list[str] = []
    first: Consent | None = None
    for p in persons:
        for o in organizations:
            if o is None:
                reasons.append("機関に属さない出席者は本人同意の提供先に含められません")
                continue
            if p.organization_id == o.pk:
                continue
            consent = consent_on(p, o, on)
            if consent is None:
                reasons.append(f"{o.name}は{on:%Y-%m-%d}に有効な本人同意の提供先に含まれていません")
            elif first is None:
                first = consent
    return list(dict.fromkeys(reasons)), first


class Member(NamedTuple):
    """A person as the coverage rule reads them: who, and which organization holds the
    record (read as values, not as a record: `selectors.cases_ready_to_move`)."""

    pk: int
    organization_id: int


def covered(
    persons: Sequence[Member], organizations: list[Organization | None], on: dt.date
) -> set[tuple[int, int]]:
    """The (person, organization) pairs among these that a consent effective on `on` covers
    (the pairs `consent_on` finds a consent for), in one query: for deciding many cases at once."""
    organization_ids = [o.pk for o in organizations if o is not None]
    if not persons or not organization_ids:
        return set()
    # unscoped: as in `consent_on`, only which pairs are covered is read
    rows = Consent.dangerously_unscoped.filter(
        _effective_on(on),
        person_id__in=[p.pk for p in persons],
        scope_organizations__in=organization_ids,
    ).values_list("person_id", "scope_organizations")
    return {(p, o) for p, o in rows}


def without_gaps(
    persons: Sequence[Member], organizations: list[Organization | None], pairs: set[tuple[int, int]]
) -> bool:
    """Whether `consent_gaps` would find no gap, given the covered pairs (`covered`)."""
    return all(
        o is not None and (p.organization_id == o.pk or (p.pk, o.pk) in pairs)
        for p in persons
        for o in organizations
    )


def attendee_organizations(meeting: Meeting) -> list[Organization | None]:
    # unscoped: the secretariat's own meeting
    return [
        a.organization
        for a in MeetingAttendee.dangerously_unscoped.filter(meeting=meeting).select_related(
            "organization"
        )
    ]
