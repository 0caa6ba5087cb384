"""Reads of meeting records: the lists a user sees, and the counts for the evaluation.

The counts (開催回数 by body and kind, cases discussed, attendances by organization) name no
person: every staff member of the city may read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.cases.models import Case, CaseStatus
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.meetingrecords.coverage import attendee_organizations, consent_gaps, persons_of
from tsunagu.meetingrecords.models import AgendaItem, AgendaKind, Meeting, MeetingAttendee
from tsunagu.meetings.models import STATUTORY_CONFIDENTIAL_KINDS, MeetingBodyKind
from tsunagu.organizations.models import Municipality


def meetings_for(
    *, user: User, fiscal_year: int | None = None, upcoming: bool = False
) -> QuerySet[Meeting]:
    """The meetings the user's organization convened or attends, newest first."""
    meetings = Meeting.objects.visible_to(user).select_related("body", "secretariat")
    if fiscal_year is not None:
        first, last = fiscal_year_bounds(fiscal_year)
        meetings = meetings.filter(held_on__range=(first, last))
    if upcoming:
        meetings = meetings.filter(held_on__gte=timezone.localdate()).order_by("held_on", "pk")
    return meetings


@dataclass
class BodyCount:
    """One meeting body in one role, in one fiscal year."""

    body_id: int
    body_name: str
    kind: str
    kind_label: str
    held: int = 0  # meetings held (the meeting date has come)
    cases: int = 0  # distinct cases discussed
    persons: int = 0  # distinct persons discussed before they were a case
    topics: int = 0


@dataclass
class MeetingCounts:
    fiscal_year: int
    bodies: list[BodyCount] = field(default_factory=list)
    # attendances by organization (an outside participant counts under its affiliation)
    attendances: dict[str, int] = field(default_factory=dict)

    @property
    def held(self) -> int:
        return sum(b.held for b in self.bodies)


def meeting_counts(
    *, municipality: Municipality, fiscal_year: int, today: dt.date | None = None
) -> MeetingCounts:
    """開催回数 by body and kind, cases and persons discussed, attendances by organization, for
    one fiscal year; only meetings whose date has come count."""
    first, last = fiscal_year_bounds(fiscal_year)
    last = min(last, today or timezone.localdate())
    # unscoped: counts only, no person named; the city's evaluation
    held = Meeting.dangerously_unscoped.filter(
        municipality=municipality, held_on__range=(first, last)
    )
    counts = MeetingCounts(fiscal_year=fiscal_year)
    by_key: dict[tuple[int, str], BodyCount] = {}
    for row in (
        held.values("body_id", "body__name", "body__sort_order", "kind")
        .annotate(n=Count("pk"))
        .order_by("body__sort_order", "body_id", "kind")
    ):
        count = BodyCount(
            body_id=row["body_id"],
            body_name=row["body__name"],
            kind=row["kind"],
            kind_label=str(MeetingBodyKind(row["kind"]).label),
            held=row["n"],
        )
        by_key[(row["body_id"], row["kind"])] = count
        counts.bodies.append(count)
    # unscoped: as above
    for items in (
        AgendaItem.dangerously_unscoped.filter(meeting__in=held)
        .values("meeting__body_id", "meeting__kind")
        .annotate(
            cases=Count("case_id", distinct=True, filter=Q(kind=AgendaKind.CASE)),
            persons=Count("person_id", distinct=True, filter=Q(kind=AgendaKind.PERSON)),
            topics=Count("pk", filter=Q(kind=AgendaKind.TOPIC)),
        )
        .order_by()
    ):
        c = by_key[(items["meeting__body_id"], items["meeting__kind"])]
        c.cases, c.persons, c.topics = items["cases"], items["persons"], items["topics"]
    # unscoped: as above
    for present in (
        MeetingAttendee.dangerously_unscoped.filter(meeting__in=held)
        .values("organization__name", "affiliation")
        .annotate(n=Count("pk"))
        .order_by("organization__name", "affiliation")
    ):
        name = present["organization__name"] or present["affiliation"] or "（所属なし）"
        counts.attendances[name] = counts.attendances.get(name, 0) + present["n"]
    return counts


def cases_ready_to_move(*, user: User, meeting: Meeting) -> list[Case]:
    """From 支援会議 to 重層的支援会議: the cases the user sees that were discussed at a
    confidential meeting (as a case, or as a person now a member of the case), are not yet on
    this meeting's agenda, and whose members' consent, effective on this meeting's date, covers
    the secretariat and every attendee. Offered on the agenda of a 重層的支援会議."""
    if not meeting.requires_consent:
        return []
    discussed = (
        AgendaItem.objects.visible_to(user)
        .filter(meeting__kind__in=STATUTORY_CONFIDENTIAL_KINDS)
        .values_list("case_id", "person_id")
    )
    case_ids = {c for c, _ in discussed if c is not None}
    person_ids = {p for _, p in discussed if p is not None}
    on_agenda = AgendaItem.objects.visible_to(user).filter(meeting=meeting).values("case_id")
    candidates = (
        Case.objects.visible_to(user)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(pk__in=on_agenda)
        .filter(
            Q(pk__in=case_ids)
            | Q(members__person_id__in=person_ids, members__removed_at__isnull=True)
        )
        .distinct()
        .order_by("title")
    )
    organizations = [meeting.secretariat, *attendee_organizations(meeting)]
    return [
        c
        for c in candidates
        if not consent_gaps(persons_of(c, None), organizations, meeting.held_on)[0]
    ]
