"""Who may see a person record, which of its fields, and on what basis: the entry points every
page, endpoint and export uses to read persons. Each one logs what it returns.

An organization sees a person record because it recorded it (`via=own`), or because a live
`AccessGrant` names it (`via=grant`). "Not allowed" and "not found" are the same 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.http import Http404

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import live_grants, user_organization
from tsunagu.access.services import LogEntry, Shown, access_log, access_log_many, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.people.models import Household, HouseholdMember, Person

ADDRESS_MASK = "（住所秘匿）"

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


@dataclass(frozen=True)
class PersonAccess:
    """How a user may see one person record: which fields, and on what basis."""

    person: Person
    via: Via
    grant: AccessGrant | None
    contact: bool
    address: bool

    @property
    def own(self) -> bool:
        return self.via == Via.OWN

    @property
    def address_text(self) -> str:
        """The address as this user may see it: 住所秘匿 masks it for everyone but the holder."""
        if self.person.address_protection_applies and not self.own:
            return ADDRESS_MASK
        return self.person.address if self.address else ""

    @property
    def postal_code_text(self) -> str:
        if self.person.address_protection_applies and not self.own:
            return ""
        return self.person.postal_code if self.address else ""

    @property
    def phone_text(self) -> str:
        return self.person.phone if self.contact else ""

    def shown(self, obj: object | None = None) -> Shown:
        """This access as a row of the access log, naming `obj` (default: the person record)."""
        return Shown(
            obj=obj if obj is not None else self.person,  # type: ignore[arg-type]
            person=self.person,
            via=self.via,
            grant=self.grant,
        )


@dataclass(frozen=True)
class Basis:
    """Why a user may see a person record (before it is loaded): held by the user's
    organization, or named by these live grants (newest first)."""

    via: Via
    grants: tuple[AccessGrant, ...] = ()

    def access(self, person: Person) -> PersonAccess:
        if self.via == Via.OWN:
            return PersonAccess(person=person, via=Via.OWN, grant=None, contact=True, address=True)
        return PersonAccess(
            person=person,
            via=Via.GRANT,
            grant=self.grants[0],
            contact=any(g.includes_contact for g in self.grants),
            address=any(g.includes_address for g in self.grants),
        )


def person_bases(*, user: User, holders: Mapping[int, int]) -> dict[int, Basis]:
    """The basis on which the user may see each person, given as person id → the id of the
    organization holding the record (one query for the grants); those not visible are absent.
    For a search that decides which of its candidates to load; logs nothing."""
    organization = user_organization(user)
    out = {pk: Basis(Via.OWN) for pk, holder in holders.items() if holder == organization.pk}
    others = [pk for pk in holders if pk not in out]
    if others:
        grants: dict[int, list[AccessGrant]] = {}
        # newest first, ordered here: a handful of rows, and a search reads them every time
        for g in sorted(
            live_grants(organization=organization).filter(person_id__among_ids=others),
            key=lambda g: (g.valid_from, g.pk),
            reverse=True,
        ):
            grants.setdefault(g.person_id, []).append(g)
        out.update((pk, Basis(Via.GRANT, tuple(found))) for pk, found in grants.items())
    return out


def person_accesses(*, user: User, persons: Iterable[Person]) -> dict[int, PersonAccess]:
    """Access for many persons at once (one query for the grants); those not visible are absent.
    Logs nothing: the entry points below log what they return."""
    persons = list(persons)
    bases = person_bases(user=user, holders={p.pk: p.organization_id for p in persons})
    return {p.pk: bases[p.pk].access(p) for p in persons if p.pk in bases}


def person_get_for(
    *,
    user: User,
    person_id: int,
    channel: Channel,
    action: Action = Action.VIEW,
    own: bool = False,
) -> PersonAccess:
    """One person record as this user may see it, logged; 404 when none (or not found).
    `own=True`: only the organization holding the record (to change it)."""
    person = (
        Person.objects.visible_to(user)
        .select_related("organization", "household_membership__household")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise Http404
    access = person_accesses(user=user, persons=[person]).get(person.pk)
    if access is None or (own and not access.own):
        raise Http404
    access_log(
        user=user,
        action=action,
        obj=person,
        person=person,
        via=access.via,
        grant=access.grant,
        channel=channel,
    )
    return access


def persons_shown(
    *, user: User, persons: Iterable[Person], action: Action, channel: Channel
) -> dict[int, PersonAccess]:
    """The accesses to persons a page or endpoint shows (the invisible ones left out), logged
    one row per person."""
    accesses = person_accesses(user=user, persons=persons)
    access_log_shown(
        user=user, action=action, channel=channel, shown=[a.shown() for a in accesses.values()]
    )
    return accesses


@dataclass(frozen=True)
class HouseholdAccess:
    """A household as its holder sees it: the record and its members."""

    household: Household
    members: list[HouseholdMember]


def household_get_for(
    *, user: User, household_id: int, channel: Channel, action: Action = Action.VIEW
) -> HouseholdAccess:
    """One household, for the organization that recorded it only (a household is its holder's
    alone; anyone else gets the 404 of not found), logged once per member shown."""
    household = Household.objects.visible_to(user).filter(pk=household_id).first()
    if household is None:
        raise Http404
    members = list(
        HouseholdMember.objects.visible_to(user)
        .filter(household=household)
        .select_related("person")
        .order_by("pk")
    )
    access_log_many(
        user=user,
        action=action,
        entries=[LogEntry(household, m.person, Via.OWN) for m in members]
        or [LogEntry(household, None, Via.OWN)],
        channel=channel,
    )
    return HouseholdAccess(household=household, members=members)
