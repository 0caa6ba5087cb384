"""The one door, checked from the source: personal data is reached only through scoped entry
points, and every read that shows it is logged the same way on the web and in the API."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import ScopedManager, UnscopedAccess
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.consultations.services import ConsultationData, consultation_create
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create

ROOT = Path(__file__).resolve().parents[2]
PERSONAL_DATA_APPS = ("people", "consultations", "consent", "referrals", "imports")
UNSCOPED = {"dangerously_unscoped", "_default_manager", "_base_manager"}
# modules that face users or run as commands: no unscoped manager at all
FACING = re.compile(r"(views|api|forms|urls|admin)\.py$|/management/commands/")
REASON = "# unscoped:"


def _modules() -> list[Path]:
    return [
        p for p in ROOT.rglob("*.py") if "/tests/" not in str(p) and "/migrations/" not in str(p)
    ]


def _unscoped_uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        {n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in UNSCOPED}
    )


def test_facing_modules_never_touch_an_unscoped_manager() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in _modules()
        if FACING.search(str(p))
        for line in _unscoped_uses(p)
    ]
    assert not found, f"views, API, forms and commands must use the scoped entry points: {found}"


def test_every_unscoped_read_says_why() -> None:
    """A service or selector may read unscoped, with a `# unscoped:` reason just above."""
    missing = []
    for p in _modules():
        if p.name == "scoping.py":
            continue
        lines = p.read_text(encoding="utf-8").splitlines()
        for line in _unscoped_uses(p):
            window = lines[max(0, line - 4) : line]
            if not any(REASON in text or "# unscoped" in text for text in window):
                missing.append(f"{p.relative_to(ROOT)}:{line}")
    assert not missing, f"unscoped reads without a reason: {missing}"


def test_every_personal_data_model_has_one_door() -> None:
    for label in PERSONAL_DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            assert isinstance(model._meta.managers_map["objects"], ScopedManager), model
            assert model._meta.default_manager_name == "dangerously_unscoped", model


def test_the_scoped_manager_refuses_a_read_without_a_user() -> None:
    with pytest.raises(UnscopedAccess):
        Person.objects.filter(pk=1)
    with pytest.raises(UnscopedAccess):
        list(Person.objects.all())


def _record(counselor: User) -> tuple[Person, list[int]]:
    person = person_create(
        user=counselor,
        data=PersonData(family_name="松本", given_name="清", family_name_kana="まつもと"),
    )
    ids = [
        consultation_create(
            user=counselor,
            person=person,
            data=ConsultationData(
                received_at=timezone.now(),
                channel="window",
                requester="self",
                main_topic="care",
                content=f"相談{i}",
                response="ongoing",
            ),
        ).pk
        for i in range(3)
    ]
    return person, ids


def _rows(person: Person, action: str) -> list[tuple[str, str, str]]:
    return sorted(
        (row.object_type, row.object_id, row.via)
        for row in AccessLog.objects.filter(person=person, action=action)
    )


def test_a_list_means_the_same_on_the_web_and_in_the_api(counselor: User) -> None:
    """One row per person shown, naming that person's consultations, on either channel."""
    person, ids = _record(counselor)
    client_for(counselor).get("/consultations/")
    web = _rows(person, AccessLog.Action.LIST)
    AccessLog.objects.filter(action=AccessLog.Action.LIST).delete()
    api = Client(headers={"Authorization": f"Token {api_token_create(user=counselor)}"})
    assert api.get("/api/v1/consultations").status_code == 200
    assert _rows(person, AccessLog.Action.LIST) == web
    assert web == [
        ("consultations.consultation", ",".join(str(i) for i in sorted(ids, reverse=True)), "own")
    ]
    listed = AccessLog.objects.filter(action=AccessLog.Action.LIST)
    assert set(listed.values_list("channel", flat=True)) == {"api"}


def test_each_read_of_a_person_is_logged_on_every_channel(counselor: User) -> None:
    person, ids = _record(counselor)
    api = Client(headers={"Authorization": f"Token {api_token_create(user=counselor)}"})
    web = client_for(counselor)
    reads = [
        (web, f"/people/{person.pk}/", AccessLog.Action.VIEW, "web"),
        (web, f"/people/{person.pk}/edit/", AccessLog.Action.VIEW, "web"),
        (web, f"/consultations/{ids[0]}/", AccessLog.Action.VIEW, "web"),
        (web, "/people/?q=まつもと", AccessLog.Action.SEARCH, "web"),
        (api, f"/api/v1/persons/{person.pk}", AccessLog.Action.VIEW, "api"),
        (api, f"/api/v1/consultations/{ids[0]}", AccessLog.Action.VIEW, "api"),
        (api, "/api/v1/persons", AccessLog.Action.LIST, "api"),
        (api, "/api/v1/persons/search?q=まつもと", AccessLog.Action.SEARCH, "api"),
    ]
    for client, url, action, channel in reads:
        before = AccessLog.objects.filter(person=person, action=action, channel=channel).count()
        assert client.get(url).status_code == 200, url
        after = AccessLog.objects.filter(person=person, action=action, channel=channel).count()
        assert after == before + 1, url


def test_known_elsewhere_is_logged_in_that_persons_log(counselor: User, third: User) -> None:
    """A city-wide search that says another organization knows the person leaves a row in
    that person's log, though the searcher saw nothing else."""
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name="松本",
            given_name="清",
            family_name_kana="まつもと",
            given_name_kana="きよし",
            birth_date=timezone.localdate().replace(year=1950),
            phone="0766-11-2222",
        ),
    )
    assert person.birth_date is not None
    response = client_for(third).get(
        "/people/", {"q": "まつもと きよし", "birth_date": person.birth_date.isoformat()}
    )
    assert response.status_code == 200
    assert "松本" not in response.content.decode()
    row = AccessLog.objects.get(person=person, action=AccessLog.Action.DISCLOSED_AS_KNOWN)
    assert row.user == third and row.via == AccessLog.Via.ROLE


def test_person_search_is_rate_limited_per_user(counselor: User, settings: object) -> None:
    settings.PERSON_SEARCH_RATE_PER_MINUTE = 3  # type: ignore[attr-defined]
    client = client_for(counselor)
    codes = [client.get("/people/", {"q": f"やまだ{i}"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    api = Client(headers={"Authorization": f"Token {api_token_create(user=counselor)}"})
    assert api.get("/api/v1/persons/search?q=やまだ").status_code == 429
