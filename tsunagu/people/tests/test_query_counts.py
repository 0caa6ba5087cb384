"""Issue 15: the person search and a person's page run a fixed number of queries, however many
candidates the search ranks or records the page shows (no query per row)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.tests.test_pages import register_person, take_consultation

type MaxQueries = Callable[[int], AbstractContextManager[object]]

GIVEN = [("和子", "かずこ"), ("花子", "はなこ"), ("春子", "はるこ"), ("一郎", "いちろう")]
# As counted on PostgreSQL (savepoints included): a search reads the session, the user and their
# organization, the keys the candidates share (one query), their facts (one), the ranked
# records (one), the grants, writes the access log (one chain append) and the inbox badge; a
# person's page adds one query per section and one chain append per log entry, never one per
# record shown.
SEARCH_QUERIES = 19
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
    for given, kana in GIVEN[1:]:
        register_person(own, given_name=given, given_name_kana=kana, birth_date="1950-01-01")
        register_person(other, given_name=given, given_name_kana=kana, birth_date="1951-01-01")
    # every 髙橋〓子 and 〓橋和子 is a candidate (the 外字 keys): many records ranked, one query
    with django_assert_max_num_queries(SEARCH_QUERIES):
        page = client.get("/people/", {"q": "髙橋 和子"})
    assert page.status_code == 200
    assert f"/people/{first.pk}/" in page.content.decode()
    assert "春子" in page.content.decode()  # a namesake of the family name is ranked too
    # every person shown has its row in the access log
    logged = set(
        AccessLog.objects.filter(
            user=counselor, action=AccessLog.Action.SEARCH, person__isnull=False
        ).values_list("person_id", flat=True)
    )
    assert first.pk in logged and len(logged) >= 3


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
