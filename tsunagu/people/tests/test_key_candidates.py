"""`selectors.key_candidates`: the persons holding each key, the city's only, with their
facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tsunagu.accounts.models import User
from tsunagu.core.bulk import int_in_clause, text_in_clause
from tsunagu.people import matching, selectors
from tsunagu.people.models import Person, PersonKey
from tsunagu.people.selectors import key_candidates
from tsunagu.people.services import PersonData, person_create


def test_blocks_hold_the_city_s_persons_only(
    counselor: User, receiver: User, outsider: User
) -> None:
    """Namesakes with one birth date in two windows of the city and in another city: every
    key they share gives the city's two, never the other city's; a key nobody holds gives no
    block."""
    data = PersonData(
        family_name="高橋",
        given_name="花子",
        family_name_kana="タカハシ",
        given_name_kana="ハナコ",
        birth_date=dt.date(1931, 5, 2),
        address="射水市太閤山1丁目2番地",
        former_family_names=["髙橋"],
    )
    here = {person_create(user=u, data=data).pk for u in (counselor, receiver)}
    there = person_create(user=outsider, data=data)
    assert counselor.organization is not None and outsider.organization is not None
    here_city, there_city = (
        counselor.organization.municipality_id,
        outsider.organization.municipality_id,
    )
    keys = set(
        PersonKey.objects.visible_to(outsider).filter(person=there).values_list("key", flat=True)
    )
    assert keys
    blocks, candidates = key_candidates(keys=[*keys, "n:だれもいない"], municipality_id=here_city)
    assert set(blocks) == keys
    assert all(persons == here for persons in blocks.values())
    assert set(candidates) == here
    organization, facts = candidates[min(here)]
    assert organization == counselor.organization.pk
    assert (facts.family_name, facts.given_name_kana, facts.address) == (
        "高橋",
        "ハナコ",
        "射水市太閤山1丁目2番地",
    )
    assert facts.birth_date == dt.date(1931, 5, 2)  # a date, on SQLite too
    assert facts.former_family_names == ("髙橋",)
    blocks, candidates = key_candidates(keys=keys, municipality_id=there_city)
    assert blocks == {key: {there.pk} for key in keys}
    assert set(candidates) == {there.pk}
    assert candidates[there.pk][0] == outsider.organization.pk


def test_a_key_left_without_its_person_is_no_candidate(counselor: User) -> None:
    """The keys have no foreign-key constraint in the database (an import writes 40 a person):
    a key whose person is not there is in no block."""
    data = PersonData(family_name="高橋", given_name="花子", birth_date=dt.date(1931, 5, 2))
    person = person_create(user=counselor, data=data)
    kept = person_create(user=counselor, data=data)
    assert counselor.organization is not None
    city = counselor.organization.municipality_id
    keys = set(PersonKey.dangerously_unscoped.filter(person=person).values_list("key", flat=True))
    missing = Person.dangerously_unscoped.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    PersonKey.dangerously_unscoped.bulk_create(
        PersonKey(person_id=missing, key=key) for key in keys
    )
    blocks, candidates = key_candidates(keys=keys, municipality_id=city)
    assert blocks == {key: {person.pk, kept.pk} for key in keys}
    assert set(candidates) == {person.pk, kept.pk}
    assert candidates[kept.pk][1].former_family_names == ()


def test_many_texts_are_one_parameter_and_a_separator_is_refused() -> None:
    """`text_in_clause`: thousands of texts as one parameter on PostgreSQL (placeholders
    elsewhere), matching as `IN` would; a text holding the separator would split in two, so
    on PostgreSQL it is refused."""
    texts = [f"n:たかはし{i}" for i in range(6000)]
    condition, params = text_in_clause(connection, '"key"', texts)
    assert len(params) == (1 if connection.vendor == "postgresql" else len(texts))
    rows = " UNION ALL ".join(
        f"SELECT '{text}' AS \"key\"" for text in ("n:たかはし5999", "n:たかはし", "n:たかはし0")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({rows}) AS v WHERE {condition}", params)  # noqa: S608
        assert sorted(cursor.fetchall()) == [("n:たかはし0",), ("n:たかはし5999",)]
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="separator"):
            text_in_clause(connection, '"key"', ["a\x1fb"])


def test_many_ids_are_one_parameter_and_only_ids_are_taken() -> None:
    """`int_in_clause`: thousands of ids as one parameter on PostgreSQL, matching as `IN`
    would; anything but an int is refused there, so nothing but digits reaches the text."""
    ids = list(range(1, 6001))
    condition, params = int_in_clause(connection, '"id"', ids)
    assert len(params) == (1 if connection.vendor == "postgresql" else len(ids))
    rows = " UNION ALL ".join(f'SELECT {i} AS "id"' for i in (0, 1, 6000, 6001))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({rows}) AS v WHERE {condition}", params)  # noqa: S608
        assert sorted(cursor.fetchall()) == [(1,), (6000,)]
    if connection.vendor == "postgresql":
        with pytest.raises(TypeError, match="not an id"):
            int_in_clause(connection, '"id"', [1, "2) OR (1=1"])  # type: ignore[list-item]


def test_search_candidates_page_past_another_city_s_and_come_in_list_order(
    counselor: User, outsider: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_candidates_listed`: the persons sharing the most keys come first whatever their city,
    then by id; with room for two candidates the search reads past pages of the other city's
    (one phone number, written first) to the city's own, and returns the first two of those in
    the records' list order (ふりがな, then id), with their facts and holder."""
    phone = "090-1111-2222"
    for _ in range(3):
        person_create(user=outsider, data=PersonData(family_name="高橋", phone=phone))
    here = [
        person_create(
            user=counselor,
            data=PersonData(family_name=family, family_name_kana=kana, phone=phone),
        ).pk
        for family, kana in (("高橋", "タカハシ"), ("青木", "アオキ"), ("青木", "アオキ"))
    ]
    monkeypatch.setattr(selectors, "RANKED_CANDIDATES", 2)
    assert counselor.organization is not None
    keys = matching.query_keys(phone, None)
    rows = selectors._candidates_listed(
        keys, set(), municipality_id=counselor.organization.municipality_id
    )
    assert [pk for pk, _, _ in rows] == [here[1], here[0]]
    assert all(holder == counselor.organization.pk for _, _, holder in rows)
    assert [facts.family_name_kana for _, facts, _ in rows] == ["アオキ", "タカハシ"]
