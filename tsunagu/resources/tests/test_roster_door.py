"""The roster of 担い手 behind the one door: only the city's editors read it, and every read and
write leaves an access-log row (no person: the rows name `resources.communityworker`)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from conftest import client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import UnscopedAccess
from tsunagu.accounts.models import Role, User
from tsunagu.organizations.models import Municipality
from tsunagu.resources import selectors
from tsunagu.resources.models import CommunityWorker
from tsunagu.resources.services import WorkerData, worker_create, worker_update

pytestmark = pytest.mark.django_db

TYPE = "resources.communityworker"


def _roster(lsc: User) -> list[CommunityWorker]:
    return [
        worker_create(
            user=lsc,
            data=WorkerData(kind="volunteer", name=name, phone="090-1111-2222"),
        )
        for name in ("北野 花子", "南 一郎")
    ]


def _logged(user: User, action: str) -> list[tuple[str, str, str, object]]:
    return [
        (row.object_type, row.object_id, row.via, row.person_id)
        for row in AccessLog.objects.filter(user=user, action=action).order_by("pk")
    ]


def test_the_list_and_the_edit_page_log_what_they_show(lsc: User) -> None:
    first, second = _roster(lsc)
    assert _logged(lsc, "create") == [
        (TYPE, str(first.pk), "role", None),
        (TYPE, str(second.pk), "role", None),
    ]
    client = client_for(lsc)
    listing = client.get(reverse("resources:workers"))
    assert listing.status_code == 200 and "北野 花子" in listing.content.decode()
    ids = sorted([first.pk, second.pk])
    # one row for the page, naming every roster row it showed (in the list's order: by reading)
    [(kind, shown, via, person)] = _logged(lsc, "list")
    assert (kind, sorted(int(i) for i in shown.split(",")), via, person) == (
        TYPE,
        ids,
        "role",
        None,
    )
    # a filtered list that shows nothing logs nothing
    client.get(reverse("resources:workers") + "?kind=commissioner_helper")
    assert len(_logged(lsc, "list")) == 1
    edit = reverse("resources:worker_edit", kwargs={"worker_id": first.pk})
    assert client.get(edit).status_code == 200
    assert _logged(lsc, "view") == [(TYPE, str(first.pk), "role", None)]
    form = {"kind": "volunteer", "name": "北野 花子", "phone": "090-3333-4444", "version": "1"}
    assert client.post(edit, form).status_code == 302
    assert len(_logged(lsc, "view")) == 2  # the form read the row before saving
    assert _logged(lsc, "update") == [(TYPE, str(first.pk), "role", None)]
    first.refresh_from_db()
    assert first.phone == "090-3333-4444"


def test_a_manager_of_the_city_reads_and_edits(lsc: User, manager: User) -> None:
    worker, _ = _roster(lsc)
    client = client_for(manager)
    assert "北野 花子" in client.get(reverse("resources:workers")).content.decode()
    edit = reverse("resources:worker_edit", kwargs={"worker_id": worker.pk})
    form = {"kind": "life_supporter", "name": "北野 花子", "version": "1"}
    assert client.post(edit, form).status_code == 302
    worker.refresh_from_db()
    assert worker.kind == "life_supporter"
    assert _logged(manager, "update") == [(TYPE, str(worker.pk), "role", None)]


def test_no_one_else_sees_a_row(
    lsc: User, counselor: User, coordinator: User, outsider: User, other_city: Municipality
) -> None:
    """Another role of the same city, an editor of another city and anonymous: the pages are
    the not-found page (the very body of a missing id), the scoped queryset is empty, and
    nothing is logged for them."""
    worker, _ = _roster(lsc)
    other_editor = make_user(other_city, "soudan", Role.LIFE_SUPPORT_COORDINATOR, "kita-lsc")
    edit = reverse("resources:worker_edit", kwargs={"worker_id": worker.pk})
    missing = reverse("resources:worker_edit", kwargs={"worker_id": worker.pk + 1000})
    for user in (counselor, coordinator, outsider, other_editor):
        client = client_for(user)
        assert not CommunityWorker.objects.visible_to(user).exists(), user
        assert client.get(edit).status_code == 404, user
        assert client.get(edit).content == client.get(missing).content, user
        posted = client.post(edit, {"kind": "volunteer", "name": "書き換え", "version": "1"})
        assert posted.status_code == 404, user
        if user is other_editor:
            listing = client.get(reverse("resources:workers"))
            assert listing.status_code == 200  # their own (empty) roster
            assert "北野" not in listing.content.decode()
        else:
            assert client.get(reverse("resources:workers")).status_code == 404, user
        assert not AccessLog.objects.filter(user=user, object_type=TYPE).exists(), user
    anonymous = Client().get(edit)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    worker.refresh_from_db()
    assert worker.name == "北野 花子"


def test_the_door_refuses_an_unscoped_read_and_a_write_by_another_role(
    lsc: User, counselor: User
) -> None:
    worker, _ = _roster(lsc)
    with pytest.raises(UnscopedAccess):
        CommunityWorker.objects.filter(pk=worker.pk)
    with pytest.raises(PermissionDenied):
        worker_create(user=counselor, data=WorkerData(kind="volunteer", name="x"))
    with pytest.raises(PermissionDenied):
        worker_update(user=counselor, worker=worker, data=WorkerData(kind="volunteer", name="x"))
    assert CommunityWorker.dangerously_unscoped.count() == 2


def test_the_counts_log_nothing(lsc: User, city: Municipality) -> None:
    _roster(lsc)
    before = AccessLog.objects.count()
    counts = {
        r.kind: r.active for r in selectors.roster_counts(municipality=city, fiscal_year=2026)
    }
    assert counts["volunteer"] == 2
    assert AccessLog.objects.count() == before
