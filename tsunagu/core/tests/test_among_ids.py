"""`__among_ids`: the ORM's `__in` for many ids, in one parameter on PostgreSQL."""

from __future__ import annotations

import pytest

from tsunagu.accounts.models import User
from tsunagu.organizations.models import Municipality, Organization

pytestmark = pytest.mark.django_db


def test_among_ids_finds_what_in_finds(city: Municipality, counselor: User, manager: User) -> None:
    ids = list(Organization.objects.filter(municipality=city).values_list("pk", flat=True)[:3])
    assert len(ids) == 3
    found = Organization.objects.filter(pk__among_ids=[*ids, 10**12])
    assert sorted(found.values_list("pk", flat=True)) == sorted(ids)
    assert not Organization.objects.filter(pk__among_ids=[]).exists()
    # on a foreign key, as `__in` on it
    holders = [o for o in (counselor.organization_id, manager.organization_id) if o is not None]
    assert set(User.objects.filter(organization_id__among_ids=holders)) == set(
        User.objects.filter(organization_id__in=holders)
    )
    assert set(User.objects.filter(organization__among_ids=holders)) == {counselor, manager}


def test_among_ids_refuses_what_is_not_an_id(city: Municipality) -> None:
    with pytest.raises(TypeError, match="not an id"):
        list(Organization.objects.filter(pk__among_ids=["1"]))
    with pytest.raises(TypeError, match="not an id"):
        list(Organization.objects.filter(pk__among_ids=[True]))
