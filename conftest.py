"""Shared test personas.

Two cities: 南市 (`city`, loaded from the sample plan file with the real loader) and 北市
(`other_city`, built by factories). Who may see what:

- counselor:   相談員 at 北地域包括支援センター (南市). Sees 南市's structure.
- coordinator: 多機関協働 coordinator at 地域福祉課 (南市). Sees 南市's structure and meetings.
- manager:     管理者 at 地域福祉課 (南市). Sees 南市's structure and targets.
- admin:       システム管理者 at 地域福祉課 (南市). Also opens the admin site.
- receiver:    相談員 at 南市くらしサポートセンター (困窮). Sees what is referred to it, under
               a live grant, within the grant's scope.
- third:       相談員 at 南市障がい者相談支援センター. Sees no person or consultation of the
               others: nothing was referred to it.
- outsider:    相談員 at an agency of 北市. Sees nothing of 南市.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management.color import no_style
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.creation import BaseDatabaseCreation
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tsunagu.accounts.models import Role, User
from tsunagu.accounts.services import user_create
from tsunagu.cityplan.planfile import read_plan_file
from tsunagu.cityplan.services import plan_load
from tsunagu.core.once import TOKEN_FIELD, form_token_new
from tsunagu.organizations.models import Municipality, Organization

SAMPLE_PLAN = Path(__file__).parent / "tsunagu/cityplan/tests/files/minimal.yaml"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def city(db: None) -> Municipality:
    return plan_load(plan=read_plan_file(SAMPLE_PLAN)).municipality


@pytest.fixture
def other_city(db: None) -> Municipality:
    municipality = Municipality.objects.create(
        code="999989",
        slug="kita",
        name="北市",
        prefecture="架空県",
        plan_name="北市重層的支援体制整備事業実施計画",
        plan_start_fiscal_year=2026,
        plan_end_fiscal_year=2026,
    )
    Organization.objects.create(
        municipality=municipality,
        code="soudan",
        name="北市相談センター",
        kind=Organization.Kind.AGENCY,
    )
    return municipality


def make_user(municipality: Municipality, org_code: str, role: str, username: str) -> User:
    org = Organization.objects.get(municipality=municipality, code=org_code)
    return user_create(
        username=username,
        organization=org,
        roles=[role],
        password=PASSWORD,
        family_name="試験",
        given_name=username,
    )


@pytest.fixture
def counselor(city: Municipality) -> User:
    return make_user(city, "hokatsu-kita", Role.COUNSELOR, "counselor")


@pytest.fixture
def receiver(city: Municipality) -> User:
    return make_user(city, "jiritsu-soudan", Role.COUNSELOR, "receiver")


@pytest.fixture
def third(city: Municipality) -> User:
    return make_user(city, "shogai-soudan", Role.COUNSELOR, "third")


@pytest.fixture
def coordinator(city: Municipality) -> User:
    return make_user(city, "chiiki-fukushi-ka", Role.COORDINATOR, "coordinator")


@pytest.fixture
def manager(city: Municipality) -> User:
    return make_user(city, "chiiki-fukushi-ka", Role.MANAGER, "manager")


@pytest.fixture
def admin_user(city: Municipality) -> User:
    return make_user(city, "chiiki-fukushi-ka", Role.ADMIN, "sysadmin")


@pytest.fixture
def outsider(other_city: Municipality) -> User:
    return make_user(other_city, "soudan", Role.COUNSELOR, "outsider")


class FormClient(Client):
    """A test client that sends a fresh one-time form token with every form it posts, as a
    browser does with the token the page gave it. A test of the token itself passes its own
    `form_token` (or None to send none)."""

    def post(self, path: Any, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        if data is None or isinstance(data, dict):
            data = dict(data or {})
            if TOKEN_FIELD not in data:
                data[TOKEN_FIELD] = form_token_new()
            elif data[TOKEN_FIELD] is None:
                del data[TOKEN_FIELD]
        return super().post(path, data, *args, **kwargs)


def client_for(user: User | None) -> Client:
    """A client signed in as `user`, past the second factor (as after entering a code)."""
    client = FormClient()
    if user is not None:
        client.force_login(user)
        verify_session(client, user)
    return client


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for `device`."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def verify_session(client: Client, user: User) -> None:
    """Mark a signed-in test client's session as verified by an authenticator app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="テスト", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _keep_reference_data(django_db_serialized_rollback: None) -> None:
    """A test that commits (browser tests, races) empties the database when it ends; the rows the
    migrations wrote (categories, …) are put back for the tests after it."""


def sequences_reset(connection: BaseDatabaseWrapper) -> None:
    """Move every table's id sequence past its highest id (PostgreSQL; SQLite needs none)."""
    if connection.vendor != "postgresql":
        return
    models = django_apps.get_models(include_auto_created=True)
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.fixture(scope="session", autouse=True)
def _sequences_follow_written_back_rows() -> Iterator[None]:
    """The rows `_keep_reference_data` puts back keep their ids, but a PostgreSQL sequence does
    not move with rows written with an id, and a sequence may stand below them (set back by a
    test that restored or generated data). The next insert would then take an id in use
    (`resources_category_pkey`, id 1). So right after the test runner writes the rows back,
    and before any fixture inserts, every sequence is set past its table's highest id."""
    original = BaseDatabaseCreation.deserialize_db_from_string

    def deserialize_then_reset_sequences(self: BaseDatabaseCreation, data: str) -> None:
        original(self, data)
        sequences_reset(self.connection)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            BaseDatabaseCreation, "deserialize_db_from_string", deserialize_then_reset_sequences
        )
        yield


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The cache's files in this test run's own folder: two runs from one checkout (SQLite and
    PostgreSQL side by side) never share kept pages or figures."""
    from django.test import override_settings

    location = tmp_path_factory.mktemp("cache")
    backend = "django.core.cache.backends.filebased.FileBasedCache"
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": str(location)}}):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache(_own_cache: None) -> None:
    """Kept public pages and the dashboard's figures live in the cache: each test starts with
    none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: object) -> None:
    # background tasks run inside the request in tests; one test runs the real worker
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # PBKDF2's deliberate slowness is for production; tests only need a working hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
