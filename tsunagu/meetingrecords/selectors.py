"""Reads of meeting records: the lists a user sees, and the counts for the evaluation.

The counts (開催回数 by body and kind, cases discussed, attendances by organization) name no
person: every staff member of the city may read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.cases.access import CaseAccess
from tsunagu.cases.models import Case, CaseMember, CaseStatus
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.core.once import form_token_new
from tsunagu.meetingrecords.coverage import (
    Member,
    attendee_organizations,
    consent_recorded,
    covered,
    persons_of,
    without_gaps,
)
from tsunagu.meetingrecords.models import (
    ActionItem,
    AgendaItem,
    AgendaKind,
    Meeting,
    MeetingAttendee,
)
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


def cases_ready_to_move(*, user: User, meeting: Meeting, only: Case | None = None) -> list[Case]:
    """From 支援会議 to 重層的支援会議: the cases the user sees that were discussed at a
    confidential meeting held on or before this one's day (as a case, or as a person now a
    member of the case), are not yet on this meeting's agenda, and whose members' consent,
    effective on this meeting's date, covers the secretariat and every attendee. Offered on
    the agenda of a 重層的支援会議."""
    if not meeting.requires_consent:
        return []
    # discussed there on or before this meeting's day; read by the database as subqueries (a
    # hub's years of agenda items are not brought into Python)
    discussed = AgendaItem.objects.visible_to(user).filter(
        meeting__kind__in=STATUTORY_CONFIDENTIAL_KINDS, meeting__held_on__lte=meeting.held_on
    )
    # unscoped: which cases hold a discussed person now; the cases are then the user's visible
    members_discussed = CaseMember.dangerously_unscoped.filter(
        removed_at__isnull=True,
        person_id__in=discussed.filter(person__isnull=False).values("person_id"),
    ).values("case_id")
    on_agenda = AgendaItem.objects.visible_to(user).filter(meeting=meeting).values("case_id")
    candidates = (
        Case.objects.visible_to(user)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(pk__in=on_agenda)
        .filter(
            Q(pk__in=discussed.filter(case__isnull=False).values("case_id"))
            | Q(pk__in=members_discussed)
        )
        .order_by("title", "pk")
    )
    if only is not None:
        candidates = candidates.filter(pk=only.pk)
    organizations = [meeting.secretariat, *attendee_organizations(meeting)]
    cases = list(candidates)
    # the members of every candidate and the consents covering them, read once (not per case)
    members: dict[int, list[Member]] = {c.pk: [] for c in cases}
    # unscoped: the members of cases the user sees, to decide whether their consent covers
    # them (who, and whose record: values, not records)
    for case_id, person_id, holder_id in CaseMember.dangerously_unscoped.filter(
        case__in=cases, removed_at__isnull=True
    ).values_list("case_id", "person_id", "person__organization_id"):
        members[case_id].append(Member(person_id, holder_id))
    persons = [p for ps in members.values() for p in ps]
    pairs = covered(persons, organizations, meeting.held_on)
    return [c for c in cases if without_gaps(members[c.pk], organizations, pairs)]


# --- action items on the work lists ------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    """An open action item assigned to the user's organization, on its work list."""

    action: ActionItem
    overdue: bool
    form_token: str  # the one-time token of its 完了 form


def action_items_for(*, user: User, today: dt.date | None = None) -> list[ActionRow]:
    """The open action items (宿題) assigned to the user's organization at meetings it may see
    (a confidential meeting only once its pledge is recorded), earliest due first, overdue
    marked; logged as a list read, one row per action item."""
    organization = user_organization(user)
    today = today or timezone.localdate()
    actions = list(
        ActionItem.objects.visible_to(user)
        .filter(organization=organization, done_on__isnull=True)
        .select_related("meeting__body", "meeting__secretariat", "agenda_item")
        .order_by("due_on", "pk")
    )
    access_log_shown(
        user=user,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
        shown=[
            Shown(
                obj=a,
                person=None,
                via=AccessLog.Via.OWN
                if a.meeting.secretariat_id == organization.pk
                else AccessLog.Via.ROLE,
            )
            for a in actions
        ],
    )
    return [ActionRow(a, a.due_on < today, form_token_new()) for a in actions]


def work_actions_section(*, user: User) -> dict[str, Any] | None:
    """The work list's (cases:work) section of meeting action items; none when there are none."""
    rows = action_items_for(user=user)
    return {"rows": rows} if rows else None


# --- the case page: from 支援会議 to 重層的支援会議 -----------------------------------------


def case_meetings_section(*, user: User, access: CaseAccess) -> dict[str, Any] | None:
    """On the case page of its coordinating organization: when the case was discussed at a
    confidential meeting (支援会議) and a consent now covers the secretariat and attendees of an
    upcoming 重層的支援会議 the organization convenes, the case can move: offer to put it on that
    agenda (one-time token per form). With no such meeting yet, but a consent recorded, say so
    and link to convening one. Other organizations get nothing here."""
    case = access.case
    if not access.coordinating or case.status == CaseStatus.CLOSED:
        return None
    discussed = AgendaItem.objects.visible_to(user).filter(
        meeting__kind__in=STATUTORY_CONFIDENTIAL_KINDS
    )
    persons = persons_of(case, None)
    if not discussed.filter(Q(case=case) | Q(person_id__in=[p.pk for p in persons])).exists():
        return None
    today = timezone.localdate()
    upcoming = [
        m
        for m in Meeting.objects.visible_to(user)
        .filter(secretariat=user_organization(user), held_on__gte=today)
        .select_related("body", "secretariat")
        .order_by("held_on", "pk")
        if m.requires_consent
    ]
    on_agenda = set(
        AgendaItem.objects.visible_to(user)
        .filter(meeting__in=upcoming, case=case)
        .values_list("meeting_id", flat=True)
    )
    ready = [
        (m, form_token_new())
        for m in upcoming
        if m.pk not in on_agenda and cases_ready_to_move(user=user, meeting=m, only=case)
    ]
    return {
        "case": case,
        "ready": ready,
        "listed": [m for m in upcoming if m.pk in on_agenda],
        # a consent recorded for the case's people, but no upcoming meeting it fits yet
        "consented": consent_recorded(persons, today),
    }
