"""Browser protections: the Content-Security-Policy on every page, `Cache-Control: no-store`
on every response that may carry personal data, no inline script or style anywhere, and a
production configuration that passes Django's deployment check."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from conftest import client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consultations.tests.test_pages import register_person, take_consultation
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]


def assert_no_store(response: object, url: str) -> None:
    cache = response["Cache-Control"]  # type: ignore[index]
    assert "no-store" in cache and "private" in cache, url


def assert_strict_csp(response: object, url: str) -> None:
    policy = response["Content-Security-Policy"]  # type: ignore[index]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'", url
    assert directives["style-src"] == "'self'", url
    assert directives["default-src"] == "'self'", url
    assert directives["frame-ancestors"] == "'none'", url
    assert directives["object-src"] == "'none'", url
    assert "unsafe" not in policy, url


def assert_no_inline_code(html: str, url: str) -> None:
    """What a strict policy would block: inline scripts, handlers, style attributes/elements."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
    assert not re.search(r"\son[a-z]+\s*=", html), url
    assert not re.search(r"\sstyle\s*=", html), url
    assert "<style" not in html, url
    assert "javascript:" not in html, url


def test_personal_data_pages_prints_and_csv_are_not_stored(
    counselor: User, city: Municipality
) -> None:
    client = client_for(counselor)
    person = register_person(client)
    consultation = take_consultation(client, person)
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "hokatsu-manager")
    urls = [
        "/",
        "/people/?q=たかはし",
        f"/people/{person.pk}/",
        f"/people/{person.pk}/edit/",
        "/consultations/",
        f"/consultations/{consultation.pk}/",
        "/referrals/",
        "/imports/",
        "/accounts/security/",
        "/accounts/roster/",
        "/organizations/",
        "/plan/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_store(response, url)
        assert_strict_csp(response, url)
        assert_no_inline_code(response.content.decode(), url)
    manager = client_for(boss)
    for url in (f"/people/{person.pk}/access-log/", f"/people/{person.pk}/access-log/?format=csv"):
        response = manager.get(url)
        assert response.status_code == 200, url
        assert_no_store(response, url)


def test_api_responses_are_not_stored(counselor: User) -> None:
    key = api_token_create(user=counselor)
    api = Client(headers={"Authorization": f"Token {key}"})
    for response in (
        api.get("/api/v1/persons"),
        api.get("/api/v1/persons/999999"),
        Client().get("/api/v1/persons"),
        api.get("/api/v1/openapi.json"),
    ):
        assert_no_store(response, response.request["PATH_INFO"])


def test_the_login_and_admin_pages_carry_the_policy_too(admin_user: User) -> None:
    login = Client().get("/accounts/login/")
    assert_strict_csp(login, "login")
    assert_no_inline_code(login.content.decode(), "login")
    admin = client_for(admin_user).get("/admin/")
    assert admin.status_code == 200
    assert_strict_csp(admin, "admin")
    assert_no_store(admin, "admin")
    setup = Client()
    setup.force_login(admin_user)
    enrol = setup.get("/accounts/two-factor/setup/")
    assert_strict_csp(enrol, "setup")
    assert_no_inline_code(enrol.content.decode(), "setup")


def test_the_deployment_check_passes_with_production_settings(tmp_path: Path) -> None:
    """`tsunagu check --deploy` with the production environment: no warning at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSUNAGU_", "DJANGO_"))}
    env.update(
        TSUNAGU_DEBUG="0",
        TSUNAGU_SECURE_COOKIES="1",
        TSUNAGU_SECRET_KEY=secrets.token_urlsafe(50),
        TSUNAGU_ALLOWED_HOSTS="tsunagu.city.example.lg.jp",
        TSUNAGU_DATA_DIR=str(tmp_path),
    )
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "tsunagu", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    # and the same check does complain in the development configuration (the test can fail)
    env.update(TSUNAGU_SECURE_COOKIES="0")
    insecure = subprocess.run(
        [sys.executable, "-m", "tsunagu", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert insecure.returncode != 0 and "security.W012" in insecure.stderr
