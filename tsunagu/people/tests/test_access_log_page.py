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
    assert f"全{total}件" in first and "page=2" in first
    assert f"本人 #{person.pk}" in first  # the object read, in words
    until = re.search(r"until=(\d+)", first)
    assert until is not None
    seen = first.count("<tr>") - 1
    page = 2
    while True:  # reading pages adds log rows, but the pages do not shift
        body = client.get(
            f"/people/{person.pk}/access-log/?until={until[1]}&page={page}"
        ).content.decode()
        assert f"全{total}件" in body
        seen += body.count("<tr>") - 1
        if 'rel="next"' not in body:
            break
        page += 1
    assert seen == total
    export = download_text(client.get(f"/people/{person.pk}/access-log/?format=csv"))
    rows = list(csv.reader(io.StringIO(export)))
    log_rows = rows[1 : rows.index([])]
    # every row, the reads of the pages above and the export itself included
    assert len(log_rows) == AccessLog.objects.filter(person=person).count() > total
    assert all(r[4].startswith("本人 #") for r in log_rows)
    assert {r[7] for r in log_rows} == {"画面"}
