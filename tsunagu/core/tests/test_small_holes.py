"""Issue 7, class 9 (small holes found by reading the code): no open redirect through `next`;
a non-numeric id in a form or query is a 404, never a server error."""

from __future__ import annotations

import pytest

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consultations.tests.test_pages import register_person, take_consultation
from tsunagu.people.models import PersonLink
from tsunagu.people.services import person_link

BAD_IDS = ["abc", "²", "1.5", "-1", "１", "9" * 40, ""]


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_site(counselor: User, target: str) -> None:
    client = client_for(counselor)
    a, b = register_person(client), register_person(client, given_name="一子")
    link = person_link(user=counselor, a=a, b=b, kind=PersonLink.Kind.SAME_PERSON)
    response = client.post(f"/people/duplicates/{link.pk}/undo/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/people/duplicates/"


def test_next_within_the_site_is_followed(counselor: User) -> None:
    client = client_for(counselor)
    a, b = register_person(client), register_person(client, given_name="一子")
    link = person_link(user=counselor, a=a, b=b, kind=PersonLink.Kind.SAME_PERSON)
    response = client.post(f"/people/duplicates/{link.pk}/undo/", {"next": f"/people/{a.pk}/"})
    assert response["Location"] == f"/people/{a.pk}/"


def test_a_non_numeric_id_is_a_404_never_a_server_error(counselor: User) -> None:
    client = client_for(counselor)
    client.raise_request_exception = False
    person = register_person(client)
    consultation = take_consultation(client, person)
    for bad in BAD_IDS:
        for method, url, data in (
            ("get", f"/consultations/new/?person={bad}", None),
            ("get", f"/consents/new/?person={bad}", None),
            ("get", f"/referrals/new/?consultation={bad}", None),
            ("post", f"/consultations/{consultation.pk}/link-person/", {"person": bad}),
            ("post", f"/people/{person.pk}/household/", {"relationship": "head", "household": bad}),
            (
                "post",
                "/people/duplicates/decide/",
                {"a": bad, "b": person.pk, "kind": "same_person"},
            ),
        ):
            if bad == "" and method == "get" and "consultations/new" in url:
                continue  # no person: an anonymous consultation, a page of its own
            if bad == "" and "household" in url:
                continue  # no household chosen: a new household
            response = getattr(client, method)(url, data)
            assert response.status_code == 404, (url, bad, response.status_code)
