"""Issue 15: the web inbox and outbox page by key, each read through the one part of the
organization's visibility it lies in (sent; received and not sent), with a query count that does
not grow with the box."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.referrals import selectors
from tsunagu.referrals.models import Referral
from tsunagu.referrals.tests.test_api import (
    api_client,
    consent,
    created,
    intake,
    post,
    refer_body,
)

pytestmark = pytest.mark.django_db
NAMES = ["いちろう", "じろう", "さぶろう", "しろう", "ごろう"]


def _refer(counselor: User, n: int) -> int:
    sender = api_client(counselor)
    person, consultation = intake(
        sender, given_name=f"{n}郎", given_name_kana=NAMES[n], phone=f"0766-00-000{n}"
    )
    agreed = consent(sender, person["id"], "jiritsu-soudan")
    referral = created(
        post(sender, "/api/v1/referrals", refer_body(consultation["id"], agreed["id"]))
    )
    return int(referral["id"])


def _ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/referrals/(\d+)/"', body)]


def _link(body: str, rel: str) -> str:
    found = re.search(rf'href="(\?[^"]*)" rel="{rel}"', body)
    return found[1].replace("&amp;", "&") if found else ""


def test_the_inbox_has_a_fixed_number_of_queries(counselor: User, receiver: User) -> None:
    ids = [_refer(counselor, 0)]
    inbox = client_for(receiver)
    inbox.get("/referrals/")
    with CaptureQueriesContext(connection) as one:
        assert _ids(inbox.get("/referrals/").content.decode()) == ids
    ids += [_refer(counselor, n) for n in range(1, 4)]
    with CaptureQueriesContext(connection) as many:
        assert _ids(inbox.get("/referrals/").content.decode()) == ids[::-1]
    assert len(many) == len(one), [q["sql"] for q in many]
    outbox = client_for(counselor)
    outbox.get("/referrals/?box=out")
    with CaptureQueriesContext(connection) as sent:
        assert _ids(outbox.get("/referrals/?box=out").content.decode()) == ids[::-1]
    assert len(sent) == len(one), [q["sql"] for q in sent]


@pytest.mark.parametrize(("who", "box"), [("receiver", "in"), ("counselor", "out")])
def test_the_boxes_page_forward_and_back_by_key(
    counselor: User, receiver: User, who: str, box: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_refer(counselor, n) for n in range(5)][::-1]  # newest first
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    client = client_for(receiver if who == "receiver" else counselor)
    url, pages = f"?box={box}", []
    while url:
        body = client.get(f"/referrals/{url}").content.decode()
        pages.append((url, _ids(body)))
        url = _link(body, "next")
    assert [p for _, p in pages] == [ids[0:2], ids[2:4], ids[4:5]]
    body = client.get(f"/referrals/{pages[-1][0]}").content.decode()
    for _, expected in reversed(pages[:-1]):
        body = client.get(f"/referrals/{_link(body, 'prev')}").content.decode()
        assert _ids(body) == expected
    assert not _link(body, "prev")


def test_the_inbox_names_a_person_only_while_the_receiver_may_see_them(
    counselor: User, receiver: User
) -> None:
    """After a decline ends the receiver's grant, its inbox keeps the referral but not the name
    (as the API's null person): nothing shown without a basis, nothing shown unlogged."""
    referral_id = _refer(counselor, 0)
    inbox = client_for(receiver)
    assert "山田 0郎" in inbox.get("/referrals/").content.decode()
    post(api_client(receiver), f"/api/v1/referrals/{referral_id}/decline", {"reason": "対象外"})
    body = inbox.get("/referrals/").content.decode()
    assert _ids(body) == [referral_id]
    assert "山田" not in body and "（閲覧の許可が終了しています）" in body
    # the sender still sees its own person
    assert "山田 0郎" in client_for(counselor).get("/referrals/?box=out").content.decode()


def test_the_overdue_warning_counts_all_lists_the_oldest_and_links_the_filter(
    counselor: User, receiver: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_refer(counselor, n) for n in range(3)]
    Referral.dangerously_unscoped.filter(pk__in=ids).update(  # unscoped: a test ages them
        due_date=dt.date(2020, 1, 1)
    )
    Referral.dangerously_unscoped.filter(pk=ids[1]).update(  # unscoped: as above
        due_date=dt.date(2019, 1, 1)
    )
    monkeypatch.setattr(selectors, "OVERDUE_SHOWN", 2)
    inbox = client_for(receiver)
    body = inbox.get("/referrals/").content.decode()
    warning = body[
        body.index('class="warning"') : body.index("</div>", body.index('class="warning"'))
    ]
    assert "3 件あります" in warning and "ほか 1 件" in warning
    assert _ids(warning) == [ids[1], ids[0]]  # the longest overdue first
    assert 'href="?box=in&amp;status=overdue"' in warning
    filtered = inbox.get("/referrals/?box=in&status=overdue").content.decode()
    assert sorted(_ids(filtered.split("<table>")[1])) == sorted(ids)
    Referral.dangerously_unscoped.filter(pk=ids[0]).update(  # unscoped: as above
        status=Referral.Status.ACCEPTED
    )
    filtered = inbox.get("/referrals/?box=in&status=overdue").content.decode()
    assert sorted(_ids(filtered.split("<table>")[1])) == sorted(ids[1:])
