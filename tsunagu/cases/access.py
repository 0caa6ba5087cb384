"""Who may see a case, and its household members as far as each one's basis allows: the entry
points every page, endpoint and print of a case uses. Each one logs what it returns.

The coordinating organization holds the case (`via=own`). A team organization sees it under its
case-team grant (`via=grant`), or because it holds a member's record itself. Each member's own
person record is shown only as `people.access` allows it (own record, or a live grant); otherwise
the case shows the household picture only: 続柄 and which organization knows the member.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import Http404

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import live_grants, user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.cases.models import Case, CaseMember, CaseRequest
from tsunagu.people.access import PersonAccess, person_accesses

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


@dataclass(frozen=True)
class MemberView:
    """A household member as this user may see them: `person` None means the household
    picture only (続柄, the organization holding the record, no name)."""

    member: CaseMember
    person: PersonAccess | None


@dataclass(frozen=True)
class CaseAccess:
    case: Case
    via: Via
    grant: AccessGrant | None
    members: list[MemberView]
    coordinating: bool  # the user's organization holds (coordinates) the case

    def shown(self, obj: object | None = None) -> list[Shown]:
        """The access-log rows of showing `obj` (default: the case): one per member whose
        record the user may see, or one about no person when none."""
        target = obj if obj is not None else self.case
        rows = [
            Shown(obj=target, person=m.person.person, via=m.person.via, grant=m.person.grant)  # type: ignore[arg-type]
            for m in self.members
            if m.person is not None
        ]
        return rows or [Shown(obj=target, person=None, via=self.via, grant=self.grant)]  # type: ignore[arg-type]


def case_accesses(
    *, user: User, cases: Iterable[Case], checked: bool = False
) -> dict[int, CaseAccess]:
    """The basis each case is seen on, with its members as the user may see them (a fixed
    number of queries); cases not visible are absent. Logs nothing. `checked=True`: the cases
    were just read through `Case.objects.visible_to(user)`, so they are not asked for again."""
    organization = user_organization(user)
    cases = list(cases)
    if checked:
        visible_ids = {c.pk for c in cases}
    else:
        visible_ids = set(
            Case.objects.visible_to(user)
            .filter(pk__in=[c.pk for c in cases])
            .values_list("pk", flat=True)
        )
    grants: dict[int, AccessGrant] = {}
    for g in (
        live_grants(organization=organization)
        .filter(case_team_member__case_id__in=visible_ids)
        .select_related("case_team_member")
        .order_by("valid_from", "pk")
    ):
        if g.case_team_member is not None:
            grants[g.case_team_member.case_id] = g
    # a member is seen exactly when its case is (`CasePartQuerySet`), and these cases are
    # visible (checked just above, or by the caller's read through the door)
    # unscoped: the members of the visible cases
    members = list(
        CaseMember.dangerously_unscoped.filter(case_id__in=visible_ids, removed_at__isnull=True)
        .select_related("person__organization", "person__household_membership__household")
        .order_by("case_id", "-is_principal", "pk")
    )
    persons = person_accesses(user=user, persons=[m.person for m in members])
    by_case: dict[int, list[MemberView]] = {}
    for m in members:
        by_case.setdefault(m.case_id, []).append(
            MemberView(member=m, person=persons.get(m.person_id))
        )
    out = {}
    for c in cases:
        if c.pk not in visible_ids:
            continue
        if c.organization_id == organization.pk:
            via, grant = Via.OWN, None
        elif c.pk in grants:
            via, grant = Via.GRANT, grants[c.pk]
        else:  # holds a member's record and is on the team
            via, grant = Via.OWN, None
        out[c.pk] = CaseAccess(
            case=c,
            via=via,
            grant=grant,
            members=by_case.get(c.pk, []),
            coordinating=c.organization_id == organization.pk,
        )
    return out


def case_get_for(
    *,
    user: User,
    case_id: int,
    channel: Channel,
    action: Action | None = Action.VIEW,
    coordinating: bool = False,
) -> CaseAccess:
    """One case as this user may see it, logged (one row per member shown); 404 when none.
    `coordinating=True`: only the coordinating organization (to change the case);
    `action=None` when the caller's service logs what it does."""
    case = (
        Case.objects.visible_to(user)
        .select_related("organization__municipality", "lead_coordinator", "origin_consultation")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    if coordinating and case.organization_id != user_organization(user).pk:
        raise Http404
    access = case_accesses(user=user, cases=[case], checked=True)[case.pk]
    if action is not None:
        access_log_shown(user=user, action=action, channel=channel, shown=access.shown())
    return access


def cases_shown(
    *, user: User, cases: Iterable[Case], action: Action, channel: Channel
) -> list[CaseAccess]:
    """The cases a list or endpoint shows, as the user may see them, logged one row per person
    shown (naming that person's cases)."""
    cases = list(cases)
    accesses = case_accesses(user=user, cases=cases)
    shown = [a for c in cases if (a := accesses.get(c.pk)) is not None]
    access_log_shown(
        user=user, action=action, channel=channel, shown=[s for a in shown for s in a.shown()]
    )
    return shown


def case_request_get_for(
    *, user: User, request_id: int, channel: Channel, log: bool = True
) -> CaseRequest:
    """A case request the user's organization sent or received; 404 for anyone else. Its
    consultation and person are read through the referral's own entry points."""
    request = (
        CaseRequest.objects.visible_to(user)
        .select_related(
            "referral__from_organization",
            "referral__to_organization",
            "referral__consultation",
            "referral__person__household_membership__household",
            "case",
        )
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise Http404
    if log:
        case_requests_shown(user=user, requests=[request], channel=channel, action=Action.VIEW)
    return request


def case_requests_shown(
    *, user: User, requests: list[CaseRequest], channel: Channel, action: Action = Action.LIST
) -> list[CaseRequest]:
    """Case requests a list shows (their notes are about a person), logged one row per person
    on the basis the user has: the sender's own consultation, or the receiver's grant (or its
    duty to answer, once the grant has ended)."""
    organization = user_organization(user)
    persons = person_accesses(
        user=user, persons=[r.referral.person for r in requests if r.referral.person is not None]
    )
    shown = []
    for r in requests:
        person = r.referral.person
        a = persons.get(person.pk) if person is not None else None
        if a is not None:
            via, grant = a.via, a.grant
        elif r.referral.from_organization_id == organization.pk:
            via, grant = Via.OWN, None
        else:
            via, grant = Via.ROLE, None
        shown.append(Shown(obj=r, person=person, via=via, grant=grant))
    access_log_shown(user=user, action=action, channel=channel, shown=shown)
    return requests
