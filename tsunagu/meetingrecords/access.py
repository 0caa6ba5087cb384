"""Who may see a meeting record, and the people on its agenda as far as each one's basis allows:
the entry points every page, endpoint and print of a meeting uses. Each one logs what it returns.

The secretariat holds the meeting (`via=own`); an attending organization sees it (for a
confidential body: once its attendee's pledge is recorded). A person on the agenda is shown to an
attendee of a confidential body under the grant the meeting opened (the access-log row names that
grant, and so the meeting and its agenda item); to anyone else as `people.access` allows (own
record, or another live grant); otherwise the item shows that a person was discussed, not who.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import Http404

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import live_grants, user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.cases.models import CaseMember
from tsunagu.meetingrecords.models import (
    ActionItem,
    AgendaItem,
    Meeting,
    MeetingAttendee,
    MeetingDecision,
)
from tsunagu.people.access import PersonAccess, person_accesses
from tsunagu.people.models import Person

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


@dataclass(frozen=True)
class ItemView:
    """An agenda item as this user may see it: `persons` are the people it names that the user
    may see (with the basis); `hidden` counts those the user may not."""

    item: AgendaItem
    persons: list[PersonAccess]
    hidden: int


@dataclass(frozen=True)
class MeetingAccess:
    meeting: Meeting
    holder: bool  # the user's organization is the secretariat
    attendees: list[MeetingAttendee]
    items: list[ItemView]
    decisions: list[MeetingDecision]
    actions: list[ActionItem]

    def shown(
        self, obj: object | None = None, *, persons_of: list[ItemView] | None = None
    ) -> list[Shown]:
        """The access-log rows of showing `obj` (default: the meeting): one per person shown, of
        every item or of the items `persons_of` (none: one row naming the meeting)."""
        target = obj if obj is not None else self.meeting
        rows: dict[int, Shown] = {}
        for view in self.items if persons_of is None else persons_of:
            for p in view.persons:
                rows.setdefault(
                    p.person.pk,
                    Shown(obj=target, person=p.person, via=p.via, grant=p.grant),  # type: ignore[arg-type]
                )
        via = Via.OWN if self.holder else Via.ROLE
        return list(rows.values()) or [Shown(obj=target, person=None, via=via)]  # type: ignore[arg-type]


def _item_persons(items: list[AgendaItem]) -> dict[int, list[Person]]:
    case_ids = [i.case_id for i in items if i.case_id is not None]
    members: dict[int, list[Person]] = {}
    # unscoped: the members of the cases on an agenda the user already sees; each person is then
    # shown only on the user's own basis (below)
    for m in (
        CaseMember.dangerously_unscoped.filter(case_id__in=case_ids, removed_at__isnull=True)
        .select_related("person__organization", "person__household_membership__household")
        .order_by("case_id", "-is_principal", "pk")
    ):
        members.setdefault(m.case_id, []).append(m.person)
    out: dict[int, list[Person]] = {}
    for i in items:
        if i.person is not None:
            out[i.pk] = [i.person]
        elif i.case_id is not None:
            out[i.pk] = members.get(i.case_id, [])
        else:
            out[i.pk] = []
    return out


def meeting_accesses(*, user: User, meetings: Iterable[Meeting]) -> dict[int, MeetingAccess]:
    """The meetings this user may see, with their parts and the people on their agendas as the
    user may see them (a fixed number of queries); logs nothing."""
    organization = user_organization(user)
    meetings = list(meetings)
    visible = set(
        Meeting.objects.visible_to(user)
        .filter(pk__in=[m.pk for m in meetings])
        .values_list("pk", flat=True)
    )
    ids = [m.pk for m in meetings if m.pk in visible]
    attendees: dict[int, list[MeetingAttendee]] = {}
    for a in (
        MeetingAttendee.objects.visible_to(user)
        .filter(meeting_id__in=ids)
        .select_related("organization", "pledge")
    ):
        attendees.setdefault(a.meeting_id, []).append(a)
    items = list(
        AgendaItem.objects.visible_to(user)
        .filter(meeting_id__in=ids)
        .select_related(
            "case", "person__organization", "person__household_membership__household", "consent"
        )
    )
    persons = _item_persons(items)
    everyone = {p.pk: p for ps in persons.values() for p in ps}
    accesses = person_accesses(user=user, persons=everyone.values())
    # the grants the meetings opened to this organization: the basis named in the log
    meeting_grants: dict[tuple[int, int], AccessGrant] = {}
    for g in live_grants(organization=organization).filter(meeting_agenda_item__in=items):
        if g.meeting_agenda_item_id is not None:
            meeting_grants[(g.meeting_agenda_item_id, g.person_id)] = g
    views: dict[int, list[ItemView]] = {}
    for i in items:
        shown: list[PersonAccess] = []
        hidden = 0
        for p in persons[i.pk]:
            seen = accesses.get(p.pk)
            grant = meeting_grants.get((i.pk, p.pk))
            if seen is not None and grant is not None and not seen.own:
                seen = PersonAccess(
                    person=p,
                    via=Via.GRANT,
                    grant=grant,
                    contact=grant.includes_contact,
                    address=grant.includes_address,
                )
            if seen is None:
                hidden += 1
            else:
                shown.append(seen)
        views.setdefault(i.meeting_id, []).append(ItemView(item=i, persons=shown, hidden=hidden))
    decisions: dict[int, list[MeetingDecision]] = {}
    for d in MeetingDecision.objects.visible_to(user).filter(meeting_id__in=ids):
        decisions.setdefault(d.meeting_id, []).append(d)
    actions: dict[int, list[ActionItem]] = {}
    for x in (
        ActionItem.objects.visible_to(user)
        .filter(meeting_id__in=ids)
        .select_related("organization")
    ):
        actions.setdefault(x.meeting_id, []).append(x)
    return {
        m.pk: MeetingAccess(
            meeting=m,
            holder=m.secretariat_id == organization.pk,
            attendees=attendees.get(m.pk, []),
            items=views.get(m.pk, []),
            decisions=decisions.get(m.pk, []),
            actions=actions.get(m.pk, []),
        )
        for m in meetings
        if m.pk in visible
    }


def meeting_get_for(
    *,
    user: User,
    meeting_id: int,
    channel: Channel,
    action: Action | None = Action.VIEW,
    holder: bool = False,
) -> MeetingAccess:
    """One meeting as this user may see it, logged (one row per person shown); 404 when none.
    `holder=True`: only the secretariat (to record on it); `action=None` when the caller's
    service logs what it does."""
    meeting = (
        Meeting.objects.visible_to(user)
        .select_related("body__parent", "secretariat", "municipality")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise Http404
    if holder and meeting.secretariat_id != user_organization(user).pk:
        raise Http404
    access = meeting_accesses(user=user, meetings=[meeting])[meeting.pk]
    if action is not None:
        access_log_shown(user=user, action=action, channel=channel, shown=access.shown())
    return access


def meetings_shown(
    *, user: User, meetings: Iterable[Meeting], action: Action, channel: Channel
) -> list[MeetingAccess]:
    """The meetings a list shows: their headings (body, date, place, counts), never the people
    on their agendas; logged as one row per basis, naming the meetings."""
    meetings = list(meetings)
    accesses = meeting_accesses(user=user, meetings=meetings)
    shown = [a for m in meetings if (a := accesses.get(m.pk)) is not None]
    access_log_shown(
        user=user,
        action=action,
        channel=channel,
        shown=[
            Shown(obj=a.meeting, person=None, via=Via.OWN if a.holder else Via.ROLE) for a in shown
        ],
    )
    return shown
