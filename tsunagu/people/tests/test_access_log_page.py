"""Issue 7, class 8: the access-log page shows what was read, reaches every row (paged, no cap),
and its CSV holds every row."""

from __future__ import annotations

import csv
import io
import re

import pytest

from conftest import client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.access.services import LogEntry, access_log_many
from tsunagu.accounts.models import Role, User
from tsunagu.core.tests.downloads import download_text
from tsunagu.organizations.models import Municipality
from tsunagu.people.services import PersonData, person_create

pytestmark = pytest.mark.django_db


def test_every_row_is_reached_by_paging_and_in_the_csv(counselor: User, city: Municipality) -> None:
    person = person_create(user=counselor, data=PersonData(family_name="山田", given_name="一郎"))
    access_log_many(
        user=counselor,
        action=AccessLog.Action.VIEW,
        entries=[LogEntry(obj=person, person=person, via=AccessLog.Via.OWN)] * 620,
    )
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "hokatsu-manager")
    client = client_for(boss)
    first = client.get(f"/people/{person.pk}/access-log/").content.decode()
    total = AccessLog.objects.filter(person=person).count()  # with the page's own read
    assert total > 620
    assert "全" not in first and "after=" in first  # keyset pages: the log is not counted
    assert f"本人 #{person.pk}" in first  # the object read, in words
    seen, body, pages = first.count("<tr>") - 1, first, 1
    while 'rel="next"' in body:  # reading pages adds log rows, but the pages do not shift
        after = re.search(r'href="\?after=([^"&]+)" rel="next"', body)
        assert after is not None
        body = client.get(f"/people/{person.pk}/access-log/?after={after[1]}").content.decode()
        seen += body.count("<tr>") - 1
        pages += 1
    assert seen == total and pages == -(-total // 100)
    back = re.search(r'href="\?before=([^"&]+)" rel="prev"', body)
    assert back is not None  # 「前へ」 from the last page shows the page before it
    previous = client.get(f"/people/{person.pk}/access-log/?before={back[1]}").content.decode()
    assert previous.count("<tr>") - 1 == 100
    export = download_text(client.get(f"/people/{person.pk}/access-log/?format=csv"))
    rows = list(csv.reader(io.StringIO(export)))
    log_rows = rows[1 : rows.index([])]
    # every row, the reads of the pages above and the export itself included
    assert len(log_rows) == AccessLog.objects.filter(person=person).count() > total
    assert all(r[4].startswith("本人 #") for r in log_rows)
    assert {r[7] for r in log_rows} == {"画面"}
