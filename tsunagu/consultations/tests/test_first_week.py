"""Issue 7, class 1 (counts that can be trusted): a form sent twice writes once; a follow-up
cannot be dated before its consultation or in the future; a refused form keeps what was typed
and names the field."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent
from tsunagu.consultations.models import Consultation
from tsunagu.consultations.tests.test_pages import org_id, register_person, take_consultation
from tsunagu.core.models import FormSubmission
from tsunagu.core.once import TOKEN_FIELD, form_token_new
from tsunagu.people.models import HouseholdMember, Person
from tsunagu.referrals.models import Referral


def minute(t: dt.datetime) -> str:
    return timezone.localtime(t).strftime("%Y-%m-%dT%H:%M")


def token_of(client: Client, url: str) -> str:
    """The token the page gives its form, as a browser would send it."""
    page = client.get(url).content.decode()
    marker = f'name="{TOKEN_FIELD}" value="'
    assert marker in page, url
    return page.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture
def setting(counselor: User) -> dict[str, Any]:
    client = client_for(counselor)
    person = register_person(client)
    consultation = take_consultation(client, person)
    client.post(
        "/consents/new/",
        {
            "person": person.pk,
            "method": "written",
            "purpose": "支援のための情報共有",
            "scope_organizations": [org_id("jiritsu-soudan")],
            "valid_from": timezone.localdate(),
        },
    )
    return {"client": client, "person": person, "consultation": consultation}


def forms(s: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], Callable[[], int]]]:
    """Every create form: its page, where it posts, what it sends, and how many it made."""
    person, consultation = s["person"], s["consultation"]
    now = timezone.localtime()
    return [
        (
            "/people/new/",
            "/people/new/",
            {"family_name": "松本", "given_name": "一郎", "birth_date": "1975-05-05"},
            lambda: Person.dangerously_unscoped.filter(family_name="松本").count(),
        ),
        (
            f"/consultations/new/?person={person.pk}",
            f"/consultations/new/?person={person.pk}",
            {
                "received_at": minute(now),
                "channel": "phone",
                "requester": "family",
                "main_topic": "care",
                "content": "二重送信の確認",
                "response": "information",
                "is_new": "1",
            },
            lambda: Consultation.dangerously_unscoped.filter(content="二重送信の確認").count(),
        ),
        (
            f"/consultations/{consultation.pk}/",
            f"/consultations/{consultation.pk}/follow-up/",
            {
                "received_at": minute(now),
                "channel": "visit",
                "content": "訪問で様子を確認",
                "response": "ongoing",
            },
            lambda: Consultation.dangerously_unscoped.filter(follows=consultation).count(),
        ),
        (
            f"/consents/new/?person={person.pk}",
            "/consents/new/",
            {
                "person": person.pk,
                "method": "verbal",
                "purpose": "二重送信の確認",
                "scope_organizations": [org_id("jiritsu-soudan")],
                "valid_from": timezone.localdate(),
            },
            lambda: Consent.dangerously_unscoped.filter(purpose="二重送信の確認").count(),
        ),
        (
            f"/referrals/new/?consultation={consultation.pk}",
            "/referrals/new/",
            {
                "consultation": consultation.pk,
                "to_organization": org_id("jiritsu-soudan"),
                "reason": "家計の相談",
                "basis": "consent",
                "consent": Consent.dangerously_unscoped.filter(person=person).first().pk,  # type: ignore[union-attr]
            },
            lambda: Referral.dangerously_unscoped.count(),
        ),
        (
            f"/people/{person.pk}/",
            f"/people/{person.pk}/household/",
            {"relationship": "head", "household_name": ""},
            lambda: HouseholdMember.dangerously_unscoped.count(),
        ),
    ]


def test_every_create_form_sent_twice_writes_once(setting: dict[str, Any]) -> None:
    client = setting["client"]
    for page, url, data, count in forms(setting):
        token = token_of(client, page)
        first = client.post(url, {**data, TOKEN_FIELD: token})
        assert first.status_code == 302, (url, first.content.decode()[:3000])
        assert count() == 1, url
        again = client.post(url, {**data, TOKEN_FIELD: token}, follow=True)
        assert count() == 1, url  # the double click / resend wrote nothing
        assert again.redirect_chain[0][0] == first["Location"], url  # to what the first made
        assert "既に送信されています" in again.content.decode(), url


def test_a_form_without_a_valid_token_is_refused_and_keeps_its_input(
    setting: dict[str, Any],
) -> None:
    client = setting["client"]
    for _page, url, data, count in forms(setting):
        for token in (None, "forged", form_token_new()[:-3] + "xyz"):
            response = client.post(url, {**data, TOKEN_FIELD: token})
            assert response.status_code == 200, url
            assert count() == 0, url
            page = response.content.decode()
            assert "送信の識別子がありません" in page or "この画面は古くなりました" in page
            assert f'name="{TOKEN_FIELD}" value="' in page  # a new token: sending again works
        # and with the new token from the refused page it goes through
        page = response.content.decode()
        fresh = page.split(f'name="{TOKEN_FIELD}" value="', 1)[1].split('"', 1)[0]
        assert client.post(url, {**data, TOKEN_FIELD: fresh}).status_code == 302, url
        assert count() == 1, url


def test_a_refused_write_leaves_the_token_usable(setting: dict[str, Any]) -> None:
    """The token is written with the record, in one transaction: a form the service refused
    can be corrected and sent with the same token."""
    client = setting["client"]
    consultation = setting["consultation"]
    token = token_of(client, f"/consultations/{consultation.pk}/")
    data = {"channel": "phone", "content": "電話", "response": "ongoing", TOKEN_FIELD: token}
    future = minute(timezone.now() + dt.timedelta(days=1))
    before = FormSubmission.objects.count()
    assert (
        client.post(
            f"/consultations/{consultation.pk}/follow-up/", {**data, "received_at": future}
        ).status_code
        == 200
    )
    assert FormSubmission.objects.count() == before  # the refused write left no token row
    ok = client.post(
        f"/consultations/{consultation.pk}/follow-up/",
        {**data, "received_at": minute(timezone.now())},
    )
    assert ok.status_code == 302
    assert Consultation.dangerously_unscoped.filter(follows=consultation).count() == 1


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda c: c.received_at - dt.timedelta(days=3), "元の相談の受付日時"),
        (lambda c: timezone.now() + dt.timedelta(days=2), "未来"),
    ],
)
def test_a_follow_up_before_its_consultation_or_in_the_future_is_refused_keeping_the_input(
    setting: dict[str, Any], when: Callable[[Consultation], dt.datetime], message: str
) -> None:
    client, consultation = setting["client"], setting["consultation"]
    typed = "夕方に電話、長男が出た。来週訪問の約束"
    response = client.post(
        f"/consultations/{consultation.pk}/follow-up/",
        {
            "received_at": minute(when(consultation)),
            "channel": "phone",
            "content": typed,
            "response": "ongoing",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert not Consultation.dangerously_unscoped.filter(follows=consultation).exists()
    assert message in page
    assert typed in page  # what was typed is still in the form
    assert 'href="#id_received_at"' in page and "日時" in page  # the field in error is named
    assert 'aria-invalid="true"' in page


def test_a_refused_household_form_keeps_its_input_and_names_the_field(
    setting: dict[str, Any],
) -> None:
    client, person = setting["client"], setting["person"]
    response = client.post(
        f"/people/{person.pk}/household/", {"relationship": "nonsense", "household_name": "高橋家"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="高橋家"' in page
    assert 'href="#id_relationship"' in page
    assert not HouseholdMember.dangerously_unscoped.exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_the_same_moment_write_once(counselor: User) -> None:
    """Two requests with one token, sent together: on PostgreSQL the second waits for the
    first's token row and then fails on the unique token; one person is written."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serializes whole transactions)")
    token = form_token_new()
    data = {"family_name": "同時", "given_name": "送信", TOKEN_FIELD: token}
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send() -> None:
        client = client_for(counselor)
        barrier.wait()
        statuses.append(client.post("/people/new/", data).status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302, 302]
    assert Person.dangerously_unscoped.filter(family_name="同時").count() == 1


def test_next_links_reach_every_row_and_keep_the_filters(counselor: User) -> None:
    """Class 2: 「次へ」 was `??page=2` (page 1 again); now it reaches every row."""
    from tsunagu.consultations.services import (
        ConsultationData,
        NewConsultation,
        consultation_create_many,
    )

    now = timezone.now()
    consultation_create_many(
        user=counselor,
        items=[
            NewConsultation(
                person=None,
                data=ConsultationData(
                    received_at=now - dt.timedelta(minutes=i + 1),
                    channel="phone",
                    requester="resident",
                    main_topic="isolation",
                    content="ページ送り",
                    response="information",
                    anonymous_label=f"行{i:03d}",
                ),
            )
            for i in range(120)
        ],
    )
    client = client_for(counselor)
    url, seen = "/consultations/?channel=phone", set()
    while url:
        page = client.get(url).content.decode()
        seen |= {f"行{i:03d}" for i in range(120) if f"行{i:03d}<" in page}
        nxt = page.split('rel="next">次へ', 1)[0].rsplit('href="', 1)[-1] if "次へ" in page else ""
        assert not nxt.startswith("??")
        url = "/consultations/" + nxt.split('"', 1)[0].replace("&amp;", "&") if nxt else ""
        if url:
            assert "channel=phone" in url
    assert len(seen) == 120
