"""Reads of persons: identity search at intake, households, duplicates. Each read that shows
persons logs them (see `people/access.py`)."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import traceback
from bisect import bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from itertools import batched
from multiprocessing.connection import Connection, wait
from operator import or_
from typing import Any, cast

from django.db import connection, connections, transaction
from django.db.models import Count, Field, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.access.throttle import throttle
from tsunagu.accounts.models import User
from tsunagu.core.bulk import int_in_clause, text_in_clause
from tsunagu.core.fiscal import wareki_date
from tsunagu.core.history import HistoryEntry, changes
from tsunagu.core.paging import cursor_page
from tsunagu.core.text import UNKNOWN
from tsunagu.core.widgets import CHOICES_SHOWN, Choices
from tsunagu.organizations.models import Organization
from tsunagu.people import matching
from tsunagu.people.access import (
    HouseholdAccess,
    PersonAccess,
    person_accesses,
    person_bases,
    persons_shown,
)
from tsunagu.people.models import HouseholdMember, Person, PersonKey, PersonLink
from tsunagu.people.services import PersonData

# A search never ranks more candidates than this (blocking keeps it far below at real sizes).
MAX_CANDIDATES = 5000
# A city-wide search ranks at most this many candidates: those sharing the most keys with the
# query (then by id, the same cut every time). On the 1.5-million city a common name shares a
# key with thousands of records (namesakes; then names one kana away, counted after them); the
# closest of them share many keys, so the 20 ranked first and every result at review level
# were the same in 160 sampled name, kana and unspaced queries as when up to 5,000 were ranked,
# in a sixth of the time (docs/performance.md).
RANKED_CANDIDATES = 500


@dataclass(frozen=True)
class SearchHit:
    access: PersonAccess
    match: matching.Match


KIND_LABELS = {"name": "氏名・ふりがな", "phone": "電話番号", "address": "住所"}


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    # organizations that know a strongly matching person the user may not see: only their names
    known_elsewhere: list[str]
    # what was searched, in words: 「高橋」を氏名・ふりがなとして、市内のすべての機関の記録から
    searched: str = ""
    # why nothing (or only so little) was found, and what to add
    advice: str = ""


def person_search(
    *,
    user: User,
    query: str,
    channel: AccessLog.Channel,
    birth_date: dt.date | None = None,
    limit: int = 20,
) -> SearchResult:
    """Find a person city-wide by name, ふりがな, birth date, phone or address, however written.

    Records the user may see come back ranked with the reasons that matched (logged as search
    results); a strong match the user may not see says only which organization knows the person,
    and that disclosure is logged in that person's log too. Rate-limited per user
    (`access.throttle.Throttled`).
    """
    throttle(user=user, kind="person_search")
    organization = user_organization(user)
    municipality = organization.municipality
    text = " ".join(query.split())
    kind = matching.query_kind(text) if text else "name"
    what = f"「{text}」を{KIND_LABELS[kind]}として" if text else ""
    when = f"生年月日 {birth_date:%Y-%m-%d} で" if birth_date else ""
    joined = f"{what}、{when}" if what and when else what or when
    searched = f"{joined}、市内のすべての機関の記録から探しました"
    keys = matching.query_keys(query, birth_date)
    # someone's name one slip from the typed one (or matching its 〓), other than as typed
    near = _held_keys(matching.neighbour_keys(query)) | _wildcard_keys(matching.wildcard_key(query))
    near -= keys
    if kind == "name" and text and " " not in text and not birth_date and not near:
        own = _surname_search(user=user, query=text, channel=channel, limit=limit)
        if own is not None:
            return own
    if not keys and not near:
        return SearchResult(
            hits=[],
            known_elsewhere=[],
            searched=searched,
            advice="探す手がかりが足りません。名・生年月日・電話番号・住所のどれかを加えてください",
        )
    # Candidates are ranked on their facts alone, read as values; only the few ranked are
    # loaded as records.
    candidates = _candidates_listed(keys, near, municipality_id=municipality.pk)
    ranked_ids = matching.search(
        query, birth_date, ((pk, facts) for pk, facts, _ in candidates), limit=limit * 3
    )
    # which of the ranked the user may see is decided on their holders alone (read with their
    # facts); only the hits shown and the strong matches named by their holder are loaded
    ranked = {pk for pk, _ in ranked_ids}
    holders = {pk: holder for pk, _, holder in candidates if pk in ranked}
    bases = person_bases(user=user, holders=holders)
    shown_ids = [(pk, m) for pk, m in ranked_ids if pk in bases][:limit]
    known_ids = [
        (pk, m)
        for pk, m in ranked_ids
        if pk in holders and pk not in bases and m.score >= matching.DEFAULT_THRESHOLD
    ]
    # unscoped: the hits the user may see and, of the strong matches they may not, the
    # holder's name (logged below)
    found = Person.dangerously_unscoped.select_related("organization").filter(
        pk__among_ids=[pk for pk, _ in shown_ids + known_ids]
    )
    records = {p.pk: p for p in found.order_by()}
    # a record moved to another holder since its basis was read is left out
    loaded = {pk for pk, p in records.items() if p.organization_id == holders[pk]}
    hits = [
        SearchHit(access=bases[pk].access(records[pk]), match=m)
        for pk, m in shown_ids
        if pk in loaded
    ]
    known = [records[pk] for pk, _ in known_ids if pk in loaded]
    access_log_shown(
        user=user,
        action=AccessLog.Action.SEARCH,
        channel=channel,
        shown=[h.access.shown() for h in hits],
    )
    access_log_shown(
        user=user,
        action=AccessLog.Action.DISCLOSED_AS_KNOWN,
        channel=channel,
        shown=[Shown(obj=p, person=p, via=AccessLog.Via.ROLE) for p in known],
    )
    advice = ""
    if not hits:
        advice = {
            "name": "この氏名の記録は、見られる範囲にはありません。"
            "読み（ふりがな）や旧姓、生年月日でも探してみてください",
            "phone": "この電話番号の記録は、見られる範囲にはありません",
            "address": "この住所の記録は、見られる範囲にはありません。"
            "丁目まで（例: 本町1）にすると広く探せます",
        }[kind]
    return SearchResult(
        hits=hits,
        known_elsewhere=sorted({p.organization.name for p in known}),
        searched=searched,
        advice=advice,
    )


def _held_keys(keys: Collection[str]) -> set[str]:
    """Which of these keys some person holds (of any city: only the key strings are read),
    from the (key, person) index alone: of a name's hundreds of one-slip neighbours, the few
    that are someone's."""
    if not keys:
        return set()
    table = PersonKey._meta.db_table
    # on PostgreSQL the keys as one text parameter (`text_in_clause`)
    condition, params = text_in_clause(connection, '"key"', sorted(keys))
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT "key" FROM "{table}" WHERE {condition}', params)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


# A name typed with a 〓 matches at most this many written names (高〓花子: 高橋花子, 高田花子 …).
WILDCARD_KEYS = 50


def _wildcard_keys(key: str | None) -> set[str]:
    """The full-name keys some person holds that `key` (from `matching.wildcard_key`) matches
    with its 〓 as any one character: a range of the (key, person) index, from the characters
    before the 〓, filtered by the pattern."""
    if key is None:
        return set()
    head, tail = key.split(UNKNOWN, 1)
    # unscoped: which key strings match; no person is read
    return set(
        PersonKey.dangerously_unscoped.filter(key__startswith=head, key__endswith=tail)
        .alias(length=Length("key"))
        .filter(length=len(key))
        .exclude(key=key)
        .values_list("key", flat=True)
        .distinct()
        .order_by("key")[:WILDCARD_KEYS]
    )


def _candidates_listed(
    keys: Collection[str], near: Collection[str], *, municipality_id: int
) -> list[tuple[int, matching.PersonFacts, int]]:
    """The facts of the `RANKED_CANDIDATES` persons of the city sharing the most of these keys
    (then the most of the `near` keys, a name one slip from the typed one, then by id: the same
    cut every time), in the records' list order (which breaks ties in the ranking). The keys
    are counted per person from the (key, person) index alone, and the persons then read a page
    at a time in that order, kept to the city as they are read: a common name's thousands of
    namesakes are not each joined to their organization first (on the 1.5-million city the
    candidates of 斎藤 凛 took 74 ms that way, now about 10). Plain statements, the keys and ids
    each one parameter (as `key_candidates`): through the ORM, building them and reading a
    page's 600 rows back took more of a search's time than the database did."""
    page_size = RANKED_CANDIDATES + RANKED_CANDIDATES // 5  # most of a page is the city's
    chosen: list[int] = []
    start = 0
    while True:
        page = _sharing_most(keys, near, offset=start, limit=page_size)
        rows = _city_fact_rows(page, municipality_id, listed=True)
        in_city = {row[0] for row in rows}
        chosen.extend(pk for pk in page if pk in in_city)
        if len(chosen) >= RANKED_CANDIDATES or len(page) < page_size:
            break
        start += page_size
    cut = chosen[:RANKED_CANDIDATES]
    if start == 0:  # one page (a city of its own database): its rows are in list order
        kept = set(cut)
        return [row for row in rows if row[0] in kept]
    return _city_fact_rows(cut, municipality_id, listed=True)


def _sharing_most(
    keys: Collection[str], near: Collection[str], *, offset: int, limit: int
) -> list[int]:
    """The ids of the persons (of any city) holding the most of `keys`, then of `near` (the two
    are disjoint, so the most of both), then by id; `limit` of them from `offset`."""
    table = PersonKey._meta.db_table
    condition, params = text_in_clause(connection, '"key"', sorted({*keys, *near}))
    order = "COUNT(*) DESC"
    if near and keys:
        typed, typed_params = text_in_clause(connection, '"key"', sorted(keys))
        order = f"SUM(CASE WHEN {typed} THEN 1 ELSE 0 END) DESC, {order}"
        params += typed_params
    with connection.cursor() as cursor:
        # unscoped: the number of keys each person shares with the query; nothing of them is read
        cursor.execute(
            f'SELECT "person_id" FROM "{table}" WHERE {condition} GROUP BY "person_id"'  # noqa: S608
            f' ORDER BY {order}, "person_id" LIMIT %s OFFSET %s',
            [*params, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]


def _facts_listed(persons: QuerySet[Person]) -> list[tuple[int, matching.PersonFacts]]:
    """The persons' facts read as values in one query, in the queryset's order (which breaks
    ties in the ranking)."""
    return [(row[0], _facts_of(row)) for row in persons.values_list(*_FACT_FIELDS)]


def _records_ranked(
    persons: QuerySet[Person], ranked_ids: list[tuple[int, matching.Match]]
) -> list[tuple[Person, matching.Match]]:
    """Only the ranked persons loaded as records (with their organization), in rank order."""
    by_id = persons.select_related("organization").in_bulk([pk for pk, _ in ranked_ids])
    return [(by_id[pk], m) for pk, m in ranked_ids if pk in by_id]


def _surname_search(
    *, user: User, query: str, channel: AccessLog.Channel, limit: int
) -> SearchResult | None:
    """A surname alone (高橋, たかはし): too common to search the whole city by, so the
    user's own organization's records are searched instead. None when the query is more than
    a surname (a full name written without a space is found city-wide as before)."""
    organization = user_organization(user)
    keys = matching.query_keys(query, None)
    # unscoped: only whether the query is someone's whole name (a key); no record is read
    if keys and PersonKey.dangerously_unscoped.filter(key__in=keys).exists():
        return None
    own_keys = PersonKey.dangerously_unscoped.filter(  # unscoped: filtered to own records
        person__in=Person.objects.visible_to(user).filter(organization=organization)
    )
    prefix = Q()
    for p in matching.name_key_prefixes(query):
        prefix |= Q(key__startswith=p)
    if not prefix:
        return None
    ids = own_keys.filter(prefix).values_list("person_id", flat=True)
    visible = Person.objects.visible_to(user)
    facts = _facts_listed(visible.filter(pk__in=ids).order_by("pk")[:MAX_CANDIDATES])
    ranked_ids = [
        (pk, m)
        for pk, m in matching.search(query, None, facts, limit=limit)
        if any("姓" in r or "氏名" in r for r in m.reasons)
    ]
    ranked = _records_ranked(visible, ranked_ids)
    accesses = person_accesses(user=user, persons=[p for p, _ in ranked])
    hits = [SearchHit(access=accesses[p.pk], match=m) for p, m in ranked if p.pk in accesses]
    access_log_shown(
        user=user,
        action=AccessLog.Action.SEARCH,
        channel=channel,
        shown=[h.access.shown() for h in hits],
    )
    searched = f"「{query}」を姓として、{organization.name}の記録から探しました"
    advice = (
        "姓だけのときは、同じ姓の方が多いため自機関の記録だけを探します。"
        "市内のほかの機関の記録も確かめるには、名・生年月日・電話番号のどれかを加えてください"
    )
    if not hits:
        advice = f"{organization.name}の記録に、姓が「{query}」の方はいません。" + advice
    return SearchResult(hits=hits, known_elsewhere=[], searched=searched, advice=advice)


def named_person_ids(name: str) -> QuerySet[PersonKey, Any] | None:
    """The ids of the persons whose name (kanji or ふりがな, however typed) begins with `name`,
    as a subquery for a read through the door; None when there is nothing to look for."""
    prefixes = matching.name_key_prefixes(name)
    if not prefixes:
        return None
    # unscoped: which keys begin so, as ids only; the persons are read through the caller's door
    return PersonKey.dangerously_unscoped.filter(
        reduce(or_, (Q(key__startswith=p) for p in prefixes))
    ).values("person_id")


def person_choices(*, user: User, query: str, channel: AccessLog.Channel) -> Choices:
    """A person picker's options (`core.widgets.SearchSelect`): the records the user's
    organization holds whose name (kanji or ふりがな, however typed) begins with `query`, in
    ふりがな order; the first ones when the query is blank. Logged as a search."""
    held = Person.objects.held_by(user)
    named = named_person_ids(query)
    if named is not None:
        held = held.filter(pk__in=named)
    found = list(held.order_by("family_name_kana", "given_name_kana", "pk")[: CHOICES_SHOWN + 1])
    accesses = persons_shown(
        user=user, persons=found[:CHOICES_SHOWN], action=AccessLog.Action.SEARCH, channel=channel
    )
    return Choices(
        options=[(p.pk, _person_label(p)) for p in found[:CHOICES_SHOWN] if p.pk in accesses],
        more=len(found) > CHOICES_SHOWN,
    )


def _person_label(person: Person) -> str:
    """井上 節子（いのうえ せつこ・昭和23年3月3日生）: the same name is told apart by birth."""
    facts = [person.full_name_kana] if person.full_name_kana != person.full_name else []
    if person.birth_date is not None:
        facts.append(f"{wareki_date(person.birth_date)}生")
    return f"{person.full_name}（{'・'.join(facts)}）" if facts else person.full_name


def household_of(*, user: User, person: Person) -> list[HouseholdMember]:
    """The members of the person's household, as its holder records them (nothing for others)."""
    members = HouseholdMember.objects.visible_to(user)
    membership = members.filter(person=person).select_related("household").first()
    if membership is None:
        return []
    return list(
        members.filter(household=membership.household)
        .select_related("person__household_membership__household")
        .order_by("pk")
    )


@dataclass(frozen=True)
class HouseholdCandidate:
    """A household the person may belong to, and truthfully why it is proposed."""

    member: HouseholdMember  # one member, whose household it is
    same_address: bool
    same_family_name: bool

    @property
    def reason(self) -> str:
        if self.same_address and self.same_family_name:
            return "住所と姓が同じ"
        return "住所が同じ" if self.same_address else "姓が同じ（住所は異なるか未登録）"


def household_candidates(
    *, user: User, person: Person, limit: int = 10
) -> list[HouseholdCandidate]:
    """Households of the same organization where the person probably belongs: those with a
    member at the same address first, then those with a member of the same family name; each
    says which it is."""
    match = Q()
    if person.address:
        match |= Q(person__address=person.address)
    if person.family_name:
        match |= Q(person__family_name=person.family_name)
    if not match:
        return []
    # A household and its members are one organization's records (`household_member_add`), so
    # the members are found from that organization's persons by name or address (indexed).
    members = (
        HouseholdMember.objects.held_by(user)
        .filter(match, person__organization=user_organization(user))
        .exclude(person=person)
        .select_related("household", "person")
        .order_by("household_id", "pk")
    )
    found: dict[int, HouseholdCandidate] = {}
    for m in members[: limit * 20]:
        address = bool(person.address) and m.person.address == person.address
        family = bool(person.family_name) and m.person.family_name == person.family_name
        seen = found.get(m.household_id)
        if seen is None:
            found[m.household_id] = HouseholdCandidate(m, address, family)
        else:
            found[m.household_id] = HouseholdCandidate(
                seen.member, seen.same_address or address, seen.same_family_name or family
            )
    ranked = sorted(found.values(), key=lambda c: (not c.same_address, not c.same_family_name))
    return ranked[:limit]


def _decided_pairs(persons: QuerySet[Person]) -> set[tuple[int, int]]:
    """Pairs staff already judged (same or not the same): never proposed again."""
    ids = persons.values("pk")
    return set(  # unscoped: decisions on pairs among `persons`, which the caller scoped
        PersonLink.dangerously_unscoped.filter(undone_at__isnull=True)
        .filter(Q(person_a__in=ids) | Q(person_b__in=ids))
        .values_list("person_a_id", "person_b_id")
    )


# Pairs are found for this many persons at a time (their facts and keys read in one go).
PAIRING_BATCH = 2000
# keys looked up in one query (a batch's persons hold about 40,000; SQLite takes at most 32,766
# parameters in one statement)
PAIRING_KEYS = 10000
# Prepared records kept from one batch to the next: the later record of a pair recurs.
PREPARED_KEPT = 100_000
_FACT_FIELDS = (
    "pk",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "phone",
    "postal_code",
    "address",
    "former_family_names",
)
type _FactRow = tuple[Any, ...]
# The order pairs are oriented and listed in among equal scores: the persons' list order.
type _OrderKey = tuple[str, str, int]


def _facts_of(row: _FactRow) -> matching.PersonFacts:
    return matching.PersonFacts(
        family_name=row[1],
        given_name=row[2],
        family_name_kana=row[3],
        given_name_kana=row[4],
        birth_date=row[5],
        phone=row[6],
        postal_code=row[7],
        address=row[8],
        former_family_names=tuple(row[9] or ()),
    )


def _fact_batches(
    persons: QuerySet[Person], fields: tuple[str, ...] = _FACT_FIELDS, size: int = PAIRING_BATCH
) -> Iterator[list[_FactRow]]:
    """Every person's facts (or these fields, the id first), a batch at a time in id order
    (keyset paging, no open cursor)."""
    rows = persons.order_by("pk").values_list(*fields)
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:size]):
        yield batch
        last = batch[-1][0]


# keys looked up in one statement: one of 100,000 costs more to build, send and plan than twenty
# of 5,000
KEY_LOOKUP_BATCH = 5000


type Candidates = dict[int, tuple[int, matching.PersonFacts]]


def key_candidates(
    *, keys: Collection[str], municipality_id: int
) -> tuple[dict[str, set[int]], Candidates]:
    """The persons of one city holding each of these stored keys (only the keys some person
    holds), and the (organization id, facts) of each, read as values (no records): identity
    matching only, the caller ranks them and decides what, if anything, is shown.

    The key rows are read from the (key, person) index alone, a few thousand keys at a time;
    then the facts of their persons, by primary key, kept to the city's. As one join,
    PostgreSQL took each of a few thousand keys for a common one and read every person of the
    city to hash them. Plain statements with the keys and the ids each as one parameter
    (`text_in_clause`, `int_in_clause`): through the ORM, building the statements for the
    470,000 candidates of a 10 MB import took longer than reading them."""
    table = PersonKey._meta.db_table
    held: list[tuple[str, int]] = []
    for some in batched(sorted(keys), KEY_LOOKUP_BATCH):
        condition, params = text_in_clause(connection, '"key"', some)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "key", "person_id" FROM "{table}" WHERE {condition}',  # noqa: S608
                params,
            )
            held.extend(cast(list[tuple[str, int]], cursor.fetchall()))
    candidates = _city_facts({person_id for _, person_id in held}, municipality_id)
    blocks: dict[str, set[int]] = {}
    for key, person_id in held:
        if person_id in candidates:
            blocks.setdefault(key, set()).add(person_id)
    return blocks, candidates


def _person_column(name: str) -> str:
    field = Person._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"Person.{name} is not a column")
    return f'p."{field.column}"'


# the facts of `_facts_of` but the 旧姓 (read as text), names from the models' metadata
_CANDIDATE_COLUMNS = ", ".join(_person_column(name) for name in ("id", *_FACT_FIELDS[1:-1]))
# the persons' list order (`Person.Meta.ordering`), which breaks ties in the ranking
_LIST_ORDER = ", ".join(
    _person_column(Person._meta.pk.name if name == "pk" else name)
    for name in Person._meta.ordering or ()
    if isinstance(name, str)
)


def _city_facts(ids: Collection[int], municipality_id: int) -> Candidates:
    """(organization id, facts) of those of these persons who are the city's."""
    read: Candidates = {}
    for some in batched(sorted(ids), KEY_LOOKUP_BATCH):
        for pk, facts, organization_id in _city_fact_rows(some, municipality_id):
            read[pk] = (organization_id, facts)
    return read


def _city_fact_rows(
    ids: Sequence[int], municipality_id: int, *, listed: bool = False
) -> list[tuple[int, matching.PersonFacts, int]]:
    """(id, facts, organization id) of those of these persons who are the city's, in one
    statement; `listed`: in the records' list order (ふりがな, then id)."""
    if not ids:
        return []
    person_table, organization_table = Person._meta.db_table, Organization._meta.db_table
    former = _person_column("former_family_names")
    json_text = f"{former}::text" if connection.vendor == "postgresql" else former
    condition, params = int_in_clause(connection, 'p."id"', ids)
    order = f" ORDER BY {_LIST_ORDER}" if listed else ""
    rows = []
    with connection.cursor() as cursor:
        # unscoped: identity matching ranks candidates on their facts; nothing is shown here
        cursor.execute(
            f"SELECT {_CANDIDATE_COLUMNS}, {json_text}, {_person_column('organization')}"  # noqa: S608
            f' FROM "{person_table}" p'
            f' JOIN "{organization_table}" o ON o."id" = p."organization_id"'
            f' WHERE {condition} AND o."municipality_id" = %s{order}',
            [*params, municipality_id],
        )
        for *row, names, organization_id in cursor.fetchall():
            # the 旧姓 list parsed only when there is one (nearly never)
            olds: list[str] = [] if not names or names == "[]" else json.loads(names)
            rows.append((row[0], _facts_of((*row, olds)), organization_id))
    return rows


class _PreparedRecords:
    """Prepared records by person id, the recently used kept, the others read again in batches.

    A record is prepared when it is first needed, at most once while it is kept: a person in no
    candidate pair is never prepared, and one read ahead as the later record of a pair is not
    prepared again when its own batch comes.
    """

    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._by_id: OrderedDict[int, tuple[_FactRow, matching.Prepared | None]] = OrderedDict()

    def add(self, row: _FactRow) -> None:
        if row[0] in self._by_id:
            self._by_id.move_to_end(row[0])
        else:
            self._by_id[row[0]] = (row, None)

    def fetch(self, ids: Iterable[int]) -> None:
        """Make sure these records are at hand."""
        missing = []
        for pk in ids:
            if pk in self._by_id:
                self._by_id.move_to_end(pk)
            else:
                missing.append(pk)
        for start in range(0, len(missing), PAIRING_BATCH):
            # unscoped: ids drawn from the caller's scoped `persons`
            for row in Person.dangerously_unscoped.filter(
                pk__in=missing[start : start + PAIRING_BATCH]
            ).values_list(*_FACT_FIELDS):
                self.add(row)

    def get(self, pk: int) -> tuple[matching.Prepared, _OrderKey]:
        row, prepared = self._by_id[pk]
        if prepared is None:
            prepared = matching.prepare(_facts_of(row))
            self._by_id[pk] = (row, prepared)
        return prepared, (row[3], row[4], pk)

    def trim(self) -> None:
        while len(self._by_id) > self._kept:
            self._by_id.popitem(last=False)


def _learned_blocks(
    persons: QuerySet[Person], stored: QuerySet[PersonKey], max_block: int
) -> tuple[matching.Readings, matching.PairingMarks, set[str], dict[str, list[int]]]:
    """The readings the persons' records teach; their pairing marks (read in the same pass);
    the keys some kanji-only record gains from the readings beyond its stored keys
    (`matching.learned_keys`); and of those, the blocks within the size bounds in full (stored
    members and learned ones), by key."""
    fields = (
        "pk",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "birth_date",
        "phone",
        "address",
    )
    marks = matching.PairingMarks()

    def names() -> Iterator[tuple[str, str, str, str]]:
        for batch in _fact_batches(persons, fields, PAIRING_BATCH * 5):
            for pk, family, given, family_kana, given_kana, birth, phone, address in batch:
                marks.add(pk, family, given, birth, phone, address)
                yield family, given, family_kana, given_kana

    readings = matching.Readings.learn_names(names())
    learned: dict[str, set[int]] = defaultdict(set)
    for batch in _fact_batches(persons.filter(family_name_kana="", given_name_kana="")):
        for row in batch:
            for key in matching.learned_keys(_facts_of(row), readings):
                learned[key].add(row[0])
    keys = list(learned)
    for start in range(0, len(keys), PAIRING_BATCH):
        for key, pk in stored.filter(key__in=keys[start : start + PAIRING_BATCH]).values_list(
            "key", "person_id"
        ):
            learned[key].add(pk)
    blocks = {key: sorted(block) for key, block in learned.items() if 2 <= len(block) <= max_block}
    return readings, marks, set(learned), blocks


# The one count over every stored key of the persons (millions of groups on a big city): in
# PostgreSQL's default work_mem the hash of the groups spills to disk in parts, 360 s on the
# 1.5-million city against 60 s with this (docs/performance.md). Only for that statement.
GROUPING_WORK_MEM = "256MB"


@contextmanager
def _grouping_memory() -> Iterator[None]:
    """A transaction in which PostgreSQL may hash with `GROUPING_WORK_MEM` (SET LOCAL: the
    setting ends with the transaction)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"SET LOCAL work_mem = '{GROUPING_WORK_MEM}'")
        yield


# find-duplicates pairs the batches in this many processes on PostgreSQL (the batches are
# independent once the readings are learned); 1 pairs them in the calling process.
PAIRING_WORKERS = max(1, min(2, os.cpu_count() or 1))

type _Found = tuple[_OrderKey, _OrderKey, matching.Match]


@dataclass(frozen=True)
class _Pairing:
    """What every batch needs, worked out once before the batches are paired."""

    persons: QuerySet[Person]
    # every pairing key, of any person: a batch's blocks are read by key through the
    # (key, person) index and kept to `scope` (the ids of `persons`) here, so that no batch
    # joins the whole list of persons again (10 s a batch on the 1.5-million city)
    keys: QuerySet[PersonKey]
    scope: frozenset[int]
    readings: matching.Readings
    marks: matching.PairingMarks
    learned_keys: set[str]
    learned: dict[str, list[int]]
    learned_of: dict[int, list[str]]
    oversized: list[str]
    # the keys two to `max_block` stored persons share, as a bit per `hash` of a key (the same
    # in the forked workers; a filter of one hash, a few percent of false "shared"): a key of
    # one person (nine in ten) is not looked up for its block
    shared: bytearray
    threshold: float

    def _is_shared(self, key: str) -> bool:
        h = hash(key) & (len(self.shared) * 8 - 1)
        return bool(self.shared[h >> 3] >> (h & 7) & 1)

    def _members(self, keys: list[str], lo: int) -> Iterable[tuple[str, int]]:
        """(key, person) of these keys' blocks, the persons from id `lo` on."""
        if connection.vendor != "postgresql":
            return self.keys.filter(key__in=keys, person_id__gte=lo).values_list("key", "person_id")
        # The keys as one array parameter: bound client-side, `IN (%s, …)` with 10,000
        # parameters cost the process more Python (Django's lookup, psycopg's query parsing)
        # than the database took to answer. The keys are pairing keys (from `self.keys`).
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "key", "person_id" FROM "{PersonKey._meta.db_table}"'  # noqa: S608
                ' WHERE "key" = ANY(%s) AND "person_id" >= %s',
                [keys, lo],
            )
            return cast(list[tuple[str, int]], cursor.fetchall())

    def pair(
        self, bounds: Iterable[tuple[int, int]], progress: Callable[[int], None]
    ) -> list[_Found]:
        """The pairs whose earlier person is in one of these id ranges (each a batch, in
        increasing order); `progress(persons)` after each batch."""
        records = _PreparedRecords(PREPARED_KEPT)
        found: list[_Found] = []
        rows = self.persons.order_by("pk").values_list(*_FACT_FIELDS)
        for lo, hi in bounds:
            batch = list(rows.filter(pk__gte=lo, pk__lte=hi))
            for row in batch:
                records.add(row)
            # the keys of the batch's id range; another scope's persons in the range add keys
            # whose blocks hold no person of the batch, which pair nothing
            keys = sorted(
                key
                for key in set(
                    self.keys.filter(person_id__gte=lo, person_id__lte=hi)
                    .exclude(key__in=self.oversized)
                    .values_list("key", flat=True)
                )
                - self.learned_keys  # their blocks are complete in `learned`
                if self._is_shared(key)
            )
            blocks: dict[str, list[int]] = defaultdict(list)
            scope = self.scope
            for start in range(0, len(keys), PAIRING_KEYS):
                for key, pk in self._members(keys[start : start + PAIRING_KEYS], lo):
                    if pk in scope:
                        blocks[key].append(pk)
            later: dict[int, set[int]] = defaultdict(set)
            for block in blocks.values():
                if len(block) > 1:
                    block.sort()
                    for n, pk in enumerate(block):
                        if pk <= hi:
                            later[pk].update(block[n + 1 :])
            for row in batch:
                pk = row[0]
                for key in self.learned_of.get(pk, ()):
                    block = self.learned[key]
                    later[pk].update(block[bisect_right(block, pk) :])
            if self.threshold > matching.CAP_CONFLICT:
                # pairs whose birth dates alone keep them below the threshold are passed over
                # before either record is read again or prepared
                uncapped = self.marks.uncapped
                for pk, others in later.items():
                    later[pk] = set(uncapped(pk, others))
            records.fetch({other for others in later.values() for other in others})
            readings, threshold = self.readings, self.threshold
            for pk, others in later.items():
                first, first_order = records.get(pk)
                for other in others:
                    # oriented in the persons' list order (the order keys are unique)
                    a, a_order = first, first_order
                    b, b_order = records.get(other)
                    if b_order < a_order:
                        (a, a_order), (b, b_order) = (b, b_order), (a, a_order)
                    match = matching.pair_match(a, b, readings, threshold)
                    if match is not None:
                        found.append((a_order, b_order, match))
            records.trim()
            progress(len(batch))
        return found


def _pair_worker(pairing: _Pairing, bounds: list[tuple[int, int]], pipe: Connection) -> None:
    """One forked process: pairs its share of the batches and sends the pairs back."""
    try:
        found = pairing.pair(bounds, lambda n: pipe.send(("progress", n)))
        pipe.send(("found", found))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
    finally:
        connections.close_all()
        pipe.close()


def _pair_in_workers(
    pairing: _Pairing,
    bounds: list[tuple[int, int]],
    workers: int,
    progress: Callable[[int], None],
) -> list[_Found]:
    """The batches dealt out in turn to `workers` forked processes (each with its own database
    connection), their pairs gathered; the caller sorts them, so the result does not depend on
    which process found which pair."""
    context = multiprocessing.get_context("fork")
    connections.close_all()  # the children open their own; none may share the parent's socket
    running: dict[Any, tuple[Any, Connection]] = {}
    for w in range(workers):
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_pair_worker, args=(pairing, bounds[w::workers], writer), daemon=True
        )
        process.start()
        writer.close()
        running[reader] = (process, reader)
    found: list[_Found] = []
    try:
        while running:
            for ready in wait(list(running)):
                reader = cast(Connection, ready)
                process, _ = running[reader]
                try:
                    kind, value = reader.recv()
                except EOFError:
                    process.join()
                    raise RuntimeError(
                        f"名寄せの作業プロセスが途中で終了しました（終了コード {process.exitcode}）"
                    ) from None
                if kind == "progress":
                    progress(value)
                elif kind == "found":
                    found.extend(value)
                    process.join()
                    del running[reader]
                else:
                    raise RuntimeError(f"名寄せの作業プロセスでエラー:\n{value}")
    finally:
        for process, reader in running.values():
            process.terminate()
            process.join()
            reader.close()
    return found


def duplicate_pairs(
    *,
    persons: QuerySet[Person],
    threshold: float = matching.REVIEW_THRESHOLD,
    max_block: int = 2000,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> list[tuple[Person, Person, matching.Match]]:
    """Proposed pairs of records that look like the same human, without the pairs already
    decided: the likely tier first, then the pairs for review (要確認), each best first.

    The pairs `matching.find_pairs` gives for these persons in their list order, found from the
    database: candidates are the persons sharing a stored blocking key (`PersonKey`) in a block
    of at most `max_block`, read for `PAIRING_BATCH` persons at a time in id order; facts are
    read as values in batches and only the recently used are kept, so memory does not grow with
    the number of persons. Only the persons in the pairs found are loaded as records.
    `progress(done, total)` is called after each batch.

    With `workers` > 1 on PostgreSQL, outside a transaction, the batches are dealt out to that
    many forked processes (find-duplicates over a whole city); the result is the same.
    """
    scope = persons.order_by().values("pk")
    # unscoped: the pairing keys, read for `persons` (which the caller scoped); never shown
    keys = PersonKey.dangerously_unscoped.exclude(
        reduce(or_, (Q(key__startswith=p) for p in matching.SEARCH_ONLY_PREFIXES))
    )
    stored = keys.filter(person__in=scope)
    readings, marks, learned_keys, learned = _learned_blocks(persons, stored, max_block)
    learned_of: dict[int, list[str]] = defaultdict(list)
    for key, block in learned.items():
        for pk in block:
            learned_of[pk].append(key)
    # Blocks too large to pair (a facility's phone), and the keys worth looking up (shared by
    # two persons or more): counted once over all the stored keys.
    oversized: list[str] = []
    shared_hashes: list[int] = []
    with _grouping_memory():
        for key, size in (
            stored.values("key")
            .annotate(size=Count("pk"))
            .filter(size__gt=1)
            .values_list("key", "size")
            .iterator(chunk_size=10_000)
        ):
            if size > max_block:
                oversized.append(key)
            else:
                shared_hashes.append(hash(key))
    # 32 bits or more a shared key: about 3 % of the others are taken as shared (looked up)
    shared = bytearray(max(1 << 13, 1 << (len(shared_hashes) * 4).bit_length()))
    mask = len(shared) * 8 - 1
    for h in shared_hashes:
        h &= mask
        shared[h >> 3] |= 1 << (h & 7)
    del shared_hashes
    ids = list(persons.order_by("pk").values_list("pk", flat=True))
    pairing = _Pairing(
        persons=persons,
        keys=keys,
        scope=frozenset(ids),
        readings=readings,
        marks=marks,
        learned_keys=learned_keys,
        learned=learned,
        learned_of=dict(learned_of),
        oversized=oversized,
        shared=shared,
        threshold=threshold,
    )
    bounds = [
        (ids[start], ids[min(start + PAIRING_BATCH, len(ids)) - 1])
        for start in range(0, len(ids), PAIRING_BATCH)
    ]
    total, done = len(ids), 0
    del ids

    def told(persons_done: int) -> None:
        nonlocal done
        done += persons_done
        if progress is not None:
            progress(done, total)

    parallel = (
        workers > 1
        and len(bounds) > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    if parallel:
        found = _pair_in_workers(pairing, bounds, min(workers, len(bounds)), told)
    else:
        found = pairing.pair(bounds, told)
    found.sort(key=lambda t: (t[2].tier != matching.LIKELY, -t[2].score, t[0], t[1]))
    decided = _decided_pairs(persons)
    pairs = [
        (min(a[2], b[2]), max(a[2], b[2]), match)
        for a, b, match in found
        if (min(a[2], b[2]), max(a[2], b[2])) not in decided
    ]
    shown = sorted({pk for a, b, _ in pairs for pk in (a, b)})
    by_id: dict[int, Person] = {}
    for start in range(0, len(shown), PAIRING_BATCH):
        by_id.update(
            (p.pk, p)
            for p in persons.filter(pk__in=shown[start : start + PAIRING_BATCH]).select_related(
                "organization"
            )
        )
    return [(by_id[a], by_id[b], match) for a, b, match in pairs]


def person_links(*, user: User, person: Person) -> list[PersonLink]:
    """Live decisions that involve one of the user's own records."""
    return list(
        PersonLink.objects.visible_to(user)
        .filter(Q(person_a=person) | Q(person_b=person), undone_at__isnull=True)
        .select_related("person_a__organization", "person_b__organization", "created_by")
    )


@dataclass(frozen=True)
class PersonPage:
    accesses: list[PersonAccess]
    next: str  # the cursor of the next page, "" on the last


def persons_page_for(
    *, user: User, cursor: str | None, size: int, channel: AccessLog.Channel
) -> PersonPage:
    """A page of the persons the user may see (own and shared), in ふりがな order, after
    `cursor` (`core.paging.cursor_page`; not counted), logged one row each."""
    persons = Person.objects.visible_to(user).select_related(
        "organization", "household_membership__household"
    )
    found = cursor_page(
        persons,
        # own and shared found apart, each by its own index (`visibility_parts`)
        parts=Person.objects.visible_parts_to(user),
        order=("family_name_kana", "given_name_kana", "pk"),
        size=size,
        cursor=cursor,
        descending=False,
    )
    shown = found.object_list
    accesses = persons_shown(
        user=user, persons=shown, action=AccessLog.Action.LIST, channel=channel
    )
    return PersonPage(
        accesses=[accesses[p.pk] for p in shown if p.pk in accesses], next=found.after
    )


def own_persons_for(*, user: User) -> QuerySet[Person]:
    """The records the user's organization holds (for its duplicate list)."""
    return Person.objects.held_by(user)


def persons_for_administration(*, city: str | None) -> QuerySet[Person]:
    """Every person record (of one city, or of all), for an administrator's command run on the
    server (`find-duplicates`). The command logs every person it writes out."""
    # unscoped: a server-side administration command, not a staff member's page; what it writes
    # out is logged per person (access_log_command)
    persons = Person.dangerously_unscoped.all()
    if city:
        persons = persons.filter(organization__municipality__slug=city)
    return persons


def person_history(*, access: PersonAccess) -> list[HistoryEntry]:
    """A person record's change history, for its holder only (others get nothing). The page
    that shows it has logged its read of the person."""
    if not access.own:
        return []
    # unscoped: the historical rows of one record the user's organization holds
    return changes(access.person.history)


def household_history(*, access: HouseholdAccess) -> list[HistoryEntry]:
    """A household's change history, for its holder (`household_get_for` has logged the read)."""
    # unscoped: the historical rows of one household the user's organization holds
    return changes(access.household.history)


RESEND_WINDOW = dt.timedelta(minutes=10)


def person_just_registered(*, user: User, data: PersonData) -> Person | None:
    """The record this staff member registered in the last minutes with exactly these names
    and birth date (a resent form), if any."""
    since = timezone.now() - RESEND_WINDOW
    return (
        Person.objects.held_by(user)
        .filter(
            created_by=user,
            created_at__gte=since,
            family_name=data.family_name.strip(),
            given_name=data.given_name.strip(),
            family_name_kana=data.family_name_kana.strip(),
            given_name_kana=data.given_name_kana.strip(),
            birth_date=data.birth_date,
        )
        .order_by("-pk")
        .first()
    )
