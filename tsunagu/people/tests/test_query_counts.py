"""Issue 15: the person search and a person's page run a fixed number of queries, however many
candidates the search ranks or records the page shows (no query per row)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.tests.test_pages import register_person, take_consultation
from tsunagu.people.models import Person

type MaxQueries = Callable[[int], AbstractContextManager[object]]

GIVEN = [("和子", "かずこ"), ("花子", "はなこ"), ("春子", "はるこ"), ("一郎", "いちろう")]
# As counted on PostgreSQL (savepoints included): a search counts itself against the rate limit
# (one upsert), reads the session, the user and their organization, the keys the candidates
# share (one query), their facts (one), the holders of the ranked (one), the grants, the records
# shown (one), writes the access log (one chain append) and the inbox badge; a person's page
# adds one query per section and one chain append per log entry, never one per record shown.
SEARCH_QUERIES = 20
PERSON_PAGE_QUERIES = 29


def test_person_search_queries_do_not_grow_with_candidates(
    counselor: User, third: User, django_assert_max_num_queries: MaxQueries
) -> None:
    own, other = client_for(counselor), client_for(third)
    first = register_person(own)  # 髙橋 和子
    register_person(other)  # the same name at another organization: known elsewhere
    client = client_for(counselor)
    with django_assert_max_num_queries(SEARCH_QUERIES):
        assert client.get("/people/", {"q": "髙橋 和子"}).status_code == 200
    for year in range(1945, 1951):
        register_person(own, birth_date=f"{year}-01-01", phone="")
        register_person(other, birth_date=f"{year}-02-02", phone="")
    # a record with a 外字 (found through a name one character away, worked out when searching)
    gaiji = register_person(own, family_name="〓橋", family_name_kana="", phone="")
    # every namesake is a candidate: many records ranked, one query
    with django_assert_max_num_queries(SEARCH_QUERIES):
        page = client.get("/people/", {"q": "髙橋 和子"})
    assert page.status_code == 200
    assert f"/people/{first.pk}/" in page.content.decode()
    assert f"/people/{gaiji.pk}/" in page.content.decode()
    assert len(set(re.findall(r"/people/(\d+)/", page.content.decode()))) >= 8  # the namesakes
    # every person shown has its row in the access log
    logged = set(
        AccessLog.objects.filter(
            user=counselor, action=AccessLog.Action.SEARCH, person__isnull=False
        ).values_list("person_id", flat=True)
    )
    assert first.pk in logged and len(logged) >= 3


def test_a_search_loads_only_the_records_it_shows(
    counselor: User, third: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which ranked candidates the user may see is decided on their holders alone: a namesake
    at another organization that is neither shown nor a strong match is never loaded as a
    record (only its facts were read to rank it)."""
    own, other = client_for(counselor), client_for(third)
    mine = register_person(own)  # 髙橋 和子
    strong = register_person(other)  # the same person at another organization: named by holder
    # a namesake born another year: ranked, below a strong match
    weak = register_person(
        other, birth_date="1960-05-05", phone="", address="南町5丁目", postal_code=""
    )
    loaded: list[int] = []
    from_db = Person.from_db.__func__  # type: ignore[attr-defined]

    def recording(
        cls: type[Person], /, db: str, names: list[str], values: list[object], **kw: object
    ) -> Person:
        record: Person = from_db(cls, db, names, values, **kw)
        loaded.append(record.pk)
        return record

    monkeypatch.setattr(Person, "from_db", classmethod(recording))
    page = client_for(counselor).get("/people/", {"q": "髙橋 和子", "birth_date": "1944-02-03"})
    assert page.status_code == 200
    assert f"/people/{mine.pk}/" in page.content.decode()
    assert third.organization is not None
    assert third.organization.name in page.content.decode()  # known elsewhere
    assert mine.pk in loaded and strong.pk in loaded
    assert weak.pk not in loaded


def test_person_page_queries_do_not_grow_with_its_records(
    counselor: User, django_assert_max_num_queries: MaxQueries
) -> None:
    client = client_for(counselor)
    person = register_person(client)
    take_consultation(client, person)
    with django_assert_max_num_queries(PERSON_PAGE_QUERIES):
        assert client.get(f"/people/{person.pk}/").status_code == 200
    for given, kana in GIVEN[1:]:
        register_person(client, given_name=given, given_name_kana=kana)  # household candidates
        take_consultation(client, person)
    with django_assert_max_num_queries(PERSON_PAGE_QUERIES):
        assert client.get(f"/people/{person.pk}/").status_code == 200
