"""API tokens, the API's door (401 everywhere without a token), its OpenAPI document, the
organizations endpoint, and the commands that set up API users."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tsunagu.accounts.models import ApiToken, Role, User
from tsunagu.accounts.tokens import (
    LAST_USED_RESOLUTION,
    api_token_create,
    api_token_revoke,
    api_token_user,
)
from tsunagu.organizations.models import Municipality, Organization

ENDPOINTS = [
    ("get", "/api/v1/persons"),
    ("post", "/api/v1/persons"),
    ("get", "/api/v1/persons/1"),
    ("get", "/api/v1/persons/search?q=x"),
    ("get", "/api/v1/consultations"),
    ("post", "/api/v1/consultations"),
    ("get", "/api/v1/consultations/1"),
    ("post", "/api/v1/consents"),
    ("post", "/api/v1/referrals"),
    ("get", "/api/v1/referrals?box=in"),
    ("get", "/api/v1/referrals/1"),
    ("post", "/api/v1/referrals/1/accept"),
    ("post", "/api/v1/referrals/1/decline"),
    ("post", "/api/v1/referrals/1/complete"),
    ("get", "/api/v1/organizations"),
]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def authorized(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


# --- tokens -------------------------------------------------------------------------------


def test_only_the_hash_of_a_key_is_stored(counselor: User) -> None:
    key = api_token_create(user=counselor)
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in token.key_hash and len(key) > 40
    assert api_token_user(key=key) == counselor
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert api_token_create(user=counselor) != key  # a new key each time


def test_a_keys_use_is_written_at_most_once_a_minute(
    counselor: User, django_assert_num_queries: Callable[[int], AbstractContextManager[object]]
) -> None:
    key = api_token_create(user=counselor)
    with django_assert_num_queries(2):  # the key (with its user) and the first use written
        assert api_token_user(key=key) == counselor
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # used again within the minute: nothing written
        assert api_token_user(key=key) == counselor
    assert ApiToken.objects.get().last_used_at == first
    earlier = first - LAST_USED_RESOLUTION
    ApiToken.objects.update(last_used_at=earlier)
    with django_assert_num_queries(2):  # a minute on: written again
        assert api_token_user(key=key) == counselor
    last = ApiToken.objects.get().last_used_at
    assert last is not None and last > first


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_denies_without_a_valid_token(
    method: str, url: str, counselor: User
) -> None:
    revoked = api_token_create(user=counselor)
    api_token_revoke(token=ApiToken.objects.get())
    for client in (
        Client(),
        authorized("not-a-key"),
        authorized(revoked),
        Client(headers={"Authorization": f"Bearer {revoked}"}),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["detail"].startswith("認証が必要です")


def test_a_browser_session_is_not_an_api_login(counselor: User) -> None:
    client = Client()
    client.force_login(counselor)
    assert client.get("/api/v1/persons").status_code == 401


def test_revoked_keys_and_inactive_users_stop_working(counselor: User) -> None:
    key = api_token_create(user=counselor)
    assert authorized(key).get("/api/v1/organizations").status_code == 200
    counselor.is_active = False
    counselor.save()
    assert authorized(key).get("/api/v1/organizations").status_code == 401
    counselor.is_active = True
    counselor.save()
    api_token_revoke(token=ApiToken.objects.get())
    assert authorized(key).get("/api/v1/organizations").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


# --- the OpenAPI document and the organizations endpoint ----------------------------------


def test_openapi_document_lists_every_path(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/v1/persons",
        "/api/v1/persons/{person_id}",
        "/api/v1/persons/search",
        "/api/v1/consultations",
        "/api/v1/consultations/{consultation_id}",
        "/api/v1/consents",
        "/api/v1/referrals",
        "/api/v1/referrals/{referral_id}/accept",
        "/api/v1/referrals/{referral_id}/decline",
        "/api/v1/referrals/{referral_id}/complete",
        "/api/v1/organizations",
    ):
        assert path in document["paths"], path
    assert set(document["paths"]["/api/v1/persons"]) == {"get", "post"}
    assert set(document["paths"]["/api/v1/consultations"]) == {"get", "post"}
    scheme = document["components"]["securitySchemes"]["TokenAuth"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": scheme["description"],
    }
    assert all(op.get("security") for item in document["paths"].values() for op in item.values())


def test_organizations_are_the_users_own_city(counselor: User, outsider: User) -> None:
    mine = authorized(api_token_create(user=counselor)).get("/api/v1/organizations").json()
    assert {o["code"] for o in mine} == {
        "chiiki-fukushi-ka",
        "hokatsu-kita",
        "jiritsu-soudan",
        "shogai-soudan",
    }
    poverty = next(o for o in mine if o["code"] == "jiritsu-soudan")
    assert poverty == {
        "code": "jiritsu-soudan",
        "name": "南市くらしサポートセンター",
        "kind": "agency",
        "fields": ["employment", "poverty"],
    }
    theirs = authorized(api_token_create(user=outsider)).get("/api/v1/organizations").json()
    assert [o["code"] for o in theirs] == ["soudan"]


def test_inactive_organizations_are_not_listed(counselor: User) -> None:
    Organization.objects.filter(code="shogai-soudan").update(is_active=False)
    codes = [
        o["code"]
        for o in authorized(api_token_create(user=counselor)).get("/api/v1/organizations").json()
    ]
    assert "shogai-soudan" not in codes


# --- commands -----------------------------------------------------------------------------


def test_organizations_command(city: Municipality, other_city: Municipality) -> None:
    lines = run("organizations").splitlines()
    assert "hokatsu-kita\t北地域包括支援センター" in lines
    assert "soudan\t北市相談センター" in lines
    assert len(lines) == Organization.objects.count() == 5
    assert all(len(line.split("\t")) == 2 for line in lines)
    assert run("organizations", "--city", "kita").splitlines() == ["soudan\t北市相談センター"]
    with pytest.raises(CommandError, match="読み込まれていません"):
        run("organizations", "--city", "atlantis")


def test_create_user_command(city: Municipality) -> None:
    out = run(
        "create_user",
        "--username",
        "yamada",
        "--organization",
        "jiritsu-soudan",
        "--role",
        "counselor",
        "--password",
        "a long and unusual passphrase",
    )
    assert "yamada" in out
    user = User.objects.get(username="yamada")
    assert user.organization is not None and user.organization.code == "jiritsu-soudan"
    assert user.active_roles() == {Role.COUNSELOR}
    assert user.check_password("a long and unusual passphrase")
    # without a password the account is for the API only
    run(
        "create_user", "--username", "system", "--organization", "hokatsu-kita", "--role", "liaison"
    )
    assert not User.objects.get(username="system").has_usable_password()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "nowhere", "--role", "counselor"], "nowhere"),
        (["--organization", "hokatsu-kita", "--role", "wizard"], "不明な役割"),
        (["--organization", "hokatsu-kita", "--role", "counselor", "--password", "123"], "短すぎ"),
        (["--organization", "hokatsu-kita", "--role", "counselor", "--city", "x"], "読み込まれて"),
    ],
)
def test_create_user_errors(city: Municipality, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("create_user", "--username", "someone", *args)
    assert not User.objects.filter(username="someone").exists()


def test_create_user_refuses_a_duplicate(counselor: User) -> None:
    with pytest.raises(CommandError, match="既に使われています"):
        run(
            "create_user",
            "--username",
            "counselor",
            "--organization",
            "hokatsu-kita",
            "--role",
            "counselor",
        )


def test_a_code_in_several_cities_needs_the_city(
    city: Municipality, other_city: Municipality
) -> None:
    Organization.objects.create(
        municipality=other_city, code="hokatsu-kita", name="北市包括", kind="agency"
    )
    args = ["--username", "u1", "--organization", "hokatsu-kita", "--role", "counselor"]
    with pytest.raises(CommandError, match="--city"):
        run("create_user", *args)
    run("create_user", *args, "--city", "kita")
    user = User.objects.get(username="u1")
    assert user.organization is not None and user.organization.municipality == other_city


def test_issue_token_prints_only_a_working_token(counselor: User) -> None:
    out = run("issue_token", "counselor")
    key = out.strip()
    assert out == f"{key}\n" and " " not in key
    assert api_token_user(key=key) == counselor
    assert authorized(key).get("/api/v1/persons").status_code == 200


def test_issue_token_errors(counselor: User) -> None:
    with pytest.raises(CommandError, match="いません"):
        run("issue_token", "nobody")
    User.objects.filter(pk=counselor.pk).update(is_active=False)
    with pytest.raises(CommandError, match="無効"):
        run("issue_token", "counselor")
    assert not ApiToken.objects.exists()


def test_a_token_user_without_an_organization_is_refused(db: None) -> None:
    root = User.objects.create_superuser("root", password="x" * 12)
    with pytest.raises(CommandError, match="所属"):
        run("issue_token", "root")
    ApiToken.objects.create(user=root, key_hash=hashlib.sha256(b"k").hexdigest())
    assert api_token_user(key="k") is None
