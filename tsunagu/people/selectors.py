"""Reads of persons: identity search at intake, households."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from tsunagu.access.selectors import PersonAccess, person_accesses, user_organization
from tsunagu.accounts.models import User
from tsunagu.people import matching
from tsunagu.people.models import HouseholdMember, Person, PersonKey, PersonLink
from tsunagu.people.services import person_facts

# A search never ranks more candidates than this (blocking keeps it far below at real sizes).
MAX_CANDIDATES = 5000


@dataclass(frozen=True)
class SearchHit:
    access: PersonAccess
    match: matching.Match


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    # organizations that know a strongly matching person the user may not see: only their names
    known_elsewhere: list[str]


def person_search(
    *, user: User, query: str, birth_date: dt.date | None = None, limit: int = 20
) -> SearchResult:
    """Find a person city-wide by name, ふりがな, birth date, phone or address, however written.

    Records the user may see come back ranked with the reasons that matched; a strong match the
    user may not see says only which organization knows the person.
    """
    municipality = user_organization(user).municipality
    keys = matching.query_keys(query, birth_date)
    if not keys:
        return SearchResult(hits=[], known_elsewhere=[])
    candidate_ids = list(
        PersonKey.objects.filter(key__in=keys, person__organization__municipality=municipality)
        .values_list("person_id", flat=True)
        .distinct()[:MAX_CANDIDATES]
    )
    persons = list(Person.objects.filter(pk__in=candidate_ids).select_related("organization"))
    ranked = matching.search(
        query, birth_date, [(p, person_facts(p)) for p in persons], limit=limit * 3
    )
    accesses = person_accesses(user=user, persons=[p for p, _ in ranked])
    hits = [SearchHit(access=accesses[p.pk], match=m) for p, m in ranked if p.pk in accesses]
    elsewhere = sorted(
        {
            p.organization.name
            for p, m in ranked
            if p.pk not in accesses and m.score >= matching.DEFAULT_THRESHOLD
        }
    )
    return SearchResult(hits=hits[:limit], known_elsewhere=elsewhere)


def household_of(*, person: Person) -> list[HouseholdMember]:
    """The members of the person's household (the household is the holding organization's)."""
    membership = HouseholdMember.objects.filter(person=person).select_related("household").first()
    if membership is None:
        return []
    return list(
        HouseholdMember.objects.filter(household=membership.household)
        .select_related("person")
        .order_by("pk")
    )


def household_candidates(*, person: Person, limit: int = 10) -> list[HouseholdMember]:
    """One member of each household of the same organization whose members share the person's
    address or family name: where the person probably belongs."""
    match = Q()
    if person.address:
        match |= Q(person__address=person.address)
    if person.family_name:
        match |= Q(person__family_name=person.family_name)
    if not match:
        return []
    members = (
        HouseholdMember.objects.filter(match, household__organization_id=person.organization_id)
        .exclude(person=person)
        .select_related("household", "person")
        .order_by("household_id", "pk")
    )
    out: dict[int, HouseholdMember] = {}
    for m in members[: limit * 20]:
        out.setdefault(m.household_id, m)
    return list(out.values())[:limit]


def _decided_pairs(persons: QuerySet[Person]) -> set[tuple[int, int]]:
    """Pairs staff already judged (same or not the same): never proposed again."""
    ids = persons.values("pk")
    return set(
        PersonLink.objects.filter(undone_at__isnull=True)
        .filter(Q(person_a__in=ids) | Q(person_b__in=ids))
        .values_list("person_a_id", "person_b_id")
    )


def duplicate_pairs(
    *, persons: QuerySet[Person], threshold: float = matching.DEFAULT_THRESHOLD
) -> list[tuple[Person, Person, matching.Match]]:
    """Proposed pairs of records that look like the same human, best first, without the pairs
    already decided. Blocking (`matching.find_pairs`) keeps this far from comparing all pairs."""
    by_id = {p.pk: p for p in persons.select_related("organization")}
    pairs = matching.find_pairs(((pk, person_facts(p)) for pk, p in by_id.items()), threshold)
    decided = _decided_pairs(persons)
    out = []
    for a, b, match in pairs:
        first, second = (a, b) if a < b else (b, a)
        if (first, second) not in decided:
            out.append((by_id[first], by_id[second], match))
    return out


def person_links(*, person: Person) -> list[PersonLink]:
    """Live decisions that involve a record."""
    return list(
        PersonLink.objects.filter(
            Q(person_a=person) | Q(person_b=person), undone_at__isnull=True
        ).select_related("person_a__organization", "person_b__organization", "created_by")
    )
