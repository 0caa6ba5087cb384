"""Staff sign-in: Argon2 and password rules, lockout and unlock, the second factor (TOTP),
idle timeout, log out everywhere, sign-in history, and expiring, revocable API tokens."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user as session_user
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, client_for
from conftest import totp_code as code_for
from tsunagu.accounts.backends import StaffBackend
from tsunagu.accounts.middleware import LAST_ACTIVITY, SIGNED_IN_AT
from tsunagu.accounts.models import (
    AccountEvent,
    ApiToken,
    Role,
    RoleAssignment,
    User,
    UserSession,
)
from tsunagu.accounts.tokens import api_token_create, api_token_user
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def no_second_factor(user: User) -> None:
    municipality = user.organization.municipality  # type: ignore[union-attr]
    municipality.two_factor_required = False
    municipality.save()


# --- passwords ----------------------------------------------------------------------------


def test_new_passwords_are_hashed_with_argon2(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    assert make_password("a long enough passphrase").startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pass-14c", "短すぎます"),  # 14 characters
        ("1q2w3e4r5t6y7u8i9o0p", "一般的すぎます"),  # on the breached/common list
        ("我がtsunagu の合言葉", "サービス名"),
        ("counselorcounselor-x", "ユーザー名"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str, counselor: User) -> None:
    with pytest.raises(ValidationError) as error:
        validate_password(password, counselor)
    assert why in " ".join(error.value.messages)


def test_a_long_passphrase_is_accepted(counselor: User) -> None:
    with pytest.raises(ValidationError):
        validate_password("みかんと川と自転車の朝", None)  # 11 characters: too short
    validate_password("みかんと川と自転車と月曜日の朝", None)  # 15 characters
    validate_password("orange river bicycle morning", counselor)


# --- lockout ------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_until_a_manager_unlocks_it(
    counselor: User, manager: User, outsider: User
) -> None:
    no_second_factor(counselor)
    client = Client()
    for _ in range(5):
        assert sign_in(client, "counselor", "wrong password!").status_code in {200, 429}
    locked = sign_in(client, "counselor")  # the right password, too late
    assert locked.status_code == 429
    assert "ロックされています" in locked.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    kinds = set(AccountEvent.objects.filter(username="counselor").values_list("kind", flat=True))
    assert {"login_failed", "locked_out"} <= kinds

    # the staff list shows the lock; another city's manager cannot see or lift it
    assert "/accounts/staff/" in client_for(manager).get("/accounts/security/").content.decode()
    assert "ロック中" in client_for(manager).get("/accounts/staff/").content.decode()
    assert client_for(outsider).post(f"/accounts/staff/{counselor.pk}/unlock/").status_code == 404
    assert client_for(counselor).get("/accounts/staff/").status_code == 404  # not a manager
    response = client_for(manager).post(f"/accounts/staff/{counselor.pk}/unlock/")
    assert response.status_code == 302
    assert sign_in(Client(), "counselor").status_code == 302
    event = AccountEvent.objects.get(kind="unlocked")
    assert event.user == counselor and event.actor == manager


def test_the_admin_login_is_locked_too(admin_user: User) -> None:
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": "sysadmin", "password": "wrong password!"})
    response = client.post("/admin/login/", {"username": "sysadmin", "password": PASSWORD})
    assert response.status_code == 429


# --- the second factor --------------------------------------------------------------------


def test_first_sign_in_enrols_an_app_then_every_sign_in_asks_for_a_code(
    counselor: User, settings: Any
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client = Client()
    response = sign_in(client, "counselor")
    assert response.status_code == 302
    # signed in by password only: personal data pages lead to enrolment
    for url in ("/", "/people/", "/consultations/", "/admin/"):
        page = client.get(url)
        assert page.status_code == 302 and "/accounts/two-factor/setup/" in page["Location"]
    setup = client.get("/accounts/two-factor/setup/?next=/people/")
    html = setup.content.decode()
    assert "<svg" in html and "<script" not in html.split("</head>")[1]  # QR made here
    device = TOTPDevice.objects.get(user=counselor, confirmed=False)
    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000", "next": "/people/"})
    assert "確認コードが違います" in wrong.content.decode()
    done = client.post(
        "/accounts/two-factor/setup/", {"token": code_for(device), "next": "/people/"}
    )
    assert done.status_code == 302 and done["Location"] == "/people/"
    assert client.get("/people/").status_code == 200

    # next time: password, then a code (an unconfirmed device cannot be swapped in)
    second = Client()
    sign_in(second, "counselor")
    assert "/accounts/two-factor/?next=" in second.get("/people/")["Location"]
    assert second.get("/accounts/two-factor/setup/").status_code == 302
    refused = second.post("/accounts/two-factor/", {"token": "123456", "next": "/people/"})
    assert refused.status_code == 200 and second.get("/people/").status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a new time step
    ok = second.post(
        "/accounts/two-factor/", {"token": code_for(device), "next": "//evil.example/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/"  # no open redirect
    assert second.get("/people/").status_code == 200
    kinds = list(AccountEvent.objects.filter(user=counselor).values_list("kind", flat=True))
    assert {"login", "two_factor_enrolled", "two_factor_failed", "two_factor_ok"} <= set(kinds)


def test_wrong_codes_slow_down_guessing(counselor: User) -> None:
    device = TOTPDevice.objects.create(user=counselor, name="app", confirmed=True)
    client = Client()
    sign_in(client, "counselor")
    client.post("/accounts/two-factor/", {"token": "000000"})
    right_but_throttled = client.post("/accounts/two-factor/", {"token": code_for(device)})
    assert right_but_throttled.status_code == 200
    assert client.get("/people/").status_code == 302


def test_a_city_may_not_require_it_but_an_enrolled_user_still_gives_a_code(
    counselor: User,
) -> None:
    no_second_factor(counselor)
    client = Client()
    sign_in(client, "counselor")
    assert client.get("/people/").status_code == 200
    TOTPDevice.objects.create(user=counselor, name="app", confirmed=True)
    client = Client()
    sign_in(client, "counselor")
    assert "/accounts/two-factor/" in client.get("/people/")["Location"]


def test_the_api_is_not_affected_by_the_second_factor(counselor: User) -> None:
    key = api_token_create(user=counselor)
    response = Client(headers={"Authorization": f"Token {key}"}).get("/api/v1/organizations")
    assert response.status_code == 200


def test_a_manager_resets_a_lost_app_and_ends_the_sessions(
    counselor: User, manager: User, outsider: User
) -> None:
    victim = client_for(counselor)
    assert TOTPDevice.objects.filter(user=counselor).exists()
    reset = f"/accounts/staff/{counselor.pk}/two-factor-reset/"
    assert client_for(outsider).post(reset).status_code == 404
    assert TOTPDevice.objects.filter(user=counselor).exists()
    response = client_for(manager).post(reset)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=counselor).exists()
    assert victim.get("/people/").status_code == 302  # signed out
    assert AccountEvent.objects.get(kind="two_factor_reset").actor == manager


# --- sessions -----------------------------------------------------------------------------


def test_idle_sessions_end(counselor: User, settings: Any) -> None:
    client = client_for(counselor)
    assert client.get("/people/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - settings.IDLE_TIMEOUT_SECONDS - 5
    session.save()
    # the page's own background request does not count as activity
    response = client.get("/people/", headers={"X-Tsunagu-Background": "1"})
    assert response.status_code == 302 and "timeout=1" in response["Location"]
    assert client.get("/people/").status_code == 302
    assert AccountEvent.objects.filter(user=counselor, kind="idle_timeout").count() == 1
    assert "一定時間操作がなかった" in client.get(response["Location"]).content.decode()


def test_a_session_ends_after_eight_hours_however_active(counselor: User, settings: Any) -> None:
    client = client_for(counselor)
    assert client.get("/people/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
    session[LAST_ACTIVITY] = int(time.time())  # active a moment ago
    session.save()
    assert client.get("/people/").status_code == 302
    assert client.get("/people/").status_code == 302


def test_a_page_holds_the_signed_in_user_itself_with_its_roles_of_the_day(
    counselor: User,
) -> None:
    today = timezone.localdate()
    RoleAssignment.objects.create(
        user=counselor,
        role=Role.MANAGER,
        start_date=today - dt.timedelta(days=30),
        end_date=today - dt.timedelta(days=1),
    )
    RoleAssignment.objects.create(
        user=counselor, role=Role.ADMIN, start_date=today + dt.timedelta(days=1)
    )
    response = client_for(counselor).get("/people/")
    # the user read once and handed down, not behind Django's and django-otp's lazy wrappers
    user = response.wsgi_request.user
    assert type(user) is User and user.pk == counselor.pk
    assert user.is_verified()  # type: ignore[attr-defined]  # django-otp's, read with it
    # a role ended yesterday or starting tomorrow is not held today: no 評価 in the menu
    assert user.active_roles() == {Role.COUNSELOR}
    assert 'href="/evaluation/"' not in response.content.decode()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    assert Role.MANAGER in user.active_roles(on=yesterday) - user.active_roles(on=tomorrow)
    assert Role.ADMIN in user.active_roles(on=tomorrow) - user.active_roles(on=yesterday)


def test_an_expired_session_is_not_read(counselor: User) -> None:
    client = client_for(counselor)
    assert client.get("/people/").status_code == 200
    UserSession.objects.filter(user=counselor).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_carries_the_idle_timer(counselor: User) -> None:
    html = client_for(counselor).get("/").content.decode()
    assert 'data-idle-timeout="1800"' in html and 'id="idle-warning"' in html


def test_log_out_everywhere(counselor: User) -> None:
    office, laptop = client_for(counselor), client_for(counselor)
    assert UserSession.objects.filter(user=counselor).count() == 2
    response = office.post("/accounts/security/logout-everywhere/")
    assert response.status_code == 302
    assert laptop.get("/people/").status_code == 302
    assert office.get("/people/").status_code == 302
    assert not UserSession.objects.filter(user=counselor).exists()


def test_sign_in_history_lists_successes_and_failures(counselor: User, manager: User) -> None:
    no_second_factor(counselor)
    sign_in(Client(), "counselor", "wrong password!")
    sign_in(Client(), "counselor")
    html = client_for(counselor).get("/accounts/security/").content.decode()
    assert "ログイン失敗" in html and "ログイン" in html and "127.0.0.1" in html
    assert (
        "ログイン失敗"
        in client_for(manager).get(f"/accounts/staff/{counselor.pk}/").content.decode()
    )


# --- API tokens ---------------------------------------------------------------------------


def test_tokens_expire(counselor: User, settings: Any) -> None:
    key = api_token_create(user=counselor, label="連携")
    token = ApiToken.objects.get()
    expected = timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS)
    assert abs((token.expires_at - expected).total_seconds()) < 60
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api_token_user(key=key) is None
    response = Client(headers={"Authorization": f"Token {key}"}).get("/api/v1/organizations")
    assert response.status_code == 401


def test_tokens_are_listed_issued_and_revoked_in_the_ui(
    counselor: User, manager: User, outsider: User
) -> None:
    client = client_for(counselor)
    issued = client.post(
        "/accounts/security/tokens/", {"label": "ケース記録システム", "days": "30"}
    )
    assert issued.status_code == 302
    page = client.get("/accounts/security/").content.decode()
    key = re.search(r"tsunagu_[A-Za-z0-9_-]{40,}", page)
    assert key and api_token_user(key=key.group(0)) == counselor
    assert key.group(0) not in client.get("/accounts/security/").content.decode()  # once
    token = ApiToken.objects.get()
    assert (token.expires_at - timezone.now()).days in {29, 30}
    assert "ケース記録" in client.get("/accounts/security/").content.decode()
    assert client_for(outsider).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert api_token_user(key=key.group(0)) == counselor
    assert client_for(manager).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert api_token_user(key=key.group(0)) is None
    assert AccountEvent.objects.get(kind="token_revoked").actor == manager


def test_token_commands(counselor: User) -> None:
    out = StringIO()
    call_command("issue_token", "counselor", "--days", "7", "--label", "夜間連携", stdout=out)
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    listing = StringIO()
    call_command("tokens", "--user", "counselor", stdout=listing)
    assert listing.getvalue().startswith(f"{token.pk}\t有効\t") and "夜間連携" in listing.getvalue()
    call_command("revoke_token", str(token.pk), stdout=StringIO())
    assert api_token_user(key=key) is None
    listing = StringIO()
    call_command("tokens", "--user", "counselor", stdout=listing)
    assert "\t失効\t" in listing.getvalue()


def test_demo_city_says_the_second_factor_is_off(db: None) -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    out = StringIO()
    call_command("load_demo", "imizu", stdout=out)
    assert "二要素認証" in out.getvalue()
    assert not Municipality.objects.get(slug="imizu").two_factor_required


# --- the account routes' own access matrix ------------------------------------------------

STAFF_ROUTES = [
    ("get", "/accounts/staff/"),
    ("get", "/accounts/staff/{staff}/"),
    ("post", "/accounts/staff/{staff}/unlock/"),
    ("post", "/accounts/staff/{staff}/two-factor-reset/"),
    ("post", "/accounts/staff/{staff}/logout-everywhere/"),
    ("post", "/accounts/tokens/{token}/revoke/"),
]


def test_account_routes_matrix(counselor: User, third: User, outsider: User, manager: User) -> None:
    api_token_create(user=counselor)
    TOTPDevice.objects.create(user=counselor, name="app", confirmed=True)
    ids = {"staff": counselor.pk, "token": ApiToken.objects.get().pk}
    missing = {"staff": 987654321, "token": 987654321}

    def call(client: Client, method: str, url: str, values: dict[str, int]) -> Any:
        return getattr(client, method)(url.format(**values))

    for method, url in [
        *STAFF_ROUTES,
        ("post", "/accounts/keepalive/"),
        ("post", "/accounts/security/logout-everywhere/"),
    ]:
        response = call(Client(), method, url, ids)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for who in (third, outsider):  # same-city staff who are not managers; another city
        client = client_for(who)
        for method, url in STAFF_ROUTES:
            response = call(client, method, url, ids)
            assert response.status_code == 404, (who, url)
            if "{" in url:
                assert response.content == call(client, method, url, missing).content
    assert ApiToken.objects.get().revoked_at is None
    assert TOTPDevice.objects.filter(user=counselor).exists()
    boss = client_for(manager)
    for method, url in STAFF_ROUTES:
        assert call(boss, method, url, ids).status_code in (200, 302), url
    assert ApiToken.objects.get().revoked_at is not None
    assert client_for(counselor).post("/accounts/keepalive/").status_code == 204


def test_the_session_user_comes_with_the_organization_and_city(
    counselor: User,
    django_assert_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    """Every page reads the signed-in user's organization and its city: one query with the user,
    not three; a deactivated account's session finds nobody."""
    client = Client()
    no_second_factor(counselor)
    sign_in(client, counselor.username)
    request = RequestFactory().get("/")
    request.session = client.session
    with django_assert_num_queries(1):
        user = StaffBackend().get_user(counselor.pk)
        assert user is not None
        assert user.organization.municipality.name  # type: ignore[union-attr]
    assert session_user(request) == counselor
    counselor.is_active = False
    counselor.save()
    assert StaffBackend().get_user(counselor.pk) is None
    assert not session_user(request).is_authenticated
