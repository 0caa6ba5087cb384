"""Two cities on one server: each city's administrator sees and changes only their own city in
the administration site; only the platform operator (created on the server) sees both."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from conftest import PASSWORD, client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.organizations.models import Municipality, Organization


@pytest.fixture
def other_admin(other_city: Municipality) -> User:
    return make_user(other_city, "soudan", Role.ADMIN, "kita-admin")


def test_a_city_administrator_is_no_superuser(admin_user: User) -> None:
    assert admin_user.is_staff and not admin_user.is_superuser


def test_each_administrator_sees_only_their_city(
    admin_user: User, other_admin: User, counselor: User
) -> None:
    mine = client_for(admin_user)
    users = mine.get("/admin/accounts/user/").content.decode()
    assert "counselor" in users and "kita-admin" not in users
    # another city's staff member, organization and city: as if they did not exist
    for url in (
        f"/admin/accounts/user/{other_admin.pk}/change/",
        f"/admin/organizations/organization/{other_admin.organization_id}/change/",
        f"/admin/organizations/municipality/{other_admin.organization.municipality_id}/change/",  # type: ignore[union-attr]
    ):
        response = mine.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    orgs = mine.get("/admin/organizations/organization/").content.decode()
    assert "北市相談センター" not in orgs
    theirs = client_for(other_admin).get("/admin/accounts/user/").content.decode()
    assert "kita-admin" in theirs and "counselor" not in theirs


def test_a_city_administrator_cannot_move_staff_to_another_city(
    admin_user: User, other_admin: User, counselor: User
) -> None:
    form = client_for(admin_user).get(f"/admin/accounts/user/{counselor.pk}/change/")
    body = form.content.decode()
    assert form.status_code == 200
    assert "is_superuser" not in body  # only the operator makes superusers
    kita = Organization.objects.get(code="soudan")
    response = client_for(admin_user).post(
        f"/admin/accounts/user/{counselor.pk}/change/",
        {"username": "counselor", "organization": kita.pk, "is_active": "on"},
    )
    counselor.refresh_from_db()
    assert counselor.organization is not None and counselor.organization.code != "soudan"
    assert response.status_code == 200  # the form comes back with the choice refused


def test_tokens_are_listed_and_revoked_within_the_city(
    admin_user: User, counselor: User, other_admin: User
) -> None:
    api_token_create(user=counselor)
    api_token_create(user=other_admin)
    client = client_for(admin_user)
    page = client.get("/admin/accounts/apitoken/").content.decode()
    assert "counselor" in page and "kita-admin" not in page
    token = counselor.api_tokens.get()
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert other_admin.api_tokens.get().revoked_at is None


def test_staff_without_the_admin_role_do_not_enter(counselor: User) -> None:
    response = client_for(counselor).get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_operator_hosts_every_city(admin_user: User, other_admin: User) -> None:
    call_command("create_operator", username="platform", password=PASSWORD, stdout=StringIO())
    operator = User.objects.get(username="platform")
    assert operator.is_superuser and operator.organization is None
    users = client_for(operator).get("/admin/accounts/user/").content.decode()
    assert "kita-admin" in users and admin_user.username in users
