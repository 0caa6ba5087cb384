"""The one place that decides who may see a person's records, and why.

An organization sees a person record or a consultation because it recorded it (`via=own`), or
because a live `AccessGrant` names it (`via=grant`). Nothing else opens a record: not a link
between records of the same human, not a role, not a city-wide search (which may only say that
a person is known, and to which organization). "Not allowed" and "not found" are the same 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person

ADDRESS_MASK = "（住所秘匿）"


def user_organization(user: User) -> Organization:
    organization = user.organization
    if organization is None:
        raise Http404("所属のない利用者です")
    return organization


def live_grants(
    *, organization: Organization, now: dt.datetime | None = None
) -> QuerySet[AccessGrant]:
    """Grants to `organization` in force now: started, not ended, not expired, consent not
    withdrawn."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return AccessGrant.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        organization=organization,
        ended_at__isnull=True,
        valid_from__lte=now,
    ).exclude(consent__withdrawn_at__isnull=False)


def visible_persons(*, user: User) -> QuerySet[Person]:
    organization = user_organization(user)
    granted = live_grants(organization=organization).values("person_id")
    return Person.objects.filter(Q(organization=organization) | Q(pk__in=granted))


def visible_consultations(*, user: User) -> QuerySet[Consultation]:
    organization = user_organization(user)
    granted = (
        live_grants(organization=organization)
        .filter(includes_content=True)
        .values("consultation_id")
    )
    return Consultation.objects.filter(Q(organization=organization) | Q(pk__in=granted))


@dataclass(frozen=True)
class PersonAccess:
    """How a user may see one person record: which fields, and on what basis."""

    person: Person
    via: str  # AccessLog.Via
    grant: AccessGrant | None
    contact: bool
    address: bool

    @property
    def own(self) -> bool:
        return self.via == AccessLog.Via.OWN

    @property
    def address_text(self) -> str:
        """The address as this user may see it: 住所秘匿 masks it for everyone but the holder."""
        if self.person.address_protected and not self.own:
            return ADDRESS_MASK
        return self.person.address if self.address else ""

    @property
    def postal_code_text(self) -> str:
        if self.person.address_protected and not self.own:
            return ""
        return self.person.postal_code if self.address else ""

    @property
    def phone_text(self) -> str:
        return self.person.phone if self.contact else ""


def _access_from_grants(person: Person, grants: list[AccessGrant]) -> PersonAccess:
    return PersonAccess(
        person=person,
        via=AccessLog.Via.GRANT,
        grant=grants[0],
        contact=any(g.includes_contact for g in grants),
        address=any(g.includes_address for g in grants),
    )


def person_accesses(*, user: User, persons: list[Person]) -> dict[int, PersonAccess]:
    """Access for many persons at once (one query for the grants); those not visible are absent."""
    organization = user_organization(user)
    out: dict[int, PersonAccess] = {}
    others = []
    for p in persons:
        if p.organization_id == organization.pk:
            out[p.pk] = PersonAccess(
                person=p, via=AccessLog.Via.OWN, grant=None, contact=True, address=True
            )
        else:
            others.append(p)
    if others:
        grants: dict[int, list[AccessGrant]] = {}
        for g in (
            live_grants(organization=organization)
            .filter(person__in=others)
            .order_by("-valid_from", "-pk")
        ):
            grants.setdefault(g.person_id, []).append(g)
        for p in others:
            if p.pk in grants:
                out[p.pk] = _access_from_grants(p, grants[p.pk])
    return out


def person_access(*, user: User, person_id: int) -> PersonAccess:
    """The access a user has to one person record; 404 when none (or when it does not exist)."""
    person = (
        Person.objects.select_related("organization", "household_membership__household")
        .filter(pk=person_id, organization__municipality=user_organization(user).municipality)
        .first()
    )
    if person is None:
        raise Http404
    access = person_accesses(user=user, persons=[person]).get(person.pk)
    if access is None:
        raise Http404
    return access


@dataclass(frozen=True)
class ConsultationAccess:
    consultation: Consultation
    via: str
    grant: AccessGrant | None


def consultation_access(*, user: User, consultation_id: int) -> ConsultationAccess:
    """The access a user has to a consultation's content; 404 when none."""
    organization = user_organization(user)
    consultation = (
        Consultation.objects.select_related("organization", "person", "received_by")
        .prefetch_related("topics")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise Http404
    if consultation.organization_id == organization.pk:
        return ConsultationAccess(consultation=consultation, via=AccessLog.Via.OWN, grant=None)
    grant = (
        live_grants(organization=organization)
        .filter(consultation=consultation, includes_content=True)
        .order_by("-valid_from")
        .first()
    )
    if grant is None:
        raise Http404
    return ConsultationAccess(consultation=consultation, via=AccessLog.Via.GRANT, grant=grant)


def person_access_log(*, person: Person) -> QuerySet[AccessLog]:
    return (
        AccessLog.objects.filter(person=person)
        .select_related("user", "organization", "grant")
        .order_by("-at", "-pk")
    )
